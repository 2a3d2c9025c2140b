package org.alignguard.tensor.cpu;

/**
 * Decides once whether the Vector API kernels are used: they are unless the
 * {@code jdk.incubator.vector} module is missing or {@code -Dalignguard.scalar=true} asks for the
 * scalar fallback (useful to check the kernels against plain loops).
 */
public final class Simd {
    private Simd() {}

    public static final boolean ENABLED = !Boolean.getBoolean("alignguard.scalar")
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** Sum of a[p .. p+n), vectorized when enabled. */
    static float sum(float[] a, int p, int n) {
        if (ENABLED) return VectorKernels.sum(a, p, n);
        float s = 0;
        for (int i = 0; i < n; i++) s += a[p + i];
        return s;
    }

    static float max(float[] a, int p, int n) {
        if (ENABLED) return VectorKernels.max(a, p, n);
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, a[p + i]);
        return m;
    }

    /** y = exp(x − m) over n elements; returns Σ y. */
    static float expShiftSum(float[] x, int p, float m, float[] y, int q, int n) {
        if (ENABLED) return VectorKernels.expShiftSum(x, p, m, y, q, n);
        double s = 0;
        for (int i = 0; i < n; i++) {
            y[q + i] = (float) Math.exp(x[p + i] - m);
            s += y[q + i];
        }
        return (float) s;
    }

    /** y = a · x over n elements (in place allowed). */
    static void scale(float a, float[] x, int p, float[] y, int q, int n) {
        if (ENABLED) {
            VectorKernels.scale(a, x, p, y, q, n);
            return;
        }
        for (int i = 0; i < n; i++) y[q + i] = a * x[p + i];
    }

    /** y += alpha * x over n contiguous elements. */
    static void axpy(float alpha, float[] x, int px, float[] y, int py, int n) {
        if (ENABLED) {
            VectorKernels.axpy(alpha, x, px, y, py, n);
            return;
        }
        for (int i = 0; i < n; i++) y[py + i] += alpha * x[px + i];
    }
}
