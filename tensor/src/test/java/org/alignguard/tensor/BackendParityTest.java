package org.alignguard.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.alignguard.tensor.Backend.NormResult;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every tensor op on the TornadoVM backend against the CPU backend, within 1e-4 relative.
 *
 * <p>Each case builds its inputs from a seed and runs once with each backend selected, so the same
 * {@link Tensor} code (views, broadcasting, scalars) goes through both. Where TornadoVM was not built
 * or finds no OpenCL device, every test here is skipped, with the reason, never passed.
 */
class BackendParityTest {
    private static final double REL = 1e-4;
    private static Backend cpu, tornado;
    private static String absent;

    @BeforeAll static void start() {
        cpu = Backends.named("cpu");
        try {
            tornado = Backends.named("tornado");
        } catch (BackendUnavailableException e) {
            absent = e.getMessage();
        }
    }

    private static void needTornado() {
        Assumptions.assumeTrue(tornado != null, () -> "TornadoVM backend absent, test skipped: " + absent);
    }

    private static Tensor under(Backend b, Supplier<Tensor> f) {
        Backend before = Backends.get();
        Backends.use(b);
        try {
            return f.get();
        } finally {
            Backends.use(before);
        }
    }

    /**
     * Runs {@code f} on both backends and compares. {@code onDevice}: the op has a device kernel, so
     * its result must live on the device and no CPU fallback may have run.
     */
    private static void same(String what, boolean onDevice, Supplier<Tensor> f) {
        needTornado();
        Tensor e = under(cpu, f);
        DeviceStats s0 = tornado.stats();
        Tensor a = under(tornado, f);
        DeviceStats ds = tornado.stats().minus(s0);
        assertTrue(ds.device().startsWith("OpenCL"), what + ": ran on " + ds.device());
        if (onDevice) {
            assertEquals("opencl:0", a.storage().device(), what + ": result not on the device");
            assertTrue(ds.launches() > 0, what + ": no kernel launched");
            assertEquals(0, ds.fallbacks(), what + ": fell back to the CPU");
        }
        assertArrayEquals(e.shape(), a.shape(), what + ": shape");
        float[] ev = e.toArray(), av = a.toArray();
        for (int i = 0; i < ev.length; i++) {
            boolean ok = Float.isNaN(ev[i]) ? Float.isNaN(av[i]) : Math.abs(ev[i] - av[i]) <= REL * Math.max(1, Math.abs(ev[i]))
                    || ev[i] == av[i];
            if (!ok) throw new AssertionError(what + ": element " + i + " cpu " + ev[i] + " tornado " + av[i]);
        }
    }

    private static Tensor randn(long seed, int... shape) {
        return Tensor.randn(new Rng(seed), shape);
    }

    private static Tensor positive(long seed, int... shape) {
        return Tensor.rand(new Rng(seed), shape).add(0.05f);
    }

    @Test void backendIsOnAnOpenClDeviceWithBailoutOff() {
        needTornado();
        assertTrue(tornado.name().contains("OpenCL"), tornado.name());
        assertEquals("False", System.getProperty("tornado.recover.bailout"), "a failed kernel compile must not silently run on the CPU");
    }

    @Test void unaryOps() {
        for (UnaryOp op : UnaryOp.values()) {
            boolean pos = op == UnaryOp.LOG || op == UnaryOp.SQRT || op == UnaryOp.RECIPROCAL;
            same(op.name(), true, () -> (pos ? positive(1, 3, 70) : randn(1, 3, 70).mul(3f)).unary(op));
        }
    }

    @Test void binaryOpsWithBroadcastingViewsAndScalars() {
        for (BinaryOp op : BinaryOp.values()) {
            boolean pos = op == BinaryOp.POW;
            Supplier<Tensor> a = () -> pos ? positive(2, 4, 1, 5) : randn(2, 4, 1, 5);
            same(op + " broadcast", true, () -> a.get().binary(op, randn(3, 3, 1)));
            same(op + " transposed", true, () -> (pos ? positive(4, 5, 6) : randn(4, 5, 6)).transpose(0, 1).binary(op, randn(5, 6, 5)));
            same(op + " scalar", true, () -> a.get().binary(op, Tensor.scalar(0.75f)));
            same(op + " scalar first", true, () -> Tensor.scalar(1.5f).binary(op, randn(6, 7)));
        }
        same("clamp", true, () -> randn(7, 9, 9).clamp(-0.5f, 0.5f));
    }

    @Test void reductions() {
        int[][] axes = {{0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}};
        for (int[] ax : axes) {
            same("sum " + java.util.Arrays.toString(ax), true, () -> randn(8, 6, 5, 33).sum(true, ax));
            same("max " + java.util.Arrays.toString(ax), true, () -> randn(9, 6, 5, 33).max(false, ax));
        }
        same("mean of a view", true, () -> randn(10, 8, 40).transpose(0, 1).mean(false, 1));
    }

