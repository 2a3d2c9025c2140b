package org.alignguard.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.alignguard.autograd.TorchFixtures.Fixture;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Forward values and input gradients of every op against PyTorch 1.13 (fixtures made by
 * {@code src/test/python/make_op_fixtures.py}), in the manner of tinygrad's test_ops.py: one helper
 * runs the op on the fixture's inputs, compares each output, back-propagates the stored projection
 * R (so the loss is sum(out * R)) and compares the gradient of every input.
 */
class OpsTorchTest {
    /** Element-wise ops: a few ulps apart at most. */
    static final double RTOL = 1e-5, ATOL = 1e-6;
    /** Ops whose outputs are sums of many products (matmul, conv, norms, reductions). */
    static final double RTOL_SUM = 1e-4, ATOL_SUM = 1e-5;

    @FunctionalInterface
    interface Op {
        List<Variable> run(List<Variable> x, Fixture f);
    }

    record Case(Op op, double rtol, double atol) {}

    static final Map<String, Case> CASES = new LinkedHashMap<>();

    static void one(String name, java.util.function.BiFunction<List<Variable>, Fixture, Variable> op) {
        CASES.put(name, new Case((x, f) -> List.of(op.apply(x, f)), RTOL, ATOL));
    }

    static void sum(String name, java.util.function.BiFunction<List<Variable>, Fixture, Variable> op) {
        CASES.put(name, new Case((x, f) -> List.of(op.apply(x, f)), RTOL_SUM, ATOL_SUM));
    }

