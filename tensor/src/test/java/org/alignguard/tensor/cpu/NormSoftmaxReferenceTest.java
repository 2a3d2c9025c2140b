package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.alignguard.tensor.Backend;
import org.alignguard.tensor.Backend.NormResult;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Layer norm, group norm and softmax, forward and backward, against the formulas evaluated in double
 * here, on row lengths that fill no whole vector (7, 24, 37) and ones that do (16, 64): the vector
 * path's masked tails must give the same values as its full lanes.
 */
class NormSoftmaxReferenceTest {
    private final Backend be = new CpuBackend();

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Rng(seed), shape);
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 16, 24, 37, 64})
    void layerNormMatchesDoubleFormula(int d) {
        int rows = 5;
        Tensor x = randn(1, rows, d).mul(3f).add(1.5f), g = randn(2, d), b = randn(3, d), dy = randn(4, rows, d);
        NormResult r = be.layerNorm(x, g, b, 1e-5f);
        Tensor[] grads = be.layerNormBackward(x, dy, r, g);
        float[] xs = x.toArray(), gs = g.toArray(), bs = b.toArray(), dys = dy.toArray();
        float[] y = r.y().toArray(), dx = grads[0].toArray(), dg = grads[1].toArray(), db = grads[2].toArray();
        double[] dgRef = new double[d], dbRef = new double[d];
        for (int i = 0; i < rows; i++) {
            double mu = 0, var = 0;
            for (int j = 0; j < d; j++) mu += xs[i * d + j];
            mu /= d;
            for (int j = 0; j < d; j++) var += (xs[i * d + j] - mu) * (xs[i * d + j] - mu);
            double rs = 1 / Math.sqrt(var / d + 1e-5);
            double mG = 0, mGX = 0;
            for (int j = 0; j < d; j++) {
                double xh = (xs[i * d + j] - mu) * rs;
                assertEquals(xh * gs[j] + bs[j], y[i * d + j], 1e-4, "y");
                mG += dys[i * d + j] * gs[j] / d;
                mGX += dys[i * d + j] * gs[j] * xh / d;
                dgRef[j] += dys[i * d + j] * xh;
                dbRef[j] += dys[i * d + j];
            }
            for (int j = 0; j < d; j++) {
                double xh = (xs[i * d + j] - mu) * rs;
                assertEquals(rs * (dys[i * d + j] * gs[j] - mG - xh * mGX), dx[i * d + j], 1e-4, "dx");
            }
        }
        for (int j = 0; j < d; j++) {
            assertEquals(dgRef[j], dg[j], 1e-4, "dγ");
            assertEquals(dbRef[j], db[j], 1e-4, "dβ");
        }
    }

    /**
     * Activations of 1e20 (a diverging run) square to more than float's range: the statistics are
     * summed in double, so they still normalize to ±1 rather than to β everywhere, which would hide
     * the divergence from the trainer's checks.
     */
    @ParameterizedTest
    @ValueSource(ints = {16, 37})
    void hugeActivationsStillNormalize(int d) {
        float[] v = new float[d];
        for (int j = 0; j < d; j++) v[j] = (j % 2 == 0 ? 1e20f : -1e20f);
        NormResult r = be.layerNorm(Tensor.of(v, 1, d), null, null, 1e-5f);
        float[] y = r.y().toArray();
        for (int j = 0; j < d - (d % 2); j++) assertEquals(j % 2 == 0 ? 1.0 : -1.0, y[j], 0.1, "y[" + j + "]");
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 4, 7})
    void groupNormMatchesDoubleFormula(int hw) {
        int n = 2, c = 6, groups = 3, cpg = c / groups, sp = hw * hw, len = cpg * sp;
        Tensor x = randn(5, n, c, hw, hw).mul(2f).add(-0.7f), g = randn(6, c), b = randn(7, c), dy = randn(8, n, c, hw, hw);
        NormResult r = be.groupNorm(x, groups, g, b, 1e-5f);
        Tensor[] grads = be.groupNormBackward(x, dy, r, groups, g);
        float[] xs = x.toArray(), gs = g.toArray(), bs = b.toArray(), dys = dy.toArray();
        float[] y = r.y().toArray(), dx = grads[0].toArray(), dg = grads[1].toArray();
        double[] dgRef = new double[c];
        for (int row = 0; row < n * groups; row++) {
            int p = row * len, c0 = (row % groups) * cpg;
            double mu = 0, var = 0;
            for (int j = 0; j < len; j++) mu += xs[p + j];
            mu /= len;
            for (int j = 0; j < len; j++) var += (xs[p + j] - mu) * (xs[p + j] - mu);
            double rs = 1 / Math.sqrt(var / len + 1e-5), mG = 0, mGX = 0;
            for (int j = 0; j < len; j++) {
                int ch = c0 + j / sp;
                double xh = (xs[p + j] - mu) * rs;
                assertEquals(xh * gs[ch] + bs[ch], y[p + j], 1e-4, "y");
                mG += dys[p + j] * gs[ch] / len;
                mGX += dys[p + j] * gs[ch] * xh / len;
                dgRef[ch] += dys[p + j] * xh;
            }
            for (int j = 0; j < len; j++) {
                double xh = (xs[p + j] - mu) * rs;
                assertEquals(rs * (dys[p + j] * gs[c0 + j / sp] - mG - xh * mGX), dx[p + j], 1e-4, "dx");
            }
        }
        for (int ch = 0; ch < c; ch++) assertEquals(dgRef[ch], dg[ch], 1e-4, "dγ");
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 16, 24, 64})
    void softmaxMatchesDoubleFormula(int d) {
        int rows = 6;
        Tensor x = randn(9, rows, d).mul(4f), gy = randn(10, rows, d);
        Tensor y = be.softmax(x, 1, false), dx = be.softmaxBackward(y, gy, 1, false);
        float[] xs = x.toArray(), ys = y.toArray(), gs = gy.toArray(), dxs = dx.toArray();
        for (int i = 0; i < rows; i++) {
            double m = Double.NEGATIVE_INFINITY, s = 0, dot = 0;
            for (int j = 0; j < d; j++) m = Math.max(m, xs[i * d + j]);
            for (int j = 0; j < d; j++) s += Math.exp(xs[i * d + j] - m);
            for (int j = 0; j < d; j++) {
                double p = Math.exp(xs[i * d + j] - m) / s;
                assertEquals(p, ys[i * d + j], 1e-6, "softmax");
                dot += gs[i * d + j] * p;
            }
            for (int j = 0; j < d; j++) {
                double p = Math.exp(xs[i * d + j] - m) / s;
                assertEquals(p * (gs[i * d + j] - dot), dxs[i * d + j], 1e-5, "softmax backward");
            }
        }
    }
}
