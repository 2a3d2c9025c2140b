package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Winograd F(2×2, 3×3): which shapes take it, hand-solved cases of the convolution and of its
 * weight gradient, and agreement of both with the direct path. Conv2dKernelsTest checks its values
 * and gradients against a naive double-precision convolution, and its bits at every thread count.
 */
class WinogradTest {

    /** Whether Winograd runs here: the Vector API kernels, with vectors at least MR lanes long (not NEON's 4). */
    private static boolean available() {
        return Simd.ENABLED && Winograd.ENABLED && SgemmKernel.L >= SgemmKernel.MR;
    }

    private static Conv2dKernels.Geometry geometry(int[] s) {
        return Conv2dKernels.Geometry.of(new int[] {s[0], s[1], s[2], s[3]}, new int[] {s[4], s[1], s[5], s[6]}, s[7], s[8]);
    }

    /** The gradient-input convolution of a shape: dy with the flipped kernel, channels swapped, padding k − 1 − pad. */
    private static Conv2dKernels.Geometry inputGradient(int[] s) {
        Conv2dKernels.Geometry g = geometry(s);
        return new Conv2dKernels.Geometry(g.n(), g.cout(), g.oh(), g.ow(), g.cin(), 3, 3, 1, 2 - g.pad(), g.h(), g.w());
    }

    @Test
    void takesTheShapesMeantForIt() {
        assumeTrue(Simd.ENABLED && Winograd.ENABLED, "Vector API kernels");
        if (!available()) {
            // 128-bit vectors: the direct path everywhere (an A panel row of the weight gradient is MR lanes).
            for (int[] s : Conv2dKernelsTest.WINOGRAD_SHAPES) assertFalse(Winograd.fits(geometry(s)), Arrays.toString(s));
            return;
        }
        for (int[] s : Conv2dKernelsTest.WINOGRAD_SHAPES) {
            assertTrue(Winograd.fits(geometry(s)), "forward " + Arrays.toString(s));
            assertTrue(Winograd.fits(inputGradient(s)), "input gradient " + Arrays.toString(s));
        }
        int[][] not = {
                {1, 32, 16, 16, 32, 3, 3, 1, 1, 0},     // one image
                {2, 16, 16, 16, 32, 3, 3, 1, 1, 0},     // few input channels
                {2, 32, 16, 16, 16, 3, 3, 1, 1, 0},     // few output channels
                {2, 32, 16, 16, 32, 3, 3, 2, 1, 0},     // stride 2
                {2, 32, 16, 16, 32, 5, 5, 1, 2, 0},     // 5×5
                {2, 32, 16, 6, 32, 3, 3, 1, 1, 0},      // 3 tiles a row: a vector of 8 or 16 would span 3 rows or more
        };
        for (int[] s : not) assertFalse(Winograd.fits(geometry(s)), Arrays.toString(s));
    }

    /**
     * All-ones input and kernels, padding 1: each output pixel is cin times the number of its 3×3
     * window's taps inside the image (9 inside, 6 on an edge, 4 in a corner), plus the bias. The
     * transforms add and halve small integers, so every step is exact in float.
     */
    @Test
    void handSolvedAllOnes() {
        assumeTrue(available(), "Winograd's kernels (the Vector API, vectors of MR lanes or more)");
        int n = 2, cin = 32, cout = 36, h = 16, w = 16;
        Conv2dKernels.Geometry g = Conv2dKernels.Geometry.of(new int[] {n, cin, h, w}, new int[] {cout, cin, 3, 3}, 1, 1);
        assertTrue(Winograd.fits(g));
        float[] x = new float[n * cin * h * w], wt = new float[cout * cin * 9], b = new float[cout], y = new float[n * cout * h * w];
        Arrays.fill(x, 1f);
        Arrays.fill(wt, 1f);
        for (int co = 0; co < cout; co++) b[co] = co;
        Arrays.fill(y, Float.NaN);
        Winograd.conv(x, 0, g, wt, 0, b, y);
        for (int img = 0; img < n; img++)
            for (int co = 0; co < cout; co++)
                for (int oy = 0; oy < h; oy++)
                    for (int ox = 0; ox < w; ox++) {
                        int rows = 3 - (oy == 0 ? 1 : 0) - (oy == h - 1 ? 1 : 0);
                        int cols = 3 - (ox == 0 ? 1 : 0) - (ox == w - 1 ? 1 : 0);
                        assertEquals(cin * rows * cols + co, y[((img * cout + co) * h + oy) * w + ox],
                                "image " + img + " channel " + co + " pixel (" + oy + ", " + ox + ")");
                    }
    }

