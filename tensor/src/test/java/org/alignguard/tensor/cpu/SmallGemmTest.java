package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The narrow-product kernel ({@link SmallGemm}) gives the packed GEMM's bits exactly, for every
 * layout of A and B, with and without accumulation, at row counts that end in each of its tails
 * (blocks of 12, of 4, single rows) and at column counts that end in a partial vector. SgemmTest
 * checks both against a double-precision loop; this checks that switching between them changes no
 * result anywhere (a trained model, a fixture).
 */
class SmallGemmTest {

    private static float[] gaussian(Random r, int n) {
        float[] d = new float[n];
        for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
        return d;
    }

    @Test
    void sameBitsAsThePackedGemm() {
        Assumptions.assumeTrue(Simd.ENABLED, "the Vector API kernels (the scalar run has no SmallGemm)");
        int lanes = SgemmKernel.L;
        int[] ms = {1, 3, 4, 11, 12, 16, 24, 29, 64, 100};
        int[] ns = {1, lanes - 1, lanes, lanes + 5, 2 * lanes, 3 * lanes - 2, 3 * lanes, 4 * lanes};
        int[] ks = {1, 16, 24, 64, SgemmKernel.KC};
        Random r = new Random(5);
        int checked = 0;
        for (int m : ms)
            for (int n : ns)
                for (int k : ks) {
                    int layout = checked % 4;
                    boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0, acc = checked % 3 == 0;
                    checked++;
                    assertTrue(SmallGemm.fits(n, k));
                    int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
                    float[] a = gaussian(r, 2 + lda * (ta ? k : m)), b = gaussian(r, 1 + ldb * (tb ? n : k));
                    int rsA = ta ? 1 : lda, csA = ta ? lda : 1, rsB = tb ? 1 : ldb, csB = tb ? ldb : 1;
                    float[] c0 = gaussian(r, 4 + m * ldc + 3);
                    float[] small = c0.clone(), packed = c0.clone();
                    SmallGemm.gemm(m, n, k, a, 2, rsA, csA, b, 1, rsB, csB, small, 4, ldc, acc, true);
                    SgemmKernel.gemm(m, n, k, a, 2, rsA, csA, b, 1, rsB, csB, packed, 4, ldc, acc, true);
                    assertArrayEquals(packed, small, m + "x" + n + "x" + k + " layout " + layout + (acc ? " acc" : ""));
                }
    }

    @Test
    void wideOrDeepProductsGoToThePackedGemm() {
        assertTrue(!SmallGemm.fits(4 * SgemmKernel.L + 1, 16));
        assertTrue(!SmallGemm.fits(16, SgemmKernel.KC + 1));
    }
}
