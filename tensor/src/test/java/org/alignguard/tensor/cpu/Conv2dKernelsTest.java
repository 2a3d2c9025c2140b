package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Checks conv2d and both gradients against a naive direct convolution in double precision. */
class Conv2dKernelsTest {

    /** {n, cin, h, w, cout, kh, kw, stride, pad, bias}. */
    private static final int[][] DIRECT_SHAPES = {
            {1, 1, 5, 5, 1, 3, 3, 1, 1, 0},
            {5, 3, 7, 9, 5, 3, 3, 1, 1, 1},
            {5, 3, 7, 9, 4, 3, 3, 2, 1, 0},
            {1, 7, 8, 6, 13, 3, 3, 1, 0, 1},
            {5, 4, 9, 7, 6, 3, 3, 1, 2, 1},
            {5, 5, 10, 11, 3, 3, 3, 2, 2, 0},
            {1, 6, 9, 9, 3, 1, 1, 1, 0, 1},
            {5, 2, 6, 10, 3, 5, 3, 2, 1, 0},
            {3, 33, 8, 8, 17, 3, 3, 1, 1, 1},
            {4, 32, 8, 8, 32, 3, 3, 1, 1, 0},
            {5, 64, 6, 5, 20, 3, 3, 1, 1, 1},
            {2, 16, 16, 16, 64, 3, 3, 1, 1, 0},
            {3, 13, 12, 7, 11, 3, 3, 2, 0, 1},
            // implicit-im2col path (stride 1, ow a multiple of the vector length) and 4/8-row edge kernels
            {2, 5, 4, 32, 7, 3, 3, 1, 1, 1},
            {3, 6, 3, 48, 8, 3, 3, 1, 1, 0},
            {2, 3, 6, 18, 20, 3, 3, 1, 0, 1},
            {1, 4, 17, 16, 68, 5, 5, 1, 2, 1},
            {2, 9, 8, 16, 4, 3, 3, 1, 1, 0},
            {2, 16, 9, 7, 5, 3, 3, 2, 1, 1},
            {2, 16, 6, 6, 12, 3, 3, 1, 0, 0},
            // weight gradient: K blocks that reach past the ring of channels-last images, so slots are
            // reused (ohw 25: 12 slots; ohw 100: 4 slots, all needed by the block of pixels 256..511,
            // padded with cin 16 and unpadded), and images wider than a K block (ohw 400: 2 slots)
            {40, 16, 5, 5, 8, 3, 3, 1, 1, 0},
            {40, 3, 5, 5, 4, 3, 3, 1, 1, 1},
            {12, 16, 10, 10, 8, 3, 3, 1, 1, 0},
            {12, 3, 10, 10, 8, 3, 3, 1, 1, 1},
            {3, 16, 20, 20, 8, 3, 3, 1, 1, 0},
    };

    /**
     * Winograd F(2×2, 3×3) (WinogradTest checks these take it): tiles in vectors of two tile rows
     * (tw = 8) or one (tw = 16), odd output sizes and partial vectors (masked stores), pad 0 and 2,
     * two K blocks of input channels, cout not a multiple of the panel.
     */
    static final int[][] WINOGRAD_SHAPES = {
            {3, 32, 16, 16, 40, 3, 3, 1, 1, 1},
            {2, 33, 15, 15, 32, 3, 3, 1, 1, 0},
            {2, 32, 16, 32, 36, 3, 3, 1, 0, 1},
            {2, 32, 14, 30, 32, 3, 3, 1, 2, 0},
            {2, 32, 14, 32, 32, 3, 3, 1, 2, 1},
            {2, 32, 5, 31, 33, 3, 3, 1, 1, 1},
            {2, 32, 6, 29, 32, 3, 3, 1, 1, 0},
            {2, 300, 16, 16, 32, 3, 3, 1, 1, 0},
    };

    static final int[][] SHAPES = java.util.stream.Stream.concat(java.util.Arrays.stream(DIRECT_SHAPES),
            java.util.Arrays.stream(WINOGRAD_SHAPES)).toArray(int[][]::new);

    private static Tensor randn(Random r, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return Tensor.of(a, shape);
    }