    static {
        // element-wise binary, with broadcasting
        for (String n : List.of("add_bcast_31", "add_bcast_4", "add_bcast_both")) one(n, (x, f) -> Ops.add(x.get(0), x.get(1)));
        for (String n : List.of("sub_bcast_31", "sub_bcast_rev")) one(n, (x, f) -> Ops.sub(x.get(0), x.get(1)));
        for (String n : List.of("mul_bcast_4", "mul_bcast_both")) one(n, (x, f) -> Ops.mul(x.get(0), x.get(1)));
        one("mul_self", (x, f) -> Ops.mul(x.get(0), x.get(0)));
        for (String n : List.of("div_bcast_31", "div_bcast_rev")) one(n, (x, f) -> Ops.div(x.get(0), x.get(1)));
        one("scalar_ops", (x, f) -> x.get(0).mul(2.5f).add(1f));
        // powers and unary
        one("pow_2_5", (x, f) -> Ops.pow(x.get(0), 2.5f));
        one("pow_3", (x, f) -> Ops.pow(x.get(0), 3f));
        one("pow_neg_half", (x, f) -> Ops.pow(x.get(0), -0.5f));
        one("exp", (x, f) -> Ops.exp(x.get(0)));
        one("log", (x, f) -> Ops.log(x.get(0)));
        one("sqrt", (x, f) -> Ops.sqrt(x.get(0)));
        one("tanh", (x, f) -> Ops.tanh(x.get(0)));
        one("sigmoid", (x, f) -> Ops.sigmoid(x.get(0)));
        one("silu", (x, f) -> Ops.silu(x.get(0)));
        one("gelu", (x, f) -> Ops.gelu(x.get(0)));
        one("relu", (x, f) -> Ops.relu(x.get(0)));
        // reductions
        sum("sum_all", (x, f) -> Ops.sum(x.get(0), false));
        sum("sum_ax1", (x, f) -> Ops.sum(x.get(0), false, 1));
        sum("sum_ax0", (x, f) -> Ops.sum(x.get(0), false, 0));
        sum("sum_ax02_keep", (x, f) -> Ops.sum(x.get(0), true, 0, 2));
        sum("sum_axm1_keep", (x, f) -> Ops.sum(x.get(0), true, -1));
        sum("mean_all", (x, f) -> Ops.mean(x.get(0), false));
        sum("mean_ax1", (x, f) -> Ops.mean(x.get(0), false, 1));
        sum("mean_ax02_keep", (x, f) -> Ops.mean(x.get(0), true, 0, 2));
        sum("mean_ax12", (x, f) -> Ops.mean(x.get(0), false, 1, 2));
        one("max_all", (x, f) -> Ops.max(x.get(0), false));
        one("max_ax1", (x, f) -> Ops.max(x.get(0), false, 1));
        one("max_ax02_keep", (x, f) -> Ops.max(x.get(0), true, 0, 2));
        one("max_axm1_keep", (x, f) -> Ops.max(x.get(0), true, -1));
        // matmul, including strided (transposed) operands
        for (String n : List.of("matmul_2d", "matmul_batched", "matmul_bcast_b", "matmul_bcast_batch", "matmul_big"))
            sum(n, (x, f) -> Ops.matmul(x.get(0), x.get(1)));
        sum("matmul_at", (x, f) -> Ops.matmul(x.get(0).transpose(0, 1), x.get(1)));
        sum("matmul_bt", (x, f) -> Ops.matmul(x.get(0), x.get(1).transpose(0, 1)));
        sum("matmul_atbt", (x, f) -> Ops.matmul(x.get(0).transpose(0, 1), x.get(1).transpose(0, 1)));
        sum("matmul_batched_bt", (x, f) -> Ops.matmul(x.get(0), x.get(1).transpose(-1, -2)));
        // conv2d and upsample
        sum("conv_s1_p1_bias", (x, f) -> NNOps.conv2d(x.get(0), x.get(1), x.get(2), 1, 1));
        sum("conv_s2_p0", (x, f) -> NNOps.conv2d(x.get(0), x.get(1), null, 2, 0));
        sum("conv_s2_p1_bias", (x, f) -> NNOps.conv2d(x.get(0), x.get(1), x.get(2), 2, 1));
        sum("conv_k31_p1", (x, f) -> NNOps.conv2d(x.get(0), x.get(1), x.get(2), 1, 1));
        sum("conv_k1_s1_p0", (x, f) -> NNOps.conv2d(x.get(0), x.get(1), null, 1, 0));
        one("upsample2x", (x, f) -> NNOps.upsampleNearest2x(x.get(0)));
        // softmax
        sum("softmax_axm1", (x, f) -> NNOps.softmax(x.get(0), -1));
        sum("softmax_ax1", (x, f) -> NNOps.softmax(x.get(0), 1));
        sum("softmax_ax0", (x, f) -> NNOps.softmax(x.get(0), 0));
        sum("log_softmax_axm1", (x, f) -> NNOps.logSoftmax(x.get(0), -1));
        sum("log_softmax_ax1", (x, f) -> NNOps.logSoftmax(x.get(0), 1));
        // joins and gathers
        one("concat_ax1", (x, f) -> ShapeOps.concat(List.of(x.get(0), x.get(1)), 1));
        one("concat_ax0_3", (x, f) -> ShapeOps.concat(x, 0));
        CASES.put("split_ax1", new Case((x, f) -> ShapeOps.split(x.get(0), 1, 2, 4, 1), RTOL, ATOL));
        CASES.put("split_axm1", new Case((x, f) -> ShapeOps.split(x.get(0), -1, 3, 3), RTOL, ATOL));
        one("embedding_2d_idx", (x, f) -> NNOps.embedding(x.get(0), f.ints("c0"), f.get("c0").shape()));
        one("index_select", (x, f) -> NNOps.embedding(x.get(0), f.ints("c0"), f.get("c0").shape()));
        // norms
        sum("group_norm_affine_g3", (x, f) -> NNOps.groupNorm(x.get(0), 3, x.get(1), x.get(2), 1e-5f));
        sum("group_norm_affine_g2_3d", (x, f) -> NNOps.groupNorm(x.get(0), 2, x.get(1), x.get(2), 1e-5f));
        sum("group_norm_g2", (x, f) -> NNOps.groupNorm(x.get(0), 2, null, null, 1e-5f));
        sum("group_norm_affine_g1", (x, f) -> NNOps.groupNorm(x.get(0), 1, x.get(1), x.get(2), 1e-5f));
        sum("layer_norm_affine", (x, f) -> NNOps.layerNorm(x.get(0), x.get(1), x.get(2), 1e-5f));
        sum("layer_norm", (x, f) -> NNOps.layerNorm(x.get(0), null, null, 1e-5f));
        // losses
        sum("mse", (x, f) -> Losses.mse(x.get(0), x.get(1)));
        sum("cross_entropy", (x, f) -> Losses.crossEntropy(x.get(0), f.ints("c0")));
        // views
        one("reshape", (x, f) -> x.get(0).reshape(6, 4));
        one("reshape_infer", (x, f) -> x.get(0).reshape(-1, 2, 3));
        one("permute_reshape", (x, f) -> x.get(0).permute(2, 0, 1).reshape(4, 6));
        one("permute", (x, f) -> x.get(0).permute(2, 0, 1));
        one("transpose", (x, f) -> x.get(0).transpose(0, 2));
        one("slice_ax1", (x, f) -> ShapeOps.slice(x.get(0), 1, 1, 4));
        one("slice_ax0", (x, f) -> ShapeOps.slice(x.get(0), 0, 0, 2));
        one("expand", (x, f) -> ShapeOps.expand(x.get(0), 2, 3, 4));
        one("unsqueeze", (x, f) -> ShapeOps.unsqueeze(x.get(0), 1));
        sum("composite", (x, f) -> {
            Variable ab = Ops.matmul(x.get(0), x.get(1));
            return Ops.mul(Ops.tanh(Ops.add(ab, x.get(2))), Ops.sigmoid(ab));
        });
    }

