package org.alignguard.tensor.cpu;

import org.alignguard.tensor.Backend.NormResult;
import org.alignguard.tensor.NormLayout;
import org.alignguard.tensor.Tensor;

/**
 * Fused group norm and layer norm, forward and backward, as one kernel over "rows".
 *
 * <p>A row is the set of elements that share one mean and variance: (sample, group) for group norm,
 * one position for layer norm. A row is a run of {@code channelsPerGroup} segments of
 * {@code spatial} elements; segment k of row r uses the affine parameters of channel
 * {@code (r % groupsPerSample) * channelsPerGroup + k}. Layer norm is the special case
 * groupsPerSample = 1, channelsPerGroup = D, spatial = 1.
 *
 * <pre>
 *   x̂ = (x - μ) · rstd,   rstd = 1/sqrt(σ² + eps)   (biased variance, as PyTorch)
 *   y = γ[c] · x̂ + β[c]
 *   backward:  ĝ = dy · γ[c]
 *   dx = rstd · (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂)),  dγ[c] = Σ dy · x̂,  dβ[c] = Σ dy
 * </pre>
 * Both paths accumulate the forward statistics in double (the vector path, {@link NormVectors}, in
 * double lanes added in a fixed order); the vector backward sums in float lanes. The per-channel parameter gradients are summed over rows in row
 * order (in double) after the parallel part, so results do not depend on the thread count.
 */
final class NormKernels {
    private NormKernels() {}

    static NormResult forward(Tensor x, NormLayout L, Tensor gamma, Tensor beta, float eps) {
        float[] xs = Host.read(x);
        float[] g = gamma == null ? null : Host.read(gamma), b = beta == null ? null : Host.read(beta);
        Tensor yT = Tensor.zeros(x.shape());
        float[] y = yT.data(), mean = new float[L.rows()], rstd = new float[L.rows()];
        Parallel.forRange(L.rows(), 4L * L.rowLen(), r -> {
            int p = r * L.rowLen(), c0 = L.firstChannel(r);
            if (Simd.ENABLED) {
                // The same two passes in double vector lanes; layer norm (one value per channel)
                // applies its per-element affine along the row, group norm one folded affine per channel.
                int n = L.rowLen();
                double mu = NormVectors.sumD(xs, p, n) / n;
                float m = (float) mu;
                float rs = (float) (1.0 / Math.sqrt(NormVectors.sqDevD(xs, p, n, mu) / n + eps));
                mean[r] = m;
                rstd[r] = rs;
                if (L.spatial() == 1) {
                    NormVectors.normAffine(xs, p, m, rs, g, b, c0, y, p, n);
                } else {
                    for (int k = 0, q = p; k < L.channelsPerGroup(); k++, q += L.spatial()) {
                        float scale = (g == null ? 1f : g[c0 + k]) * rs;
                        NormVectors.scaleShift(xs, q, scale, (b == null ? 0f : b[c0 + k]) - m * scale, y, q, L.spatial());
                    }
                }
                return;
            }
            double s = 0, sq = 0;
            for (int j = 0; j < L.rowLen(); j++) s += xs[p + j];
            double mu = s / L.rowLen();
            for (int j = 0; j < L.rowLen(); j++) {
                double d = xs[p + j] - mu;
                sq += d * d;
            }
            float rs = (float) (1.0 / Math.sqrt(sq / L.rowLen() + eps)), m = (float) mu;
            mean[r] = m;
            rstd[r] = rs;
            for (int k = 0, q = p; k < L.channelsPerGroup(); k++) {
                // y = x̂·γ + β = x·(γ·rstd) + (β − μ·γ·rstd): one multiply-add per element.
                float scale = (g == null ? 1f : g[c0 + k]) * rs;
                float shift = (b == null ? 0f : b[c0 + k]) - m * scale;
                for (int j = 0; j < L.spatial(); j++, q++) y[q] = xs[q] * scale + shift;
            }
        });
        return new NormResult(yT, Tensor.of(mean, L.rows()), Tensor.of(rstd, L.rows()));
    }

