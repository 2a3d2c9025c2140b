package org.alignguard.tensor.cpu;

import org.alignguard.tensor.Backend.NormResult;
import org.alignguard.tensor.Tensor;

/**
 * Fused group norm and layer norm, forward and backward, as one kernel over "rows".
 *
 * <p>A row is the set of elements that share one mean and variance: (sample, group) for group norm,
 * one position for layer norm. Element j of row r uses the affine parameters of channel
 * {@code (r % groupsPerSample) * channelsPerGroup + j / spatial}. Layer norm is the special case
 * groupsPerSample = 1, channelsPerGroup = D, spatial = 1.
 *
 * <pre>
 *   x̂ = (x - μ) · rstd,   rstd = 1/sqrt(σ² + eps)   (biased variance, as PyTorch)
 *   y = γ[c] · x̂ + β[c]
 *   backward:  ĝ = dy · γ[c]
 *   dx = rstd · (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂)),  dγ[c] = Σ dy · x̂,  dβ[c] = Σ dy
 * </pre>
 */
final class NormKernels {
    private NormKernels() {}

    record Layout(int rows, int rowLen, int groupsPerSample, int channelsPerGroup, int spatial) {
        int channel(int r, int j) {
            return (r % groupsPerSample) * channelsPerGroup + j / spatial;
        }
    }

    static Layout groupLayout(int[] shape, int groups) {
        int n = shape[0], c = shape[1], spatial = 1;
        for (int i = 2; i < shape.length; i++) spatial *= shape[i];
        return new Layout(n * groups, (c / groups) * spatial, groups, c / groups, spatial);
    }

    static Layout layerLayout(int[] shape) {
        int d = shape[shape.length - 1], rows = 1;
        for (int i = 0; i < shape.length - 1; i++) rows *= shape[i];
        return new Layout(rows, d, 1, d, 1);
    }

    static NormResult forward(Tensor x, Layout L, Tensor gamma, Tensor beta, float eps) {
        float[] xs = Host.read(x);
        float[] g = gamma == null ? null : Host.read(gamma), b = beta == null ? null : Host.read(beta);
        Tensor yT = Tensor.zeros(x.shape());
        float[] y = yT.data(), mean = new float[L.rows], rstd = new float[L.rows];
        Parallel.forRange(L.rows, L.rowLen, r -> {
            int p = r * L.rowLen;
            double s = 0;
            for (int j = 0; j < L.rowLen; j++) s += xs[p + j];
            double mu = s / L.rowLen, v = 0;
            for (int j = 0; j < L.rowLen; j++) {
                double d = xs[p + j] - mu;
                v += d * d;
            }
            float rs = (float) (1.0 / Math.sqrt(v / L.rowLen + eps));
            mean[r] = (float) mu;
            rstd[r] = rs;
            for (int j = 0; j < L.rowLen; j++) {
                float xh = (xs[p + j] - (float) mu) * rs;
                int c = L.channel(r, j);
                y[p + j] = (g == null ? xh : xh * g[c]) + (b == null ? 0f : b[c]);
            }
        });
        return new NormResult(yT, mean, rstd);
    }

    /** Returns {dx, dgamma, dbeta}; the last two are null without affine parameters. */
    static Tensor[] backward(Tensor x, Tensor gradY, NormResult saved, Layout L, Tensor gamma, boolean affine, int channels) {
        float[] xs = Host.read(x), dy = Host.read(gradY);
        float[] g = gamma == null ? null : Host.read(gamma);
        float[] mean = saved.mean(), rstd = saved.rstd();
        Tensor dxT = Tensor.zeros(x.shape());
        float[] dx = dxT.data();
        Parallel.forRange(L.rows, L.rowLen, r -> {
            int p = r * L.rowLen;
            double sumG = 0, sumGX = 0;
            for (int j = 0; j < L.rowLen; j++) {
                float xh = (xs[p + j] - mean[r]) * rstd[r];
                float gh = g == null ? dy[p + j] : dy[p + j] * g[L.channel(r, j)];
                sumG += gh;
                sumGX += gh * xh;
            }
            float mG = (float) (sumG / L.rowLen), mGX = (float) (sumGX / L.rowLen);
            for (int j = 0; j < L.rowLen; j++) {
                float xh = (xs[p + j] - mean[r]) * rstd[r];
                float gh = g == null ? dy[p + j] : dy[p + j] * g[L.channel(r, j)];
                dx[p + j] = rstd[r] * (gh - mG - xh * mGX);
            }
        });
        if (!affine) return new Tensor[] {dxT, null, null};
        double[] dg = new double[channels], db = new double[channels];
        for (int r = 0; r < L.rows; r++) {
            int p = r * L.rowLen;
            for (int j = 0; j < L.rowLen; j++) {
                int c = L.channel(r, j);
                dg[c] += dy[p + j] * (xs[p + j] - mean[r]) * rstd[r];
                db[c] += dy[p + j];
            }
        }
        float[] dgf = new float[channels], dbf = new float[channels];
        for (int c = 0; c < channels; c++) { dgf[c] = (float) dg[c]; dbf[c] = (float) db[c]; }
        return new Tensor[] {dxT, Tensor.of(dgf, channels), Tensor.of(dbf, channels)};
    }
}