    /**
     * The tinygrad-style helper: forward on the fixture's inputs, compare outputs; back-propagate
     * R_k into every output (loss = Σ_k sum(out_k * R_k)) and compare every input's gradient.
     */
    static void check(String name, Case c) {
        Fixture f = TorchFixtures.load(name);
        List<Variable> xs = TorchFixtures.params(f);
        List<Variable> outs = c.op().run(xs, f);
        assertEquals(f.count("out"), outs.size(), name + ": number of outputs");
        for (int k = 0; k < outs.size(); k++)
            TorchFixtures.assertClose(name + " forward out" + k, f.get("out" + k), outs.get(k).data(), c.rtol(), c.atol());
        if (outs.size() == 1) {
            outs.get(0).backward(f.get("R0"));
        } else {
            Variable loss = null;
            for (int k = 0; k < outs.size(); k++) {
                Variable term = Ops.sum(Ops.mul(outs.get(k), Variable.constant(f.get("R" + k))), false);
                loss = loss == null ? term : Ops.add(loss, term);
            }
            loss.backward();
        }
        for (int i = 0; i < xs.size(); i++)
            TorchFixtures.assertClose(name + " grad of x" + i, f.get("g" + i), xs.get(i).grad(), c.rtol(), c.atol());
    }

    @TestFactory
    Stream<DynamicTest> everyCaseMatchesPyTorch() {
        return CASES.entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> check(e.getKey(), e.getValue())));
    }

    @Test
    void everyFixtureHasACaseAndEveryCaseAFixture() {
        TreeSet<String> files = new TreeSet<>(TorchFixtures.names()), cases = new TreeSet<>(CASES.keySet());
        TreeSet<String> noCase = new TreeSet<>(files), noFile = new TreeSet<>(cases);
        noCase.removeAll(cases);
        noFile.removeAll(files);
        assertTrue(noCase.isEmpty() && noFile.isEmpty(), "fixtures without a Java case: " + noCase + "; cases without a fixture: " + noFile);
        assertTrue(files.size() >= 70, "expected the full fixture set, found " + files.size());
    }

    /** The comparison itself must fail on a wrong value and on a wrong shape, naming both. */
    @Test
    void assertCloseRejectsMismatches() {
        Tensor e = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        TorchFixtures.assertClose("same", e, Tensor.of(new float[] {1, 2, 3, 4.00001f}, 2, 2), 1e-5, 1e-6);
        AssertionError bad = assertThrows(AssertionError.class,
                () -> TorchFixtures.assertClose("op", e, Tensor.of(new float[] {1, 2, 3.01f, 4}, 2, 2), 1e-5, 1e-6));
        assertTrue(bad.getMessage().contains("[1, 0]") && bad.getMessage().contains("[2, 2]"), bad.getMessage());
        AssertionError shape = assertThrows(AssertionError.class,
                () -> TorchFixtures.assertClose("op", e, Tensor.of(new float[] {1, 2, 3, 4}, 4), 1e-5, 1e-6));
        assertTrue(shape.getMessage().contains("[4]") && shape.getMessage().contains("[2, 2]"), shape.getMessage());
        assertThrows(AssertionError.class,
                () -> TorchFixtures.assertClose("nan", e, Tensor.of(new float[] {1, 2, Float.NaN, 4}, 2, 2), 1e-5, 1e-6));
    }

    /** A wrong forward or a wrong gradient must make the helper fail (the fixtures really check). */
    @Test
    void checkFailsForAWrongOp() {
        Case wrongForward = new Case((x, f) -> List.of(Ops.mul(x.get(0), x.get(0))), RTOL, ATOL);
        assertThrows(AssertionError.class, () -> check("exp", wrongForward));
        Case wrongGrad = new Case((x, f) -> {
            Variable a = x.get(0);
            Tensor out = a.data().exp();
            return List.of(Variable.result("bad_exp", out, g -> a.accumulate(g.mul(out).mul(1.001f)), a));
        }, RTOL, ATOL);
        AssertionError e = assertThrows(AssertionError.class, () -> check("exp", wrongGrad));
        assertTrue(e.getMessage().contains("grad of x0"), e.getMessage());
        List<String> names = new ArrayList<>(CASES.keySet());
        assertTrue(names.contains("exp"));
    }
}
