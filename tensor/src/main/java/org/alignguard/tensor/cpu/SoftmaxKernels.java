package org.alignguard.tensor.cpu;

import org.alignguard.tensor.Tensor;

/**
 * Softmax and log-softmax along one axis, with the max subtracted for stability.
 *
 * <pre>
 *   softmax:      y_i = exp(x_i - m) / Σ_j exp(x_j - m)
 *   log_softmax:  y_i = x_i - m - log Σ_j exp(x_j - m)
 *   backward:     softmax      dx_i = y_i (g_i - Σ_j g_j y_j)
 *                 log_softmax  dx_i = g_i - exp(y_i) Σ_j g_j
 * </pre>
 * The axis is moved last (a copy unless it already is), rows are processed in parallel.
 */
final class SoftmaxKernels {
    private SoftmaxKernels() {}

    private static Tensor lastAxis(Tensor t, int axis) {
        return axis == t.ndim() - 1 ? t.contiguous() : t.transpose(axis, -1).contiguous();
    }

    private static Tensor restore(Tensor t, int axis, int nd) {
        return axis == nd - 1 ? t : t.transpose(axis, -1).contiguous();
    }

    static Tensor forward(Tensor a, int axis, boolean log) {
        Tensor c = lastAxis(a, axis);
        int n = c.dim(-1), rows = c.numel() / Math.max(1, n);
        float[] x = c.storage().hostArray();
        int base = c.offset();
        Tensor out = Tensor.zeros(c.shape());
        float[] y = out.data();
        Parallel.forRange(rows, 8L * n, r -> {
            int p = base + r * n, q = r * n;
            float m = Simd.max(x, p, n);
            float s = Simd.expShiftSum(x, p, m, y, q, n);
            if (log) {
                float lse = m + (float) Math.log(s);
                for (int i = 0; i < n; i++) y[q + i] = x[p + i] - lse;
            } else {
                Simd.scale(1f / s, y, q, y, q, n);
            }
        });
        return restore(out, axis, a.ndim());
    }

    static Tensor backward(Tensor yT, Tensor gT, int axis, boolean log) {
        Tensor yc = lastAxis(yT, axis), gc = lastAxis(gT, axis);
        int n = yc.dim(-1), rows = yc.numel() / Math.max(1, n);
        float[] y = Host.read(yc), g = Host.read(gc);
        Tensor out = Tensor.zeros(yc.shape());
        float[] dx = out.data();
        Parallel.forRange(rows, 4L * n, r -> {
            int p = r * n;
            double s = 0;
            if (log) {
                for (int i = 0; i < n; i++) s += g[p + i];
                for (int i = 0; i < n; i++) dx[p + i] = g[p + i] - (float) Math.exp(y[p + i]) * (float) s;
            } else if (Simd.ENABLED) {
                VectorKernels.softmaxGrad(y, g, VectorKernels.dot(g, p, y, p, n), dx, p, n);
            } else {
                for (int i = 0; i < n; i++) s += g[p + i] * y[p + i];
                for (int i = 0; i < n; i++) dx[p + i] = y[p + i] * (g[p + i] - (float) s);
            }
        });
        return restore(out, axis, yT.ndim());
    }
}
