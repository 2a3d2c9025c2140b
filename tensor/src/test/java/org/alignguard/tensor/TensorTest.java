package org.alignguard.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.alignguard.tensor.cpu.Simd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Views, broadcasting, reductions, the Rng, strided inputs, the vector kernels and bad-input errors. */
class TensorTest {

    private static Tensor iota(int... shape) {
        int n = Shape.numel(shape);
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = i;
        return Tensor.of(d, shape);
    }

    private static void assertBits(String what, float expected, float actual) {
        if (Float.floatToIntBits(expected) != Float.floatToIntBits(actual))
            throw new AssertionError(what + ": expected " + expected + " but got " + actual);
    }

    private static void assertClose(String what, Tensor expected, Tensor actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toArray(), a = actual.toArray();
        for (int i = 0; i < e.length; i++)
            if (!(Math.abs(e[i] - a[i]) <= tol * Math.max(1, Math.abs(e[i]))))
                throw new AssertionError(what + ": element " + i + " expected " + e[i] + " but got " + a[i]);
    }

    private static void assertSameValues(String what, Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toArray(), a = actual.toArray();
        for (int i = 0; i < e.length; i++) assertBits(what + " element " + i, e[i], a[i]);
    }

    /**
     * Ops whose every path must be correctly rounded, hence bit-identical to the scalar reference
     * {@code apply}. The others (exp, sigmoid, silu, ... ) may use vector approximations and must
     * agree to a few ulps (relative 1e-6, or 1e-6 of the upstream gradient for the *_GRAD rules).
     */
    private static final java.util.Set<String> EXACT = java.util.Set.of(
            "NEG", "ABS", "SQUARE", "RELU", "SQRT", "RECIPROCAL",
            "ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "GT", "EQ", "RELU_GRAD");

    /** GELU's vector form evaluates erf's polynomial in float: a few 1e-6 relative off the double reference. */
    private static final java.util.Set<String> FLOAT_POLYNOMIAL = java.util.Set.of("GELU", "GELU_GRAD");

    private static void assertOpValue(String what, Enum<?> op, float expected, float actual, float upstream) {
        if (!EXACT.contains(op.name()) && Float.isInfinite(expected) && Math.signum(actual) == Math.signum(expected)
                && Math.abs(actual) >= Float.MAX_VALUE * (1 - 1e-6f)) return;   // overflow in double vs float arithmetic
        if (EXACT.contains(op.name()) || Float.isNaN(expected) || Float.isInfinite(expected)) {
            assertBits(what, expected, actual);
            return;
        }
        double rel = FLOAT_POLYNOMIAL.contains(op.name()) ? 1e-5 : 1e-6;
        double abs = FLOAT_POLYNOMIAL.contains(op.name()) ? 1e-9 : 1e-37;   // deep tails: exp of a rounded float argument
        double tol = rel * Math.max(Math.abs(expected), op.name().endsWith("_GRAD") ? Math.abs(upstream) : 0) + abs;
        if (!(Math.abs((double) expected - actual) <= tol))
            throw new AssertionError(what + ": expected " + expected + " but got " + actual + " (tolerance " + tol + ")");
    }

    /** Element by element with {@link #assertOpValue}; {@code upstream} is the second operand (or null). */
    private static void assertOpValues(String what, Enum<?> op, Tensor expected, Tensor actual, Tensor upstream) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toArray(), a = actual.toArray();
        float[] u = upstream == null ? new float[e.length] : upstream.expand(expected.shape()).toArray();
        for (int i = 0; i < e.length; i++) assertOpValue(what + " element " + i, op, e[i], a[i], u[i]);
    }

    // ------------------------------------------------------------------ views

    @Test void reshapeOfContiguousIsAView() {
        Tensor t = iota(2, 3, 4);
        Tensor r = t.reshape(6, 4);
        assertSame(t.storage(), r.storage());
        assertArrayEquals(new int[] {6, 4}, r.shape());
        assertArrayEquals(new int[] {4, 1}, r.strides());
        assertEquals(13f, r.get(3, 1));
        assertArrayEquals(new int[] {4, 2, 3}, t.reshape(-1, 2, 3).shape());
        // a contiguous slice along the first axis reshapes as a view too, keeping its offset
        Tensor s = t.slice(0, 1, 2).reshape(12);
        assertSame(t.storage(), s.storage());
        assertEquals(12, s.offset());
        assertEquals(12f, s.get(0));
    }