    private static void check(String what, double[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what);
        double scale = 0;
        for (double v : expected) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], 1e-4 * (1 + scale), what + " at " + i);
    }

    @Test
    void matchesNaiveConvolution() {
        Random rnd = new Random(42);
        for (int[] s : SHAPES) {
            int n = s[0], cin = s[1], h = s[2], w = s[3], cout = s[4], kh = s[5], kw = s[6], st = s[7], pad = s[8];
            int oh = (h + 2 * pad - kh) / st + 1, ow = (w + 2 * pad - kw) / st + 1;
            String name = java.util.Arrays.toString(s);
            Tensor x = randn(rnd, n, cin, h, w), wt = randn(rnd, cout, cin, kh, kw);
            Tensor b = s[9] == 1 ? randn(rnd, cout) : null;
            Tensor gy = randn(rnd, n, cout, oh, ow);
            float[] xa = x.toArray(), wa = wt.toArray(), ga = gy.toArray(), ba = b == null ? null : b.toArray();

            double[] y = new double[n * cout * oh * ow], dx = new double[n * cin * h * w], dw = new double[cout * cin * kh * kw];
            for (int img = 0; img < n; img++)
                for (int co = 0; co < cout; co++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++) {
                            int yi = ((img * cout + co) * oh + oy) * ow + ox;
                            double acc = ba == null ? 0 : ba[co];
                            for (int c = 0; c < cin; c++)
                                for (int i = 0; i < kh; i++)
                                    for (int j = 0; j < kw; j++) {
                                        int iy = oy * st - pad + i, ix = ox * st - pad + j;
                                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                        int xi = ((img * cin + c) * h + iy) * w + ix, wi = ((co * cin + c) * kh + i) * kw + j;
                                        acc += (double) xa[xi] * wa[wi];
                                        dx[xi] += (double) ga[yi] * wa[wi];
                                        dw[wi] += (double) ga[yi] * xa[xi];
                                    }
                            y[yi] = acc;
                        }

            Tensor yT = Conv2dKernels.forward(x, wt, b, st, pad);
            Tensor dxT = Conv2dKernels.gradInput(gy, wt, x.shape(), st, pad);
            Tensor dwT = Conv2dKernels.gradWeight(gy, x, wt.shape(), st, pad);
            assertArrayEquals(new int[] {n, cout, oh, ow}, yT.shape(), name);
            check("forward " + name, y, yT.toArray());
            check("gradInput " + name, dx, dxT.toArray());
            check("gradWeight " + name, dw, dwT.toArray());

            float[][] serial = new float[3][];
            Parallel.serially(() -> {
                serial[0] = Conv2dKernels.forward(x, wt, b, st, pad).toArray();
                serial[1] = Conv2dKernels.gradInput(gy, wt, x.shape(), st, pad).toArray();
                serial[2] = Conv2dKernels.gradWeight(gy, x, wt.shape(), st, pad).toArray();
            });
            assertArrayEquals(serial[0], yT.toArray(), "forward serial vs parallel " + name);
            assertArrayEquals(serial[1], dxT.toArray(), "gradInput serial vs parallel " + name);
            assertArrayEquals(serial[2], dwT.toArray(), "gradWeight serial vs parallel " + name);
        }
    }

    /** Large enough that every kernel actually splits across threads. */
    @Test
    void bitIdenticalAcrossThreadCounts() {
        Random rnd = new Random(7);
        Tensor x = randn(rnd, 6, 32, 16, 16), wt = randn(rnd, 48, 32, 3, 3), b = randn(rnd, 48);
        Tensor gy = randn(rnd, 6, 48, 16, 16);
        for (int n : new int[] {1, 6}) {
            Tensor xs = n == 6 ? x : randn(rnd, 1, 32, 16, 16), gys = n == 6 ? gy : randn(rnd, 1, 48, 16, 16);
            float[] y = Conv2dKernels.forward(xs, wt, b, 1, 1).toArray();
            float[] dx = Conv2dKernels.gradInput(gys, wt, xs.shape(), 1, 1).toArray();
            float[] dw = Conv2dKernels.gradWeight(gys, xs, wt.shape(), 1, 1).toArray();
            float[][] serial = new float[3][];
            Parallel.serially(() -> {
                serial[0] = Conv2dKernels.forward(xs, wt, b, 1, 1).toArray();
                serial[1] = Conv2dKernels.gradInput(gys, wt, xs.shape(), 1, 1).toArray();
                serial[2] = Conv2dKernels.gradWeight(gys, xs, wt.shape(), 1, 1).toArray();
            });
            assertArrayEquals(serial[0], y, "forward n=" + n);
            assertArrayEquals(serial[1], dx, "gradInput n=" + n);
            assertArrayEquals(serial[2], dw, "gradWeight n=" + n);
        }
    }
}