    @Test void matmulAndAddmm() {
        same("matmul 2-D, sizes not multiples of the tile", true, () -> randn(11, 37, 50).matmul(randn(12, 50, 29)));
        same("matmul transposed views", true, () -> randn(13, 50, 37).transpose(0, 1).matmul(randn(14, 29, 50).transpose(0, 1)));
        same("batched matmul with broadcast", true, () -> randn(15, 2, 3, 17, 20).matmul(randn(16, 3, 20, 9)));
        same("attention-shaped", true, () -> randn(17, 2, 4, 64, 16).matmul(randn(18, 2, 4, 64, 16).transpose(-1, -2)));
        same("addmm bias", true, () -> Tensor.addmm(randn(19, 33), randn(20, 40, 70), randn(21, 70, 33)));
        same("addmm matrix", true, () -> Tensor.addmm(randn(22, 40, 33), randn(23, 40, 70), randn(24, 70, 33)));
    }

    @Test void softmaxForwardAndBackward() {
        for (boolean log : new boolean[] {false, true}) {
            for (int axis : new int[] {-1, 1}) {
                same("softmax log=" + log + " axis " + axis, true, () -> log ? randn(25, 3, 20, 7).mul(4f).logSoftmax(axis) : randn(25, 3, 20, 7).mul(4f).softmax(axis));
                same("softmax backward log=" + log + " axis " + axis, true, () -> {
                    Tensor y = log ? randn(26, 3, 20, 7).logSoftmax(axis) : randn(26, 3, 20, 7).softmax(axis);
                    return Backends.get().softmaxBackward(y, randn(27, 3, 20, 7), Shape.axis("t", axis, y.shape()), log);
                });
            }
        }
    }

    @Test void layoutOps() {
        same("contiguous of a permutation", true, () -> randn(28, 2, 3, 4, 5).permute(3, 1, 0, 2).contiguous());
        same("concat", true, () -> Tensor.concat(List.of(randn(29, 2, 3, 4), randn(30, 2, 5, 4).slice(1, 1, 4), randn(31, 2, 1, 4)), 1));
        same("upsample", true, () -> randn(32, 2, 3, 5, 4).upsampleNearest2x());
        same("upsample of a view", true, () -> randn(33, 3, 2, 5, 4).transpose(0, 1).upsampleNearest2x());
        same("sum pool 2x", true, () -> Backends.get().sumPool2x(randn(34, 2, 3, 6, 8)));
    }

    @Test void convolutionAndItsGradients() {
        int[][] cases = {{1, 1}, {2, 1}, {1, 0}, {2, 0}};   // {stride, padding}
        for (int[] c : cases) {
            int st = c[0], pad = c[1];
            String k = " stride " + st + " padding " + pad;
            same("conv2d" + k, true, () -> randn(35, 2, 3, 9, 9).conv2d(randn(36, 5, 3, 3, 3), randn(37, 5), st, pad));
            same("conv2d no bias" + k, true, () -> randn(35, 2, 3, 9, 9).conv2d(randn(36, 5, 3, 3, 3), null, st, pad));
            int o = (9 + 2 * pad - 3) / st + 1;
            same("conv2d grad input" + k, true, () -> Backends.get().conv2dGradInput(randn(38, 2, 5, o, o), randn(36, 5, 3, 3, 3), new int[] {2, 3, 9, 9}, st, pad));
            same("conv2d grad weight" + k, true, () -> Backends.get().conv2dGradWeight(randn(38, 2, 5, o, o), randn(35, 2, 3, 9, 9), new int[] {5, 3, 3, 3}, st, pad));
        }
        same("conv2d 1x1 of a view", true, () -> randn(39, 3, 2, 6, 6).transpose(0, 1).conv2d(randn(40, 4, 3, 1, 1), randn(41, 4), 1, 0));
    }

    @Test void normsForwardAndBackward() {
        for (boolean affine : new boolean[] {true, false}) {
            Supplier<Tensor> gamma = () -> affine ? randn(42, 8) : null, beta = () -> affine ? randn(43, 8) : null;
            same("group norm affine=" + affine, true, () -> Backends.get().groupNorm(randn(44, 2, 8, 5, 5), 4, gamma.get(), beta.get(), 1e-5f).y());
            same("group norm statistics", true, () -> Backends.get().groupNorm(randn(44, 2, 8, 5, 5), 4, gamma.get(), beta.get(), 1e-5f).rstd());
            for (int part = 0; part < (affine ? 3 : 1); part++) {
                int which = part;
                same("group norm backward " + which + " affine=" + affine, true, () -> {
                    Backend b = Backends.get();
                    Tensor x = randn(44, 2, 8, 5, 5);
                    return b.groupNormBackward(x, randn(45, 2, 8, 5, 5), b.groupNorm(x, 4, gamma.get(), beta.get(), 1e-5f), 4, gamma.get())[which];
                });
            }
        }
        Supplier<Tensor> g = () -> randn(46, 16);
        same("layer norm", true, () -> Backends.get().layerNorm(randn(47, 3, 6, 16), g.get(), randn(48, 16), 1e-5f).y());
        for (int part = 0; part < 3; part++) {
            int which = part;
            same("layer norm backward " + which, true, () -> {
                Backend b = Backends.get();
                Tensor x = randn(47, 3, 6, 16);
                return b.layerNormBackward(x, randn(49, 3, 6, 16), b.layerNorm(x, g.get(), randn(48, 16), 1e-5f), g.get())[which];
            });
        }
    }

