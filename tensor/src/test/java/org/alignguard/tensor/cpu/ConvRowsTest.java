package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The batch-wide implicit GEMM for 4- and 8-wide maps ({@link ConvRows}) gives the bits of the path
 * it replaced: Conv2dKernels.convSmall (one GEMM over an unfolded batch, K in the product's blocks,
 * SgemmKernel.kStep) for small maps of several images, ConvGemm.conv (image by image, even K blocks) otherwise. Conv2dKernelsTest
 * checks all of them against a double-precision convolution; this checks that switching changed no
 * result (a trained model, a fixture). The shapes cover a last panel that the batch fills only in
 * part, K split in blocks (cin·9 > 256 for ConvGemm's blocks, cin·9 > 1024 for the product's),
 * padding 0 and 2, 1×1 kernels and Cout off the 12-row panels.
 */
class ConvRowsTest {

    private static float[] gaussian(Random r, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) r.nextGaussian();
        return d;
    }

    @Test
    void sameBitsAsThePathItReplaced() {
        Assumptions.assumeTrue(Simd.ENABLED, "the Vector API kernels (the scalar run has no ConvRows)");
        // {n, cin, h, w, cout, k, pad}
        int[][] shapes = {
                {16, 64, 4, 4, 64, 3, 1}, {3, 64, 4, 4, 70, 3, 1}, {5, 33, 8, 8, 17, 3, 1}, {16, 64, 8, 8, 64, 3, 1},
                {2, 7, 6, 6, 5, 3, 0}, {3, 5, 4, 4, 13, 5, 2}, {4, 40, 4, 4, 24, 1, 0}, {1, 64, 8, 8, 64, 3, 1},
                {1, 128, 4, 4, 64, 3, 1}, {7, 20, 8, 8, 9, 1, 0}, {3, 128, 4, 4, 64, 3, 1},
        };
        Random r = new Random(11);
        int checked = 0;
        for (int[] s : shapes) {
            int[] x = {s[0], s[1], s[2], s[3]}, wShape = {s[4], s[1], s[5], s[5]};
            Conv2dKernels.Geometry g = Conv2dKernels.Geometry.of(x, wShape, 1, s[6]);
            // With 8 lanes (256-bit vectors) only the 4-wide maps are ConvRows'; 8-wide maps take the other paths.
            if (g.ow() >= SgemmKernel.L) {
                assertFalse(ConvRows.fits(g), () -> java.util.Arrays.toString(s));
                continue;
            }
            assertTrue(ConvRows.fits(g), () -> java.util.Arrays.toString(s));
            float[] xs = gaussian(r, 3 + s[0] * s[1] * s[2] * s[3]), ws = gaussian(r, 2 + s[4] * s[1] * s[5] * s[5]);
            float[] bs = checked++ % 2 == 0 ? gaussian(r, s[4]) : null;
            int outN = g.n() * g.cout() * g.ohw();
            float[] before = new float[outN], now = new float[outN];
            boolean wasSmall = Conv2dKernels.batchedSmall(g);
            if (wasSmall) Conv2dKernels.convSmall(xs, 3, g, ws, 2, bs, before);
            else ConvGemm.conv(xs, 3, g, ws, 2, bs, before);
            ConvRows.conv(xs, 3, g, ws, 2, bs, now, wasSmall ? SgemmKernel.kStep(g.ckk()) : ConvGemm.kStep(g.ckk()));
            assertArrayEquals(before, now, java.util.Arrays.toString(s));
        }
    }
}
