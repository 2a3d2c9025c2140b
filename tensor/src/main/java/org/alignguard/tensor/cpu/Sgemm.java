package org.alignguard.tensor.cpu;

/**
 * Single-precision matrix multiply C[M,N] (+)= A[M,K] · B[K,N] on strided operands.
 *
 * <p>A element (i,k) is at {@code a[offA + i*rsA + k*csA]}, likewise B; C is row-major with leading
 * dimension {@code ldc}. {@code accumulate} means C += A·B, otherwise C = A·B.
 *
 * <p>With the Vector API enabled this runs {@link SgemmKernel}'s packed, cache-blocked micro-kernel;
 * otherwise a scalar loop. Either way work is split over rows or columns of C only (never over K),
 * so the result does not depend on the thread count. This class itself does not touch
 * {@code jdk.incubator.vector}, so the scalar path works without that module.
 */
public final class Sgemm {
    private Sgemm() {}

    public static void gemm(int m, int n, int k,
                            float[] a, int offA, int rsA, int csA,
                            float[] b, int offB, int rsB, int csB,
                            float[] c, int offC, int ldc, boolean accumulate, boolean parallel) {
        if (m <= 0 || n <= 0) return;
        if (Simd.ENABLED) {
            if (m == 1 && csB == 1 && k > 0) {        // row vector times matrix: stream B once
                if (!accumulate) java.util.Arrays.fill(c, offC, offC + n, 0f);
                for (int p = 0; p < k; p++) Simd.axpy(a[offA + p * csA], b, offB + p * rsB, c, offC, n);
                return;
            }
            if (SmallGemm.fits(n, k)) {                // narrow products: no packing of A (SmallGemm)
                SmallGemm.gemm(m, n, k, a, offA, rsA, csA, b, offB, rsB, csB, c, offC, ldc, accumulate, parallel);
                return;
            }
            SgemmKernel.gemm(m, n, k, a, offA, rsA, csA, b, offB, rsB, csB, c, offC, ldc, accumulate, parallel);
            return;
        }
        scalar(m, n, k, a, offA, rsA, csA, b, offB, rsB, csB, c, offC, ldc, accumulate, parallel);
    }

    /**
     * For benchmarks (Vector API only): the product C = A·B of row-major A [m, k] and B [k, n], with
     * both operands packed beforehand, so that running it times the micro-kernels alone.
     */
    public static Runnable kernelsOnly(int m, int n, int k, float[] a, float[] b, float[] c) {
        if (!Simd.ENABLED) throw new IllegalStateException("the packed micro-kernels need the Vector API");
        return SgemmKernel.kernelsOnly(m, n, k, a, b, c);
    }

    /** Plain i-k-j loop (B packed row-major first when it is not unit-stride along N). */
    static void scalar(int m, int n, int k,
                       float[] a, int offA, int rsA, int csA,
                       float[] b, int offB, int rsB, int csB,
                       float[] c, int offC, int ldc, boolean accumulate, boolean parallel) {
        float[] bp = b;
        int ob = offB, rb = rsB;
        if (csB != 1 && m > 1) {
            bp = new float[k * n];
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) bp[p * n + j] = b[offB + p * rsB + j * csB];
            ob = 0;
            rb = n;
        }
        final float[] B = bp;
        final int OB = ob, RB = rb, CB = csB != 1 && m > 1 ? 1 : csB;
        Parallel.ChunkBody rowsBody = (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int ci = offC + i * ldc;
                if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0f);
                for (int p = 0; p < k; p++) {
                    float aip = a[offA + i * rsA + p * csA];
                    int bo = OB + p * RB;
                    for (int j = 0; j < n; j++) c[ci + j] += aip * B[bo + j * CB];
                }
            }
        };
        if (parallel) Parallel.forChunks(m, (long) n * k, rowsBody);
        else rowsBody.run(0, m);
    }
}