    @Test void embeddingRows() {
        same("index select", true, () -> randn(50, 10, 6).indexSelect(new int[] {3, 1, 3, 9}, 2, 2));
        same("index add with repeats", true, () -> Backends.get().indexAdd(randn(51, 2, 2, 6), new int[] {3, 1, 3, 9}, 10));
    }

    @Test void optimizerStep() {
        for (int part = 0; part < 3; part++) {
            int which = part;
            same("adamw " + which, true, () -> Backends.get().adamw(randn(52, 7, 300), randn(53, 7, 300), randn(54, 7, 300).mul(0.1f),
                    positive(55, 7, 300).mul(0.01f), 0.9f, 0.999f, 1e-8f, 1e-3f / 0.1f, (float) Math.sqrt(0.001), 1f - 1e-3f * 0.01f)[which]);
        }
        needTornado();
        List<Tensor> ts = List.of(randn(56, 3000), randn(57, 5, 7), randn(58, 1));
        double e = cpu.sumOfSquares(ts), a = tornado.sumOfSquares(ts);
        assertEquals(e, a, 1e-4 * e, "sum of squares");
    }

    /** The kernels an op always runs back to back are one task graph: one launch per op. */
    @Test void convolutionAddmmAndNormBackwardAreOneLaunchEach() {
        needTornado();
        Backends.use(tornado);
        try {
            Tensor x = randn(60, 2, 3, 9, 9), w = randn(61, 5, 3, 3, 3), bias = randn(62, 5), gy = randn(63, 2, 5, 9, 9);
            Tensor c = randn(64, 33), a = randn(65, 40, 70), b = randn(66, 70, 33), gamma = randn(67, 3), beta = randn(68, 3);
            NormResult saved = tornado.groupNorm(x, 3, gamma, beta, 1e-5f);
            assertEquals(1, launches(() -> x.conv2d(w, bias, 1, 1)), "conv2d with bias: copy, im2col, GEMM");
            assertEquals(1, launches(() -> x.conv2d(w, null, 2, 0)), "conv2d: im2col, GEMM");
            assertEquals(1, launches(() -> tornado.conv2dGradInput(gy, w, new int[] {2, 3, 9, 9}, 1, 1)), "grad input: GEMM, col2im");
            assertEquals(1, launches(() -> tornado.conv2dGradWeight(gy, x, new int[] {5, 3, 3, 3}, 1, 1)), "grad weight: copy, im2col, copy, GEMM");
            assertEquals(1, launches(() -> Tensor.addmm(c, a, b)), "addmm: copy, GEMM");
            assertEquals(1, launches(() -> tornado.groupNormBackward(x, x, saved, 3, gamma)[0]), "norm backward: dx, dγ and dβ");
        } finally {
            Backends.use(cpu);
        }
    }

    /** Kernel launches of {@code f}, its inputs already on the device. */
    private static long launches(Supplier<Tensor> f) {
        f.get();                                          // uploads the host inputs, once
        long before = tornado.stats().launches();
        f.get();
        return tornado.stats().launches() - before;
    }

    @Test void deviceResultsStayOnTheDeviceUntilRead() {
        needTornado();
        Backends.use(tornado);
        try {
            Tensor x = randn(45, 64, 64), w = randn(46, 64, 64);
            Tensor h = x.matmul(w);                           // x and w uploaded once
            DeviceStats s0 = tornado.stats();
            Tensor y = h.silu().matmul(w).add(h).softmax(-1).mul(2f).sum(false, 1);
            DeviceStats ops = tornado.stats().minus(s0);
            assertEquals(0, ops.transfers(), "a chain of device ops copied data: " + ops);
            assertTrue(ops.launches() >= 6, ops.toString());
            y.toArray();
            DeviceStats read = tornado.stats().minus(s0);
            assertEquals(1, read.downloads(), "reading the result is one download: " + read);
            assertEquals(4L * 64, read.downloadBytes(), read.toString());
        } finally {
            Backends.use(cpu);
        }
    }
}