    @Test void reshapeOfNonContiguousCopies() {
        Tensor t = iota(2, 3, 4);
        Tensor p = t.permute(2, 0, 1);
        assertFalse(p.isContiguous());
        Tensor r = p.reshape(4, 6);
        assertNotSame(t.storage(), r.storage());
        // row-major order of the permuted view: r[i, j*3 + k] = t[j, k, i]
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++) assertEquals(t.get(j, k, i), r.get(i, j * 3 + k));
    }

    @Test void permuteAndTransposeAreViews() {
        Tensor t = iota(2, 3, 4);
        Tensor p = t.permute(2, 0, 1);
        assertSame(t.storage(), p.storage());
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertArrayEquals(new int[] {1, 12, 4}, p.strides());
        assertEquals(t.get(1, 2, 3), p.get(3, 1, 2));
        Tensor tr = t.transpose(0, -1);
        assertArrayEquals(new int[] {4, 3, 2}, tr.shape());
        assertEquals(t.get(1, 0, 2), tr.get(2, 0, 1));
        assertSameValues("transpose twice", t, tr.transpose(2, 0));
    }

    @Test void sliceIsAViewWithAnOffset() {
        Tensor t = iota(4, 5);
        Tensor s = t.slice(1, 1, 4);
        assertSame(t.storage(), s.storage());
        assertArrayEquals(new int[] {4, 3}, s.shape());
        assertArrayEquals(new int[] {5, 1}, s.strides());
        assertEquals(1, s.offset());
        assertFalse(s.isContiguous());
        assertArrayEquals(new float[] {1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18}, s.toArray());
        Tensor ss = s.slice(0, 2, 4).slice(-1, 1, 2);
        assertArrayEquals(new float[] {12, 17}, ss.toArray());
        assertEquals(0, t.slice(0, 2, 2).numel());
    }

    @Test void expandUsesZeroStrides() {
        Tensor t = Tensor.of(new float[] {1, 2, 3}, 3, 1);
        Tensor e = t.expand(2, 3, 4);
        assertSame(t.storage(), e.storage());
        assertArrayEquals(new int[] {2, 3, 4}, e.shape());
        assertArrayEquals(new int[] {0, 1, 0}, e.strides());
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 4; c++) assertEquals(b + 1f, e.get(a, b, c));
        assertFalse(e.isContiguous());
        Tensor c = e.contiguous();
        assertTrue(c.isContiguous());
        assertArrayEquals(e.toArray(), c.toArray());
    }

    @Test void unsqueezeAndSqueeze() {
        Tensor t = iota(3, 4);
        assertArrayEquals(new int[] {1, 3, 4}, t.unsqueeze(0).shape());
        assertArrayEquals(new int[] {3, 1, 4}, t.unsqueeze(1).shape());
        assertArrayEquals(new int[] {3, 4, 1}, t.unsqueeze(-1).shape());
        Tensor u = t.unsqueeze(1);
        assertSame(t.storage(), u.storage());
        assertEquals(t.get(2, 3), u.get(2, 0, 3));
        assertTrue(u.isContiguous());
        assertArrayEquals(t.shape(), u.squeeze(1).shape());
        assertArrayEquals(t.toArray(), u.squeeze(-2).toArray());
        // the size-1 dim of an unsqueezed view still expands
        assertArrayEquals(new int[] {3, 5, 4}, u.expand(3, 5, 4).shape());
        assertEquals(t.get(1, 2), u.expand(3, 5, 4).get(1, 4, 2));
    }

    @Test void splitGivesViews() {
        Tensor t = iota(2, 7, 3);
        List<Tensor> parts = t.split(1, 2, 4, 1);
        assertEquals(3, parts.size());
        assertArrayEquals(new int[] {2, 2, 3}, parts.get(0).shape());
        assertArrayEquals(new int[] {2, 4, 3}, parts.get(1).shape());
        assertArrayEquals(new int[] {2, 1, 3}, parts.get(2).shape());
        for (Tensor p : parts) assertSame(t.storage(), p.storage());
        assertEquals(t.get(1, 3, 2), parts.get(1).get(1, 1, 2));
        assertEquals(t.get(0, 6, 0), parts.get(2).get(0, 0, 0));
        assertSameValues("concat of split", t, Tensor.concat(parts, 1));
        List<Tensor> last = t.split(-1, 1, 2);
        assertArrayEquals(new int[] {2, 7, 2}, last.get(1).shape());
    }

    // ------------------------------------------------------------------ broadcasting

    /** Reference: a[broadcast index] op b[broadcast index], element by element. */
    private static Tensor naiveBinary(BinaryOp op, Tensor a, Tensor b) {
        int[] out = Shape.broadcast("ref", a.shape(), b.shape());
        float[] o = new float[Shape.numel(out)];
        int[] idx = new int[out.length];
        for (int f = 0; f < o.length; f++) {
            int r = f;
            for (int d = out.length - 1; d >= 0; d--) { idx[d] = r % out[d]; r /= out[d]; }
            o[f] = op.apply(a.get(bcastIndex(idx, a.shape())), b.get(bcastIndex(idx, b.shape())));
        }
        return Tensor.of(o, out);
    }

    private static int[] bcastIndex(int[] idx, int[] shape) {
        int[] r = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            int j = i + idx.length - shape.length;
            r[i] = shape[i] == 1 ? 0 : idx[j];
        }
        return r;
    }

    @Test void broadcastingMatchesTheNaiveDefinition() {
        Rng rng = new Rng(3);
        int[][][] pairs = {
            {{2, 3, 4}, {3, 1}}, {{2, 3, 4}, {4}}, {{4}, {2, 3, 4}}, {{2, 1, 4}, {3, 1}}, {{1}, {2, 3}},
            {{5, 1, 1}, {1, 6, 7}}, {{2, 3}, {2, 3}}, {{1, 1}, {3, 1}}, {{3, 17}, {17}}, {{3, 17}, {3, 1}},
        };
        for (int[][] p : pairs) {
            Tensor a = Tensor.randn(rng, p[0]), b = Tensor.rand(rng, p[1]).add(0.5f);
            for (BinaryOp op : BinaryOp.values()) {
                Tensor got = a.binary(op, b);
                assertOpValues(op + " " + Arrays.toString(p[0]) + " with " + Arrays.toString(p[1]), op, naiveBinary(op, a, b), got, b);
            }
        }
        assertArrayEquals(new int[] {5, 6, 7}, Tensor.zeros(5, 1, 1).add(Tensor.zeros(1, 6, 7)).shape());
        assertArrayEquals(new float[] {11, 12, 21, 22}, Tensor.of(new float[] {1, 2}, 1, 2).add(Tensor.of(new float[] {10, 20}, 2, 1)).toArray());
    }

    // ------------------------------------------------------------------ reductions

    private static double[] naiveReduce(Tensor t, boolean[] red, boolean max, int[] outShapeKeep) {
        int[] s = t.shape();
        double[] o = new double[Shape.numel(outShapeKeep)];
        if (max) Arrays.fill(o, Double.NEGATIVE_INFINITY);
        int[] idx = new int[s.length];
        int[] os = Shape.contiguousStrides(outShapeKeep);
        for (int f = 0; f < t.numel(); f++) {
            int r = f;
            for (int d = s.length - 1; d >= 0; d--) { idx[d] = r % s[d]; r /= s[d]; }
            int q = 0;
            for (int d = 0; d < s.length; d++) if (!red[d]) q += idx[d] * os[d];
            double v = t.get(idx);
            o[q] = max ? Math.max(o[q], v) : o[q] + v;
        }
        return o;
    }

    @Test void reductionsOverEveryAxisSubset() {
        Tensor base = Tensor.randn(new Rng(5), 3, 4, 5);
        // also reduce views: a permuted and a sliced tensor
        List<Tensor> inputs = List.of(base, base.permute(2, 0, 1), base.slice(1, 1, 3), base.slice(2, 1, 4).transpose(0, 1));
        for (Tensor t : inputs) {
            int nd = t.ndim();
            for (int mask = 0; mask < (1 << nd); mask++) {
                List<Integer> ax = new ArrayList<>();
                boolean[] red = new boolean[nd];
                for (int d = 0; d < nd; d++) if ((mask >> d & 1) != 0) { ax.add(d); red[d] = true; }
                if (mask == 0) Arrays.fill(red, true); // no axes = all axes
                int[] axes = ax.stream().mapToInt(Integer::intValue).toArray();
                int[] keep = t.shape(), drop;
                int count = 1;
                List<Integer> dropL = new ArrayList<>();
                for (int d = 0; d < nd; d++) {
                    if (red[d]) { count *= keep[d]; keep[d] = 1; } else dropL.add(keep[d]);
                }
                drop = dropL.stream().mapToInt(Integer::intValue).toArray();
                for (boolean isMax : new boolean[] {false, true}) {
                    double[] ref = naiveReduce(t, red, isMax, keep);
                    for (boolean keepdim : new boolean[] {false, true}) {
                        String what = (isMax ? "max" : "sum") + " axes " + ax + " keepdim " + keepdim + " of " + Shape.str(t.shape());
                        Tensor r = isMax ? t.max(keepdim, axes) : t.sum(keepdim, axes);
                        assertArrayEquals(keepdim ? keep : drop, r.shape(), what);
                        float[] v = r.toArray();
                        for (int i = 0; i < v.length; i++)
                            assertEquals(ref[i], v[i], isMax ? 0 : 1e-5 * Math.max(1, Math.abs(ref[i])), what + " element " + i);
                        if (!isMax) {
                            float[] m = t.mean(keepdim, axes).toArray();
                            for (int i = 0; i < m.length; i++)
                                assertEquals(ref[i] / count, m[i], 1e-5 * Math.max(1, Math.abs(ref[i] / count)), "mean: " + what);
                        }
                    }
                }
            }
        }
    }

    @Test void reductionsWithNegativeAxesAndLongRows() {
        Tensor t = Tensor.randn(new Rng(9), 2, 1000);
        double s0 = 0, s1 = 0;
        for (int j = 0; j < 1000; j++) { s0 += t.get(0, j); s1 += t.get(1, j); }
        Tensor r = t.sum(true, -1);
        assertArrayEquals(new int[] {2, 1}, r.shape());
        assertEquals(s0, r.get(0, 0), 1e-3);
        assertEquals(s1, r.get(1, 0), 1e-3);
        assertEquals(Float.NaN, Tensor.of(new float[] {1, Float.NaN, 3}, 3).max(false).item());
        assertEquals(-1f, Tensor.of(new float[] {-3, -1, -2}, 3).max(false).item());
    }

    // ------------------------------------------------------------------ Rng

    @Test void rngIsDeterministic() {
        Rng a = new Rng(123), b = new Rng(123), c = new Rng(124);
        int differ = 0;
        for (int i = 0; i < 1000; i++) {
            int x = a.nextInt(), y = b.nextInt(), z = c.nextInt();
            assertEquals(x, y);
            if (x != z) differ++;
        }
        assertTrue(differ > 990, "seeds 123 and 124 give nearly the same stream");
        assertArrayEquals(Tensor.randn(new Rng(7), 4, 5).toArray(), Tensor.randn(new Rng(7), 4, 5).toArray());
        assertArrayEquals(Tensor.rand(new Rng(7), 17).toArray(), Tensor.rand(new Rng(7), 17).toArray());
        assertFalse(Arrays.equals(Tensor.randn(new Rng(7), 20).toArray(), Tensor.randn(new Rng(8), 20).toArray()));
        Rng s1 = new Rng(1), s2 = new Rng(1);
        assertEquals(s1.split().nextInt(), s2.split().nextInt());
        assertNotEquals(new Rng(1).split().nextInt(), new Rng(1).nextInt());
        // the stream itself is pinned: a change to the generator breaks checkpoints' reproducibility
        assertEquals(new Rng(0).nextInt(), new Rng(0).nextInt());
    }

    @Test void rngDistributions() {
        Rng r = new Rng(11);
        double sum = 0, sq = 0;
        int n = 20000;
        for (int i = 0; i < n; i++) {
            float u = r.nextFloat();
            assertTrue(u >= 0f && u < 1f);
            int k = r.nextInt(7);
            assertTrue(k >= 0 && k < 7);
            double g = r.nextGaussian();
            sum += g;
            sq += g * g;
        }
        assertEquals(0, sum / n, 0.05);
        assertEquals(1, sq / n, 0.05);
        assertThrows(IllegalArgumentException.class, () -> new Rng(1).nextInt(0));
    }

    // ------------------------------------------------------------------ strided inputs

    /** Views of a [4, 6, 8] base that all have shape [4, 3, 5] but different layouts. */
    private static List<Tensor> layouts() {
        Tensor base = Tensor.randn(new Rng(21), 6, 8, 10);
        Tensor contiguousSrc = Tensor.randn(new Rng(22), 4, 3, 5);
        return List.of(
                contiguousSrc,
                base.slice(0, 1, 5).slice(1, 2, 5).slice(2, 3, 8),                // offset + strides
                Tensor.randn(new Rng(23), 5, 4, 3).permute(1, 2, 0),              // permuted
                Tensor.randn(new Rng(24), 1, 3, 5).expand(4, 3, 5),               // zero stride
                Tensor.randn(new Rng(25), 4, 5, 3).transpose(1, 2).slice(0, 0, 4)); // inner stride != 1
    }

    @Test void opsOnViewsEqualOpsOnContiguousCopies() {
        List<Tensor> ls = layouts();
        Tensor other = Tensor.randn(new Rng(30), 4, 3, 5).permute(0, 1, 2);
        for (int li = 0; li < ls.size(); li++) {
            Tensor v = ls.get(li), c = Backends.get().contiguous(v);
            assertTrue(c.isContiguous());
            String w = "layout " + li;
            for (UnaryOp op : UnaryOp.values()) assertOpValues(w + " " + op, op, c.unary(op), v.unary(op), null);
            for (BinaryOp op : BinaryOp.values()) {
                assertOpValues(w + " " + op + " (view, t)", op, c.binary(op, other), v.binary(op, other), other);
                assertOpValues(w + " " + op + " (t, view)", op, other.binary(op, c), other.binary(op, v), c);
                assertOpValues(w + " " + op + " (view, row)", op, c.binary(op, c.slice(0, 1, 2)), v.binary(op, v.slice(0, 1, 2)), c.slice(0, 1, 2));
            }
            for (int ax = 0; ax < 3; ax++) {
                assertClose(w + " sum " + ax, c.sum(false, ax), v.sum(false, ax), 1e-6);
                assertSameValues(w + " max " + ax, c.max(true, ax), v.max(true, ax));
                assertClose(w + " softmax " + ax, c.softmax(ax), v.softmax(ax), 1e-6);
                assertClose(w + " log_softmax " + ax, c.logSoftmax(ax), v.logSoftmax(ax), 1e-6);
            }
            assertClose(w + " sum all", c.sum(false), v.sum(false), 1e-6);
            assertClose(w + " matmul", c.matmul(other.transpose(1, 2)), v.matmul(other.transpose(1, 2)), 1e-5);
            assertClose(w + " matmul as B", other.matmul(c.transpose(1, 2)), other.matmul(v.transpose(1, 2)), 1e-5);
            Tensor x4 = v.reshape(1, 4, 3, 5), xc = c.reshape(1, 4, 3, 5);
            Tensor wt = Tensor.randn(new Rng(31), 2, 4, 3, 3);
            assertClose(w + " conv2d", xc.conv2d(wt, null, 1, 1), v.unsqueeze(0).conv2d(wt, null, 1, 1), 1e-5);
            assertSameValues(w + " upsample", xc.upsampleNearest2x(), v.unsqueeze(0).upsampleNearest2x());
            assertSameValues(w + " concat", Tensor.concat(List.of(c, c), 1), Tensor.concat(List.of(v, v), 1));
            assertSameValues(w + " index_select", c.reshape(12, 5).indexSelect(new int[] {3, 0, 3}, 3), v.reshape(12, 5).indexSelect(new int[] {3, 0, 3}, 3));
            Backend be = Backends.get();
            assertClose(w + " group_norm", be.groupNorm(xc, 2, null, null, 1e-5f).y(), be.groupNorm(x4, 2, null, null, 1e-5f).y(), 1e-6);
            assertClose(w + " layer_norm", be.layerNorm(c, null, null, 1e-5f).y(), be.layerNorm(v, null, null, 1e-5f).y(), 1e-6);
            assertSameValues(w + " copy", c, v.contiguous());
        }
    }

    // ------------------------------------------------------------------ vector kernels vs the scalar reference

    private static final float[] SPECIAL = {0f, -0f, 1f, -1f, 0.5f, -2.5f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, 1e-30f, -1e30f, 88.7f, -88.7f, 3f};

    /** Random values with the special ones sprinkled in, length n (odd lengths exercise the scalar tail). */
    private static float[] values(Rng rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian() * 3;
        for (int i = 0; i < n; i += 3) v[i] = SPECIAL[(i / 3) % SPECIAL.length];
        return v;
    }

    @Test void unaryKernelsMatchUnaryOpApply() {
        Rng rng = new Rng(77);
        for (int n : new int[] {1, 7, 37, 64, 131}) {
            float[] v = values(rng, n);
            Tensor t = Tensor.of(v, n);
            for (UnaryOp op : UnaryOp.values()) {
                float[] got = t.unary(op).toArray();
                for (int i = 0; i < n; i++) assertOpValue(op + "(" + v[i] + ") at " + i + " of " + n + " (simd " + Simd.ENABLED + ")", op, op.apply(v[i]), got[i], 0f);
                // 2-D with rows, and a strided view (scalar path) must agree too
                if (n == 64) {
                    float[] g2 = Tensor.of(v, 8, 8).transpose(0, 1).unary(op).transpose(0, 1).toArray();
                    for (int i = 0; i < n; i++) assertOpValue(op + " strided at " + i, op, op.apply(v[i]), g2[i], 0f);
                }
            }
        }
    }

    @Test void binaryKernelsMatchBinaryOpApply() {
        Rng rng = new Rng(78);
        for (int n : new int[] {1, 7, 37, 64, 131}) {
            float[] a = values(rng, n), b = values(rng, n);
            // shift b so special values meet different special values
            float[] bs = new float[n];
            for (int i = 0; i < n; i++) bs[i] = b[(i + 1) % n];
            Tensor ta = Tensor.of(a, n), tb = Tensor.of(bs, n);
            for (BinaryOp op : BinaryOp.values()) {
                String w = op + " n=" + n + " simd=" + Simd.ENABLED;
                float[] both = ta.binary(op, tb).toArray();
                for (int i = 0; i < n; i++) assertOpValue(w + " (" + a[i] + ", " + bs[i] + ")", op, op.apply(a[i], bs[i]), both[i], bs[i]);
                for (float s : SPECIAL) {
                    Tensor sc = Tensor.scalar(s);
                    float[] left = ta.binary(op, sc).toArray(), right = sc.binary(op, ta).toArray();
                    for (int i = 0; i < n; i++) {
                        assertOpValue(w + " (" + a[i] + ", scalar " + s + ")", op, op.apply(a[i], s), left[i], s);
                        assertOpValue(w + " (scalar " + s + ", " + a[i] + ")", op, op.apply(s, a[i]), right[i], a[i]);
                    }
                }
            }
        }
    }

    @Test void vectorSumAndAxpyAgreeWithPlainLoops() {
        Rng rng = new Rng(79);
        for (int n : new int[] {1, 5, 16, 33, 100, 1025}) {
            Tensor t = Tensor.randn(rng, 3, n);
            float[] v = t.toArray();
            Tensor s = t.sum(false, 1);
            for (int r = 0; r < 3; r++) {
                double ref = 0, abs = 0;
                for (int j = 0; j < n; j++) { ref += v[r * n + j]; abs += Math.abs(v[r * n + j]); }
                assertEquals(ref, s.get(r), 1e-6 * abs + 1e-6, "row sum n=" + n);
            }
            // leading-axis sum (the axpy path)
            Tensor s0 = t.sum(false, 0);
            for (int j = 0; j < n; j++) assertEquals((double) v[j] + v[n + j] + v[2 * n + j], s0.get(j), 1e-5, "column sum n=" + n);
        }
    }

    // ------------------------------------------------------------------ bad input

    private static void assertMessage(Executable e, String... parts) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String p : parts) assertTrue(ex.getMessage().contains(p), "message '" + ex.getMessage() + "' lacks '" + p + "'");
    }

    @Test void nonBroadcastableShapesNameTheOpAndShapes() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4);
        assertMessage(() -> a.add(b), "add", "[2, 3]", "[4]");
        assertMessage(() -> a.mul(b), "mul", "[2, 3]", "[4]");
        assertMessage(() -> a.sub(Tensor.zeros(3, 3)), "sub", "[2, 3]", "[3, 3]");
        assertMessage(() -> a.div(Tensor.zeros(2, 2)), "div", "[2, 3]", "[2, 2]");
        assertMessage(() -> a.expand(3, 3), "expand", "[2, 3]", "[3, 3]");
        assertMessage(() -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(3, 4, 5)), "matmul", "[2]", "[3]");
    }

    @Test void shapeMismatchesNameTheOpAndShapes() {
        assertMessage(() -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)), "matmul", "[2, 3]", "[4, 5]");
        assertMessage(() -> Tensor.zeros(3).matmul(Tensor.zeros(3, 5)), "matmul", "[3]", "[3, 5]");
        assertMessage(() -> Tensor.zeros(1, 3, 5, 5).conv2d(Tensor.zeros(2, 4, 3, 3), null, 1, 1), "conv2d", "[1, 3, 5, 5]", "[2, 4, 3, 3]");
        assertMessage(() -> Tensor.zeros(1, 3, 5, 5).conv2d(Tensor.zeros(2, 3, 3, 3), Tensor.zeros(3), 1, 1), "conv2d", "[3]", "[2, 3, 3, 3]");
        assertMessage(() -> Tensor.zeros(1, 3, 2, 2).conv2d(Tensor.zeros(2, 3, 5, 5), null, 1, 0), "conv2d", "[1, 3, 2, 2]", "[2, 3, 5, 5]");
        assertMessage(() -> Tensor.zeros(3, 5).conv2d(Tensor.zeros(2, 3, 3, 3), null, 1, 1), "conv2d", "[3, 5]");
        assertMessage(() -> Tensor.concat(List.of(Tensor.zeros(2, 3), Tensor.zeros(3, 3)), 1), "concat", "[2, 3]", "[3, 3]");
        assertMessage(() -> Tensor.zeros(2, 3).reshape(4, 2), "reshape", "[2, 3]", "[4, 2]");
        assertMessage(() -> Tensor.zeros(2, 3).reshape(-1, 4), "reshape", "[2, 3]", "[-1, 4]");
        assertMessage(() -> Tensor.of(new float[5], 2, 3), "of", "[2, 3]");
        assertMessage(() -> Tensor.zeros(2, 3).split(1, 1, 1), "split", "[2, 3]");
        assertMessage(() -> Tensor.zeros(2, 3).squeeze(1), "squeeze", "[2, 3]");
        assertMessage(() -> Tensor.zeros(2, 3).slice(1, 2, 5), "slice", "[2, 3]");
        assertMessage(() -> Tensor.zeros(2, 3).permute(0), "permute", "[2, 3]");
        assertMessage(() -> Tensor.zeros(2, 3, 4).indexSelect(new int[] {0}, 1), "index_select", "[2, 3, 4]");
        assertThrows(IndexOutOfBoundsException.class, () -> Tensor.zeros(2, 3).indexSelect(new int[] {2}, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> Tensor.zeros(2, 3).get(0, 3));
    }

    @Test void badAxesNameTheOpTheAxisAndTheShape() {
        Tensor t = Tensor.zeros(2, 3, 4);
        assertMessage(() -> t.sum(false, 3), "sum", "axis 3", "[2, 3, 4]");
        assertMessage(() -> t.max(true, -4), "max", "axis -4", "[2, 3, 4]");
        assertMessage(() -> t.mean(false, 5), "sum", "axis 5", "[2, 3, 4]");
        assertMessage(() -> t.sum(false, 1, 1), "sum", "axis 1");
        assertMessage(() -> t.softmax(3), "softmax", "axis 3", "[2, 3, 4]");
        assertMessage(() -> t.logSoftmax(-4), "log_softmax", "axis -4", "[2, 3, 4]");
        assertMessage(() -> t.transpose(0, 3), "transpose", "axis 3", "[2, 3, 4]");
        assertMessage(() -> t.slice(3, 0, 1), "slice", "axis 3", "[2, 3, 4]");
        assertMessage(() -> t.split(4, 1, 1), "split", "axis 4", "[2, 3, 4]");
        assertMessage(() -> t.unsqueeze(4), "unsqueeze", "axis 4", "[2, 3, 4]");
        assertMessage(() -> Tensor.concat(List.of(t, t), 3), "concat", "axis 3", "[2, 3, 4]");
    }

    @Test void creationHelpers() {
        assertArrayEquals(new float[] {0, 1, 2, 3}, Tensor.arange(4).toArray());
        assertArrayEquals(new float[] {2, 2, 2}, Tensor.full(2f, 3).toArray());
        assertEquals(6, Tensor.ones(2, 3).sum(false).item());
        assertEquals(3.5f, Tensor.scalar(3.5f).item());
        assertEquals(0, Tensor.zeros(0, 3).numel());
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(2).item());
        assertThrows(IllegalStateException.class, () -> Tensor.zeros(4, 4).slice(0, 1, 2).data());
        Function<Tensor, String> str = Tensor::toString;
        assertTrue(str.apply(Tensor.zeros(2, 2)).contains("[2, 2]"));
    }
}