    /** Returns {dx, dgamma, dbeta}; the last two are null without affine parameters. */
    static Tensor[] backward(Tensor x, Tensor gradY, NormResult saved, NormLayout L, Tensor gamma, boolean affine, int channels) {
        float[] xs = Host.read(x), dy = Host.read(gradY);
        float[] g = gamma == null ? null : Host.read(gamma);
        float[] mean = Host.read(saved.mean()), rstd = Host.read(saved.rstd());
        Tensor dxT = Tensor.zeros(x.shape());
        float[] dx = dxT.data();
        // Per (row, channel) sums of dy and dy·x̂, from which dγ and dβ follow.
        int cpg = L.channelsPerGroup();
        // With one value per segment (layer norm) the segment sums of dy are dy itself: no copy.
        float[] segDy = L.spatial() == 1 ? dy : new float[L.rows() * cpg], segDyX = new float[L.rows() * cpg];
        Parallel.forRange(L.rows(), 6L * L.rowLen(), r -> {
            int p = r * L.rowLen(), c0 = L.firstChannel(r);
            float m = mean[r], rs = rstd[r];
            if (Simd.ENABLED) {
                int n = L.rowLen(), sp = L.spatial();
                float sumG, sumGX;
                if (sp == 1) {
                    // Layer norm: a segment is one value, so its sums are dy (segDy is dy) and dy·x̂.
                    NormVectors.dyXhat(dy, xs, p, m, rs, segDyX, r * cpg, n);
                    sumG = g == null ? VectorKernels.sum(dy, p, n) : VectorKernels.dot(g, c0, dy, p, n);
                    sumGX = g == null ? VectorKernels.sum(segDyX, r * cpg, n) : VectorKernels.dot(g, c0, segDyX, r * cpg, n);
                } else {
                    double sG = 0, sGX = 0;
                    for (int k = 0, q = p; k < cpg; k++, q += sp) {
                        float sDy = VectorKernels.sum(dy, q, sp), sDyX = rs * NormVectors.dotCentered(dy, xs, q, m, sp);
                        segDy[r * cpg + k] = sDy;
                        segDyX[r * cpg + k] = sDyX;
                        float gk = g == null ? 1f : g[c0 + k];
                        sG += gk * sDy;
                        sGX += gk * sDyX;
                    }
                    sumG = (float) sG;
                    sumGX = (float) sGX;
                }
                float mG = sumG / n, mGX = sumGX / n;
                float a = rs * rs * mGX, c = rs * (m * rs * mGX - mG);
                if (sp == 1) NormVectors.dxRow(g, c0, rs, dy, a, xs, c, dx, p, n);
                else
                    for (int k = 0, q = p; k < cpg; k++, q += sp)
                        NormVectors.dxChannel((g == null ? 1f : g[c0 + k]) * rs, dy, a, xs, c, dx, q, sp);
                return;
            }
            double sumG = 0, sumGX = 0;
            for (int k = 0, q = p; k < cpg; k++) {
                double sDy = 0, sDyX = 0;
                for (int j = 0; j < L.spatial(); j++, q++) {
                    float xh = (xs[q] - m) * rs;
                    sDy += dy[q];
                    sDyX += dy[q] * xh;
                }
                if (segDy != dy) segDy[r * cpg + k] = (float) sDy;
                segDyX[r * cpg + k] = (float) sDyX;
                float gk = g == null ? 1f : g[c0 + k];
                sumG += gk * sDy;
                sumGX += gk * sDyX;
            }
            float mG = (float) (sumG / L.rowLen()), mGX = (float) (sumGX / L.rowLen());
            for (int k = 0, q = p; k < cpg; k++) {
                float gk = (g == null ? 1f : g[c0 + k]) * rs;
                // dx = rstd·(dy·γ − mean(ĝ) − x̂·mean(ĝx̂)) with x̂ = (x − μ)·rstd
                float a = rs * rs * mGX, c = rs * (m * rs * mGX - mG);
                for (int j = 0; j < L.spatial(); j++, q++) dx[q] = gk * dy[q] - a * xs[q] + c;
            }
        });
        if (!affine) return new Tensor[] {dxT, null, null};
        double[] dg = new double[channels], db = new double[channels];
        for (int r = 0; r < L.rows(); r++) {
            int c0 = L.firstChannel(r);
            for (int k = 0; k < cpg; k++) {
                dg[c0 + k] += segDyX[r * cpg + k];
                db[c0 + k] += segDy[r * cpg + k];
            }
        }
        float[] dgf = new float[channels], dbf = new float[channels];
        for (int c = 0; c < channels; c++) { dgf[c] = (float) dg[c]; dbf[c] = (float) db[c]; }
        return new Tensor[] {dxT, Tensor.of(dgf, channels), Tensor.of(dbf, channels)};
    }
}