    /**
     * The weight gradient of all-ones x and dY, padding 1: tap (i, j) of every kernel sums, over
     * the images, the output pixels whose tap lands inside the image: (h − |i − 1|)·(w − |j − 1|).
     * Exact in float, as above.
     */
    @Test
    void handSolvedWeightGradient() {
        assumeTrue(available(), "Winograd's kernels (the Vector API, vectors of MR lanes or more)");
        int n = 3, cin = 33, cout = 40, h = 16, w = 30;
        Conv2dKernels.Geometry g = Conv2dKernels.Geometry.of(new int[] {n, cin, h, w}, new int[] {cout, cin, 3, 3}, 1, 1);
        assertTrue(Winograd.fits(g));
        float[] x = new float[n * cin * h * w], dy = new float[n * cout * h * w], dw = new float[cout * cin * 9];
        Arrays.fill(x, 1f);
        Arrays.fill(dy, 1f);
        Arrays.fill(dw, Float.NaN);
        WinogradWeightGrad.gradWeight(dy, 0, x, 0, g, dw);
        for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++)
                        assertEquals(n * (h - Math.abs(i - 1)) * (w - Math.abs(j - 1)), dw[((co * cin + ci) * 3 + i) * 3 + j],
                                "kernel (" + co + ", " + ci + ") tap (" + i + ", " + j + ")");
    }

    /**
     * Against the direct path (im2col + GEMM) on random data: the same sums in another order, so
     * they agree to a few float roundings of the largest output (the naive check allows 1e-4).
     */
    @Test
    void agreesWithTheDirectPath() {
        assumeTrue(available(), "Winograd's kernels (the Vector API, vectors of MR lanes or more)");
        Random r = new Random(3);
        for (int[] s : Conv2dKernelsTest.WINOGRAD_SHAPES) {
            Conv2dKernels.Geometry g = geometry(s);
            float[] x = new float[g.n() * g.cin() * g.h() * g.w()], wt = new float[g.cout() * g.cin() * 9], b = new float[g.cout()];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            for (int i = 0; i < wt.length; i++) wt[i] = (float) r.nextGaussian();
            for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
            float[] direct = new float[g.n() * g.cout() * g.ohw()], wino = new float[direct.length];
            ConvGemm.conv(x, 0, g, wt, 0, b, direct);
            Winograd.conv(x, 0, g, wt, 0, b, wino);
            assertClose(direct, wino, "forward " + Arrays.toString(s));

            float[] dy = new float[direct.length], dwDirect = new float[wt.length], dwWino = new float[wt.length];
            for (int i = 0; i < dy.length; i++) dy[i] = (float) r.nextGaussian();
            ConvGemm.gradWeight(dy, 0, x, 0, g, dwDirect);
            WinogradWeightGrad.gradWeight(dy, 0, x, 0, g, dwWino);
            assertClose(dwDirect, dwWino, "weight gradient " + Arrays.toString(s));
        }
    }

    /** Equal to within 2e-6 of the largest |expected|: a few float roundings of sums in another order. */
    private static void assertClose(float[] expected, float[] actual, String what) {
        double scale = 0;
        for (float v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 2e-6 * scale, what + " at " + i);
    }
}
