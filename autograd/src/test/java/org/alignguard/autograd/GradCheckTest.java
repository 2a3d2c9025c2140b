package org.alignguard.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.alignguard.tensor.BinaryOp;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * Central finite differences against the backward of every differentiable op (see {@link GradCheck}),
 * plus self-tests showing that the check rejects wrong backward functions.
 */
class GradCheckTest {
    private final Rng rng = new Rng(42);

    private Tensor randn(int... shape) {
        return Tensor.randn(rng, shape);
    }

    /** In [0.5, 2): safe for log, sqrt, division and fractional powers. */
    private Tensor positive(int... shape) {
        return Tensor.rand(rng, shape).mul(1.5f).add(0.5f);
    }

    /** Normal values at least 0.1 from zero: relu has no kink within eps. */
    private Tensor awayFromZero(int... shape) {
        float[] v = randn(shape).toArray();
        for (int i = 0; i < v.length; i++) v[i] = Math.signum(v[i]) * (Math.abs(v[i]) + 0.1f);
        return Tensor.of(v, shape);
    }

    /** A shuffled ramp with steps of 0.1: no ties, so max keeps its argmax under a 0.01 nudge. */
    private Tensor distinct(int... shape) {
        int n = Tensor.zeros(shape).numel();
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i - n / 2) * 0.1f;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float t = v[i]; v[i] = v[j]; v[j] = t;
        }
        return Tensor.of(v, shape);
    }

    private static Variable x0(List<Variable> x) { return x.get(0); }

    // ------------------------------------------------------------------ element-wise binary

    @Test void addBroadcast() {
        GradCheck.check("add [2,3,4]+[3,1]", x -> Ops.add(x.get(0), x.get(1)), randn(2, 3, 4), randn(3, 1));
        GradCheck.check("add [4]+[2,3,4]", x -> Ops.add(x.get(0), x.get(1)), randn(4), randn(2, 3, 4));
    }

    @Test void subBroadcast() {
        GradCheck.check("sub [2,3,4]-[4]", x -> Ops.sub(x.get(0), x.get(1)), randn(2, 3, 4), randn(4));
        GradCheck.check("sub [2,1,4]-[3,1]", x -> Ops.sub(x.get(0), x.get(1)), randn(2, 1, 4), randn(3, 1));
    }

    @Test void mulBroadcast() {
        GradCheck.check("mul [2,3,4]*[3,1]", x -> Ops.mul(x.get(0), x.get(1)), randn(2, 3, 4), randn(3, 1));
        GradCheck.check("mul x*x", x -> Ops.mul(x0(x), x0(x)), randn(3, 4));
    }

    @Test void divBroadcast() {
        GradCheck.check("div [2,3,4]/[4]", x -> Ops.div(x.get(0), x.get(1)), randn(2, 3, 4), positive(4));
        GradCheck.check("div [3,1]/[2,3,4]", x -> Ops.div(x.get(0), x.get(1)), randn(3, 1), positive(2, 3, 4));
    }

    @Test void scalarOps() {
        GradCheck.check("add_scalar", x -> Ops.addScalar(x0(x), 1.5f), randn(3, 4));
        GradCheck.check("mul_scalar", x -> Ops.mulScalar(x0(x), -2.5f), randn(3, 4));
        GradCheck.check("neg", x -> x0(x).neg(), randn(3, 4));
    }

    // ------------------------------------------------------------------ unary

    @Test void pow() {
        GradCheck.check("pow 2.5", x -> Ops.pow(x0(x), 2.5f), positive(3, 4));
        GradCheck.check("pow 3", x -> Ops.pow(x0(x), 3f), randn(3, 4));
        GradCheck.check("pow -0.5", x -> Ops.pow(x0(x), -0.5f), positive(3, 4));
    }

    @Test void unary() {
        GradCheck.check("exp", x -> Ops.exp(x0(x)), randn(3, 5));
        GradCheck.check("log", x -> Ops.log(x0(x)), positive(3, 5));
        GradCheck.check("sqrt", x -> Ops.sqrt(x0(x)), positive(3, 5));
        GradCheck.check("square", x -> Ops.square(x0(x)), randn(3, 5));
        GradCheck.check("tanh", x -> Ops.tanh(x0(x)), randn(3, 5));
        GradCheck.check("sigmoid", x -> Ops.sigmoid(x0(x)), randn(3, 5).mul(2f));
        GradCheck.check("silu", x -> Ops.silu(x0(x)), randn(3, 5).mul(2f));
        GradCheck.check("gelu", x -> Ops.gelu(x0(x)), randn(3, 5).mul(2f));
        GradCheck.check("relu", x -> Ops.relu(x0(x)), awayFromZero(3, 5));
    }

    // ------------------------------------------------------------------ reductions

    @Test void sumAndMean() {
        GradCheck.check("sum all", x -> Ops.sum(x0(x), false), randn(2, 3, 4));
        GradCheck.check("sum axis 1", x -> Ops.sum(x0(x), false, 1), randn(2, 3, 4));
        GradCheck.check("sum axis 0", x -> Ops.sum(x0(x), false, 0), randn(2, 3, 4));
        GradCheck.check("sum axes 0,2 keepdim", x -> Ops.sum(x0(x), true, 0, 2), randn(2, 3, 4));
        GradCheck.check("sum axis -1 keepdim", x -> Ops.sum(x0(x), true, -1), randn(2, 3, 4));
        GradCheck.check("mean all", x -> Ops.mean(x0(x), false), randn(2, 3, 4));
        GradCheck.check("mean axes 1,2", x -> Ops.mean(x0(x), false, 1, 2), randn(2, 3, 4));
        GradCheck.check("mean axis 0 keepdim", x -> Ops.mean(x0(x), true, 0), randn(2, 3, 4));
    }

    @Test void max() {
        GradCheck.check("max all", x -> Ops.max(x0(x), false), distinct(2, 3, 4));
        GradCheck.check("max axis 1", x -> Ops.max(x0(x), false, 1), distinct(2, 3, 4));
        GradCheck.check("max axes 0,2 keepdim", x -> Ops.max(x0(x), true, 0, 2), distinct(2, 3, 4));
        GradCheck.check("max axis -1 keepdim", x -> Ops.max(x0(x), true, -1), distinct(2, 3, 4));
    }

    // ------------------------------------------------------------------ matmul

    @Test void matmul() {
        GradCheck.check("matmul 2d", x -> Ops.matmul(x.get(0), x.get(1)), randn(3, 5), randn(5, 4));
        GradCheck.check("matmul batched", x -> Ops.matmul(x.get(0), x.get(1)), randn(2, 3, 5), randn(2, 5, 4));
        GradCheck.check("matmul broadcast batch", x -> Ops.matmul(x.get(0), x.get(1)), randn(2, 1, 3, 4), randn(3, 4, 2));
        GradCheck.check("matmul [2,3,5]@[5,4]", x -> Ops.matmul(x.get(0), x.get(1)), randn(2, 3, 5), randn(5, 4));
        GradCheck.check("matmul a^T b^T", x -> Ops.matmul(x.get(0).transpose(0, 1), x.get(1).transpose(0, 1)), randn(5, 3), randn(4, 5));
        GradCheck.check("matmul batched b^T", x -> Ops.matmul(x.get(0), x.get(1).transpose(-1, -2)), randn(2, 3, 5), randn(2, 4, 5));
    }

    /** addmm (a Linear's x·Wᵀ + b, a LoRA's y + d·Bᵀ) against finite differences, and against matmul then add. */
    @Test void addmm() {
        GradCheck.check("addmm bias", x -> Ops.addmm(x.get(0), x.get(1), x.get(2).transpose(0, 1)), randn(4), randn(3, 5), randn(4, 5));
        GradCheck.check("addmm matrix", x -> Ops.addmm(x.get(0), x.get(1), x.get(2)), randn(3, 4), randn(3, 5), randn(5, 4));
        org.alignguard.tensor.Rng rng = new org.alignguard.tensor.Rng(4);
        Tensor c = Tensor.randn(rng, 6), a = Tensor.randn(rng, 7, 9), b = Tensor.randn(rng, 6, 9).transpose(0, 1);
        float[] fused = Tensor.addmm(c, a, b).toArray(), plain = a.matmul(b).add(c).toArray();
        for (int i = 0; i < fused.length; i++) assertEquals(plain[i], fused[i], 1e-5f, "element " + i);
        Tensor m = Tensor.randn(rng, 7, 6);
        float[] before = m.toArray();
        Tensor.addmm(m, a, b);
        assertArrayEquals(before, m.toArray(), "c is not modified");
        assertThrows(IllegalArgumentException.class, () -> Tensor.addmm(Tensor.zeros(5), a, b));
    }

    // ------------------------------------------------------------------ conv and upsample

    @Test void conv2dStride1Pad1WithBias() {
        GradCheck.check("conv2d s1 p1 bias", x -> NNOps.conv2d(x.get(0), x.get(1), x.get(2), 1, 1),
                randn(2, 3, 5, 5), randn(4, 3, 3, 3), randn(4));
    }

    @Test void conv2dStride2Pad0NoBias() {
        GradCheck.check("conv2d s2 p0", x -> NNOps.conv2d(x.get(0), x.get(1), null, 2, 0), randn(2, 2, 7, 7), randn(3, 2, 3, 3));
    }

    @Test void conv2dNonSquareKernelStride2Pad1() {
        GradCheck.check("conv2d 3x1 kernel s2 p1", x -> NNOps.conv2d(x.get(0), x.get(1), x.get(2), 2, 1),
                randn(1, 2, 5, 6), randn(3, 2, 3, 1), randn(3));
        GradCheck.check("conv2d 2x3 kernel s1 p0", x -> NNOps.conv2d(x.get(0), x.get(1), x.get(2), 1, 0),
                randn(1, 2, 4, 5), randn(2, 2, 2, 3), randn(2));
    }

    @Test void upsample() {
        GradCheck.check("upsample nearest 2x", x -> NNOps.upsampleNearest2x(x0(x)), randn(2, 2, 3, 4));
    }

    // ------------------------------------------------------------------ softmax

    @Test void softmax() {
        GradCheck.check("softmax -1", x -> NNOps.softmax(x0(x), -1), randn(2, 3, 5));
        GradCheck.check("softmax 1", x -> NNOps.softmax(x0(x), 1), randn(2, 3, 5));
        GradCheck.check("softmax 0", x -> NNOps.softmax(x0(x), 0), randn(2, 3, 5));
        GradCheck.check("log_softmax -1", x -> NNOps.logSoftmax(x0(x), -1), randn(2, 3, 5));
        GradCheck.check("log_softmax 1", x -> NNOps.logSoftmax(x0(x), 1), randn(2, 3, 5));
    }

    // ------------------------------------------------------------------ shape ops, joins, gathers

    @Test void shapeOps() {
        GradCheck.check("reshape", x -> x0(x).reshape(6, 4), randn(2, 3, 4));
        GradCheck.check("permute", x -> x0(x).permute(2, 0, 1), randn(2, 3, 4));
        GradCheck.check("permute then reshape", x -> x0(x).permute(2, 0, 1).reshape(4, 6), randn(2, 3, 4));
        GradCheck.check("transpose", x -> x0(x).transpose(0, 2), randn(2, 3, 4));
        GradCheck.check("slice", x -> ShapeOps.slice(x0(x), 1, 1, 4), randn(4, 5));
        GradCheck.check("slice middle axis", x -> ShapeOps.slice(x0(x), -2, 1, 2), randn(2, 3, 4));
        GradCheck.check("expand", x -> ShapeOps.expand(x0(x), 2, 3, 4), randn(3, 1));
        GradCheck.check("unsqueeze", x -> ShapeOps.unsqueeze(x0(x), 1), randn(3, 4));
    }

    @Test void concatAndSplit() {
        GradCheck.check("concat axis 1", x -> ShapeOps.concat(List.of(x.get(0), x.get(1)), 1), randn(2, 3), randn(2, 5));
        GradCheck.check("concat axis 0 of 3", x -> ShapeOps.concat(x, 0), randn(2, 3, 4), randn(1, 3, 4), randn(3, 3, 4));
        // split into 3 pieces and put them back in another order: each piece gets its own R slice
        GradCheck.check("split", x -> {
            List<Variable> p = ShapeOps.split(x0(x), 1, 2, 4, 1);
            return ShapeOps.concat(List.of(p.get(2), p.get(0), p.get(1)), 1);
        }, randn(2, 7, 3));
    }

    @Test void embedding() {
        int[] idx = {1, 4, 1, 0, 5, 4};
        GradCheck.check("embedding, repeated indices", x -> NNOps.embedding(x0(x), idx, 2, 3), randn(6, 4));
    }

    // ------------------------------------------------------------------ norms

    @Test void groupNorm() {
        GradCheck.check("group_norm affine, 3 groups", x -> NNOps.groupNorm(x.get(0), 3, x.get(1), x.get(2), 1e-5f),
                randn(2, 6, 2, 2).mul(2f).add(0.5f), randn(6), randn(6));
        GradCheck.check("group_norm affine, 2 groups, [N,C,L]", x -> NNOps.groupNorm(x.get(0), 2, x.get(1), x.get(2), 1e-5f),
                randn(2, 4, 5), randn(4), randn(4));
        GradCheck.check("group_norm no affine", x -> NNOps.groupNorm(x0(x), 2, null, null, 1e-5f), randn(2, 4, 3));
    }

    @Test void layerNorm() {
        GradCheck.check("layer_norm affine", x -> NNOps.layerNorm(x.get(0), x.get(1), x.get(2), 1e-5f),
                randn(2, 3, 6).mul(2f), randn(6), randn(6));
        GradCheck.check("layer_norm no affine", x -> NNOps.layerNorm(x0(x), null, null, 1e-5f), randn(4, 6));
    }

    // ------------------------------------------------------------------ losses, dropout, composite

    @Test void losses() {
        GradCheck.check("mse", x -> Losses.mse(x.get(0), x.get(1)), randn(3, 4), randn(3, 4));
        GradCheck.check("cross_entropy", x -> Losses.crossEntropy(x0(x), new int[] {2, 0, 4, 4}), randn(4, 5).mul(2f));
        Tensor w = Tensor.of(new float[] {0.5f, 2f, 0.1f}, 3);
        GradCheck.check("weighted_mse", x -> Losses.weightedMse(x.get(0), x.get(1), w), randn(3, 2, 4), randn(3, 2, 4));
    }

    @Test void weightedMseWithUnitWeightsIsMse() {
        Tensor a = randn(4, 3, 2, 2), b = randn(4, 3, 2, 2);
        float plain = Losses.mse(Variable.constant(a), Variable.constant(b)).item();
        float weighted = Losses.weightedMse(Variable.constant(a), Variable.constant(b), Tensor.full(1f, 4)).item();
        org.junit.jupiter.api.Assertions.assertEquals(plain, weighted, 1e-6f * Math.abs(plain));
        // Zero weight on every sample but one: only that sample's error counts, divided by the batch.
        Tensor only1 = Tensor.of(new float[] {0, 1, 0, 0}, 4);
        float one = Losses.mse(Variable.constant(a.slice(0, 1, 2)), Variable.constant(b.slice(0, 1, 2))).item();
        org.junit.jupiter.api.Assertions.assertEquals(one / 4, Losses.weightedMse(Variable.constant(a), Variable.constant(b), only1).item(), 1e-6f);
    }

    @Test void dropoutWithAFixedMask() {
        GradCheck.check("dropout p=0.3", x -> NNOps.dropout(x0(x), 0.3f, new Rng(7)), randn(4, 5));
    }

    @Test void composite() {
        GradCheck.check("mlp-ish composite", x -> {
            Variable h = Ops.gelu(Ops.add(Ops.matmul(x.get(0), x.get(1)), x.get(2)));
            return NNOps.logSoftmax(NNOps.layerNorm(h, null, null, 1e-5f), -1);
        }, randn(3, 4), randn(4, 5), randn(5));
    }

    // ------------------------------------------------------------------ the check must be able to fail

    /** x² with a backward that forgets the factor 2. */
    @Test void rejectsAWrongDerivative() {
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.check("bad square", x -> {
            Variable a = x0(x);
            return Variable.result("bad_square", a.data().unary(UnaryOp.SQUARE), g -> a.accumulate(g.mul(a.data())), a);
        }, randn(3, 4)));
        assertTrue(e.getMessage().contains("bad square") && e.getMessage().contains("analytic"), e.getMessage());
    }

    /** A backward that is only 1% off must still be caught. */
    @Test void rejectsASlightlyScaledGradient() {
        assertThrows(AssertionError.class, () -> GradCheck.check("scaled tanh", x -> {
            Variable a = x0(x);
            Tensor out = a.data().tanh();
            return Variable.result("tanh", out, g -> a.accumulate(out.binary(BinaryOp.TANH_GRAD, g).mul(1.01f)), a);
        }, randn(3, 4)));
    }

    /** A backward that forgets one of its inputs. */
    @Test void rejectsAMissingGradient() {
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.check("mul without db", x -> {
            Variable a = x.get(0), b = x.get(1);
            return Variable.result("mul", a.data().mul(b.data()), g -> a.accumulate(g.mul(b.data())), a, b);
        }, randn(3, 4), randn(3, 4)));
        assertTrue(e.getMessage().contains("no gradient"), e.getMessage());
    }

    /** A broadcast backward that averages instead of summing over the stretched dims. */
    @Test void rejectsAWrongUnbroadcast() {
        assertThrows(AssertionError.class, () -> GradCheck.check("add with mean unbroadcast", x -> {
            Variable a = x.get(0), b = x.get(1);
            return Variable.result("add", a.data().add(b.data()), g -> {
                a.accumulate(g);
                b.accumulate(g.mean(true, 1));
            }, a, b);
        }, randn(3, 4), randn(3, 1)));
    }

    /** A softmax backward that uses the log-softmax rule. */
    @Test void rejectsTheWrongSoftmaxRule() {
        assertThrows(AssertionError.class, () -> GradCheck.check("softmax with log rule", x -> {
            Variable a = x0(x);
            Tensor y = a.data().softmax(1);
            return Variable.result("softmax", y, g -> a.accumulate(org.alignguard.tensor.Backends.get().softmaxBackward(y.log(), g, 1, true)), a);
        }, randn(3, 4)));
    }

    /** A group-norm backward that drops the gamma gradient. */
    @Test void rejectsAMissingAffineGradient() {
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.check("group_norm without dgamma",
                x -> NNOps.groupNorm(x.get(0), 2, Variable.constant(x.get(1).data()), x.get(2), 1e-5f),
                randn(2, 4, 3), randn(4), randn(4)));
        assertTrue(e.getMessage().contains("input1"), e.getMessage());
    }
}
