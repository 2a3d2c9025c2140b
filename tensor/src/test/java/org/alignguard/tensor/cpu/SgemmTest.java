package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Checks the packed SGEMM against a naive double-precision triple loop. */
class SgemmTest {

    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 7, 3}, {7, 1, 3}, {3, 5, 1}, {7, 13, 5}, {12, 32, 8}, {13, 33, 9},
            {24, 64, 256}, {25, 65, 257}, {65, 129, 33}, {300, 17, 250}, {17, 300, 250},
            {64, 256, 256}, {100, 100, 600}, {37, 1100, 20}, {1, 300, 70}, {200, 2, 300},
    };

    /** A stored as (row-major | transposed) x B stored as (row-major | transposed), plus padding. */
    private record Operand(float[] data, int off, int rs, int cs) {
        static Operand of(Random r, int rows, int cols, boolean transposed) {
            int off = 3, ld = (transposed ? rows : cols) + 2;              // padded leading dimension
            float[] d = new float[off + ld * (transposed ? cols : rows) + 5];
            for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
            return transposed ? new Operand(d, off, 1, ld) : new Operand(d, off, ld, 1);
        }

        float at(int i, int j) { return data[off + i * rs + j * cs]; }
    }

    private static double[] naive(int m, int n, int k, Operand a, Operand b) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a.at(i, p) * b.at(p, j);
                c[i * n + j] = s;
            }
        return c;
    }

    /** Float rounding of a k-term sum of N(0,1) products (terms ~1, sums ~sqrt(k)); a wrong term is off by ~1. */
    private static void assertClose(double[] want, float[] got, int m, int n, int ldc, int offC, int k, String what) {
        double tol = 1e-5 * (1 + k / 4.0);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double w = want[i * n + j], g = got[offC + i * ldc + j];
                if (!(Math.abs(w - g) <= tol))
                    throw new AssertionError(what + " at (" + i + "," + j + "): want " + w + " got " + g);
            }
    }

    private static void check(int m, int n, int k, boolean ta, boolean tb, boolean accumulate, long seed) {
        Random r = new Random(seed);
        Operand a = Operand.of(r, m, k, ta), b = Operand.of(r, k, n, tb);
        int offC = 2, ldc = n + 3;
        float[] c0 = new float[offC + m * ldc + 4];
        for (int i = 0; i < c0.length; i++) c0[i] = (float) r.nextGaussian();
        double[] want = naive(m, n, k, a, b);
        if (accumulate)
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) want[i * n + j] += c0[offC + i * ldc + j];

        String what = m + "x" + n + "x" + k + (ta ? " At" : "") + (tb ? " Bt" : "") + (accumulate ? " acc" : "");
        float[] serial = c0.clone(), par = c0.clone(), scalar = c0.clone();
        Sgemm.gemm(m, n, k, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, serial, offC, ldc, accumulate, false);
        Sgemm.gemm(m, n, k, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, par, offC, ldc, accumulate, true);
        Sgemm.scalar(m, n, k, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, scalar, offC, ldc, accumulate, true);
        assertClose(want, serial, m, n, ldc, offC, k, what + " serial");
        assertClose(want, scalar, m, n, ldc, offC, k, what + " scalar");
        assertArrayEquals(serial, par, what + ": parallel result must be bit-identical to single-threaded");
        // Nothing outside the C window is touched (padding, leading-dimension gap).
        for (int i = 0; i < c0.length; i++) {
            int row = (i - offC) / ldc, col = (i - offC) % ldc;
            boolean inside = i >= offC && row < m && col < n;
            if (!inside) assertEquals(c0[i], serial[i], what + ": wrote outside C at " + i);
        }
    }

    @Test
    void matchesNaiveOnManyShapesAndLayouts() {
        long seed = 1;
        for (int[] s : SHAPES)
            for (int layout = 0; layout < 4; layout++)
                check(s[0], s[1], s[2], (layout & 1) != 0, (layout & 2) != 0, false, seed++);
    }

    @Test
    void accumulateAddsToC() {
        long seed = 100;
        for (int[] s : SHAPES) check(s[0], s[1], s[2], false, false, true, seed++);
        check(65, 129, 33, true, true, true, seed++);
        check(300, 17, 600, true, false, true, seed);
    }

    @Test
    void largeEnoughToRunInParallelAndBlockK() {
        // Bigger than the M and N blocks, odd sizes: exercises every edge path and both splits; the
        // last two run several K blocks (1025 = 513 + 512, and three of 700).
        check(261, 530, 700, false, false, false, 7);
        check(1250, 40, 300, false, true, true, 8);
        check(40, 1250, 300, true, false, false, 9);
        check(30, 70, 1025, false, true, false, 11);
        check(70, 200, 2100, true, false, true, 10);
    }

    @Test
    void kBlocksAreEqualAndAtMostGemmKc() {
        assertEquals(1024, SgemmKernel.GEMM_KC, "the hand-solved cases below assume the default");
        assertEquals(0, SgemmKernel.kStep(0));                // no blocks (an empty product)
        assertEquals(300, SgemmKernel.kStep(300));            // one block
        assertEquals(1024, SgemmKernel.kStep(1024));
        assertEquals(513, SgemmKernel.kStep(1025));           // two blocks, 513 + 512
        assertEquals(700, SgemmKernel.kStep(2100));           // three blocks
        // B blocks of at most 64K floats in whole panels (NR columns), never wider than NC.
        assertEquals(64, SgemmKernel.ncFor(1024));
        assertEquals(256, SgemmKernel.ncFor(256));
        assertEquals(SgemmKernel.NC, SgemmKernel.ncFor(16));
        assertEquals(SgemmKernel.NR, SgemmKernel.ncFor(100_000));
    }

    @Test
    void sumsEachKBlockInOrderThenAddsItToC() {
        // The operation order of every C element, emulated in scalar code: within a K block of
        // kStep(k), one fused multiply-add chain from zero; each block's sum then added to C (the
        // first block stores it). The packed product must give exactly these bits, on one thread and
        // on several (26 rows: large enough to split, each part with an edge tile; 40 columns).
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.ENABLED, "the packed kernels need the Vector API");
        Random r = new Random(12);
        int m = 26, n = 40, k = 2100, ks = SgemmKernel.kStep(k);
        org.junit.jupiter.api.Assertions.assertTrue((long) m * n * k >= SgemmKernel.PARALLEL_MIN_MACS, "large enough to run in parallel");
        float[] a = new float[m * k], b = new float[k * n], serial = new float[m * n], par = new float[m * n];
        float[] want = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        Sgemm.gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, serial, 0, n, false, false);
        Sgemm.gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, par, 0, n, false, true);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p0 = 0; p0 < k; p0 += ks) {
                    float acc = 0f;
                    for (int p = p0; p < Math.min(k, p0 + ks); p++) acc = Math.fma(a[i * k + p], b[p * n + j], acc);
                    want[i * n + j] = p0 == 0 ? acc : want[i * n + j] + acc;
                }
        assertArrayEquals(want, serial);
        assertArrayEquals(want, par);
    }

    @Test
    void kZeroClearsOrKeepsC() {
        float[] c = {1, 2, 3, 4};
        Sgemm.gemm(2, 2, 0, new float[0], 0, 0, 1, new float[0], 0, 2, 1, c, 0, 2, true, true);
        assertArrayEquals(new float[] {1, 2, 3, 4}, c);
        Sgemm.gemm(2, 2, 0, new float[0], 0, 0, 1, new float[0], 0, 2, 1, c, 0, 2, false, true);
        assertArrayEquals(new float[4], c);
    }

    @Test
    void sameBitsAtEveryThreadSplit() {
        // Results must not depend on where the M/N split falls: compare sub-blocks computed alone.
        Random r = new Random(42);
        int m = 150, n = 170, k = 1100;                        // two K blocks
        Operand a = Operand.of(r, m, k, false), b = Operand.of(r, k, n, false);
        float[] whole = new float[m * n];
        Sgemm.gemm(m, n, k, a.data, a.off, a.rs, a.cs, b.data, b.off, b.rs, b.cs, whole, 0, n, false, false);
        float[] pieces = new float[m * n];
        int[] rowCuts = {0, 5, 61, 150}, colCuts = {0, 33, 100, 170};
        for (int ri = 0; ri + 1 < rowCuts.length; ri++)
            for (int ci = 0; ci + 1 < colCuts.length; ci++) {
                int i0 = rowCuts[ri], j0 = colCuts[ci];
                Sgemm.gemm(rowCuts[ri + 1] - i0, colCuts[ci + 1] - j0, k,
                        a.data, a.off + i0 * a.rs, a.rs, a.cs, b.data, b.off + j0 * b.cs, b.rs, b.cs,
                        pieces, i0 * n + j0, n, false, false);
            }
        assertArrayEquals(whole, pieces);
    }

    @Test
    void packingLaysOutEveryElementWhereTheKernelReadsIt() {
        // packA: ap[d0 + p*MR + i] = A(i, p), rows past mr zero; packB: panel q at d0 + q*NR*kc holds
        // B(p, q*NR + j) at p*NR + j, columns past nc zero. Checked element by element for the fast
        // paths (a whole row-major A panel, in 4x4 blocks where MR = 12; row-major B) and the strided
        // ones, at K lengths that are and are not multiples of their 4- and 8-step loops.
        Random r = new Random(5);
        int mr = SgemmKernel.MR, nr = SgemmKernel.NR;
        for (int kc : new int[] {1, 3, 4, 7, 9, 16, 257}) {
            for (int rows : new int[] {mr, mr - 1, 1}) {
                for (boolean rowMajor : new boolean[] {true, false}) {
                    Operand a = Operand.of(r, rows, kc, !rowMajor);
                    int d0 = 5;
                    float[] ap = new float[d0 + mr * kc + 3];
                    java.util.Arrays.fill(ap, Float.NaN);
                    SgemmKernel.packA(rows, kc, a.data, a.off, a.rs, a.cs, ap, d0);
                    for (int p = 0; p < kc; p++)
                        for (int i = 0; i < mr; i++)
                            assertEquals(i < rows ? a.at(i, p) : 0f, ap[d0 + p * mr + i], "packA kc=" + kc + " rows=" + rows + " i=" + i + " p=" + p);
                    for (int q : new int[] {0, d0 - 1, d0 + mr * kc, ap.length - 1})
                        assertEquals(Float.NaN, ap[q], "packA wrote outside its panel at " + q);
                }
            }
            for (int cols : new int[] {2 * nr, 2 * nr + 5, 3}) {
                for (boolean rowMajor : new boolean[] {true, false}) {
                    Operand b = Operand.of(r, kc, cols, !rowMajor);
                    int panels = (cols + nr - 1) / nr;
                    float[] bp = new float[panels * nr * kc];
                    java.util.Arrays.fill(bp, Float.NaN);
                    SgemmKernel.packB(kc, cols, b.data, b.off, b.rs, b.cs, bp);
                    for (int q = 0; q < panels; q++)
                        for (int p = 0; p < kc; p++)
                            for (int j = 0; j < nr; j++) {
                                int col = q * nr + j;
                                assertEquals(col < cols ? b.at(p, col) : 0f, bp[q * nr * kc + p * nr + j], "packB kc=" + kc + " col=" + col + " p=" + p);
                            }
                }
            }
        }
    }

    @Test
    void theKernelsOnlyBenchmarkComputesTheSameProduct() {
        // Sgemm.kernelsOnly (bench's sgemm1024-kernels) packs first and then times the kernels: what it
        // computes must still be the product, to the bit (partial panels, several K and N blocks).
        org.junit.jupiter.api.Assumptions.assumeTrue(Simd.ENABLED, "the packed kernels need the Vector API");
        Random r = new Random(11);
        int m = 100, n = 600, k = 1100;                        // two K blocks of 550, several B blocks
        float[] a = new float[m * k], b = new float[k * n], want = new float[m * n], got = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
        Sgemm.gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, want, 0, n, false, true);
        Sgemm.kernelsOnly(m, n, k, a, b, got).run();
        assertArrayEquals(want, got);
    }
}
