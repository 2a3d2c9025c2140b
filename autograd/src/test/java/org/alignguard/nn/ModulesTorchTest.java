package org.alignguard.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * The nn modules against PyTorch (fixtures from src/test/python/make_module_fixtures.py), plus
 * parameter naming, freezing, state dicts, finite-difference gradient checks and dropout.
 */
public class ModulesTorchTest {
    private static final Set<String> INPUTS = Set.of("x", "context", "ids", "r", "out");

    /** Loads a module fixture written by make_module_fixtures.py (also used by the optimizer tests). */
    public static Map<String, Tensor> fixture(String name) throws IOException {
        try {
            var url = ModulesTorchTest.class.getResource("/fixtures/modules/" + name);
            assertNotNull(url, "missing fixture " + name + "; run src/test/python/make_module_fixtures.py");
            return Safetensors.read(Path.of(url.toURI())).tensors();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    /** |actual - expected| <= rtol·|expected| + atol·max|expected| for every element. */
    static void assertClose(String what, Tensor expected, Tensor actual, double rtol, double atol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toArray(), a = actual.toArray();
        double scale = 0;
        for (float v : e) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < e.length; i++) {
            double err = Math.abs((double) a[i] - e[i]);
            if (!(err <= rtol * Math.abs(e[i]) + atol * Math.max(scale, 1e-3)))
                fail(what + ": element " + i + " is " + a[i] + ", PyTorch gives " + e[i] + " (error " + err + ", max |expected| " + scale + ")");
        }
    }

    static void assertClose(String what, Tensor expected, Tensor actual) {
        assertClose(what, expected, actual, 1e-5, 2e-6);
    }

    /**
     * Loads the fixture's parameters into {@code m} (strict: names must be ours), runs the forward on
     * the fixture's inputs, and compares the output and the gradients of sum(out * r) with PyTorch's.
     */
    static void checkAgainstTorch(String file, Module m, List<String> inputs, Function<Variable[], Variable> forward) throws IOException {
        Map<String, Tensor> f = fixture(file);
        Map<String, Tensor> state = new LinkedHashMap<>();
        f.forEach((k, v) -> { if (!k.startsWith("grad.") && !INPUTS.contains(k)) state.put(k, v); });
        m.loadStateDict(state, true);
        Variable[] in = new Variable[inputs.size()];
        for (int i = 0; i < in.length; i++) in[i] = Variable.param(f.get(inputs.get(i)));
        m.zeroGrad();
        Variable out = forward.apply(in);
        assertClose(file + " forward", f.get("out"), out.data());
        Ops.sum(Ops.mul(out, Variable.constant(f.get("r"))), false).backward();

        Set<String> checked = new TreeSet<>();
        for (int i = 0; i < in.length; i++) {
            assertClose(file + " grad of input " + inputs.get(i), f.get("grad." + inputs.get(i)), in[i].grad());
            checked.add("grad." + inputs.get(i));
        }
        for (var e : m.namedParameters().entrySet()) {
            assertNotNull(e.getValue().grad(), file + ": no gradient for " + e.getKey());
            assertClose(file + " grad of " + e.getKey(), f.get("grad." + e.getKey()), e.getValue().grad());
            checked.add("grad." + e.getKey());
        }
        Set<String> inFixture = new TreeSet<>();
        for (String k : f.keySet()) if (k.startsWith("grad.")) inFixture.add(k);
        assertEquals(inFixture, checked, file + ": every gradient in the fixture is checked");
    }

    // ------------------------------------------------------------------------- vs PyTorch

    @Test void linearMatchesTorch() throws IOException {
        Linear l = new Linear(4, 5, true, new Rng(1));
        checkAgainstTorch("linear.safetensors", l, List.of("x"), in -> l.forward(in[0]));
    }

    @Test void conv2dMatchesTorch() throws IOException {
        Conv2d c = new Conv2d(3, 4, 3, 1, 1, true, new Rng(1));
        checkAgainstTorch("conv2d.safetensors", c, List.of("x"), in -> c.forward(in[0]));
        Conv2d s = new Conv2d(2, 3, 3, 2, 1, true, new Rng(1));
        checkAgainstTorch("conv2d_stride2.safetensors", s, List.of("x"), in -> s.forward(in[0]));
    }

    @Test void groupNormMatchesTorch() throws IOException {
        GroupNorm g = new GroupNorm(3, 6, 1e-5f);
        checkAgainstTorch("groupnorm.safetensors", g, List.of("x"), in -> g.forward(in[0]));
    }

    @Test void layerNormMatchesTorch() throws IOException {
        LayerNorm l = new LayerNorm(8, 1e-5f);
        checkAgainstTorch("layernorm.safetensors", l, List.of("x"), in -> l.forward(in[0]));
    }

    @Test void embeddingMatchesTorch() throws IOException {
        Tensor idsT = fixture("embedding.safetensors").get("ids");
        float[] fl = idsT.toArray();
        int[] ids = new int[fl.length];
        for (int i = 0; i < ids.length; i++) ids[i] = (int) fl[i];
        Embedding e = new Embedding(10, 6, new Rng(1));
        checkAgainstTorch("embedding.safetensors", e, List.of(), in -> e.forward(ids, idsT.shape()));
    }

    @Test void selfAttentionMatchesTorch() throws IOException {
        Attention a = new Attention(8, 8, 2, new Rng(1));
        checkAgainstTorch("attention_self.safetensors", a, List.of("x"), in -> a.forward(in[0], null));
    }

    @Test void crossAttentionMatchesTorch() throws IOException {
        Attention a = new Attention(8, 6, 2, new Rng(1));
        checkAgainstTorch("attention_cross.safetensors", a, List.of("x", "context"), in -> a.forward(in[0], in[1]));
    }

    // ------------------------------------------------------------------------- naming, freezing, state dicts

    static final class Block extends Module {
        final LayerNorm norm;
        final Attention attn;
        final Dropout drop;

        Block(int dim, Rng rng) {
            norm = child("norm", new LayerNorm(dim, 1e-5f));
            attn = child("attn", new Attention(dim, dim, 2, rng));
            drop = child("drop", new Dropout(0.1f, rng.split()));
        }

        Variable forward(Variable x) {
            return x.add(drop.forward(attn.forward(norm.forward(x), null)));
        }
    }

    static final class Net extends Module {
        final Linear inProj, head;
        final ModuleList<Block> blocks;

        Net(long seed) {
            Rng rng = new Rng(seed);
            inProj = child("in_proj", new Linear(3, 8, true, rng));
            blocks = child("blocks", new ModuleList<>());
            blocks.add(new Block(8, rng));
            blocks.add(new Block(8, rng));
            head = child("head", new Linear(8, 2, true, rng));
        }

        Variable forward(Variable x) {
            Variable h = inProj.forward(x);
            for (Block b : blocks) h = b.forward(h);
            return head.forward(h);
        }
    }

    static List<String> expectedNetNames() {
        List<String> names = new ArrayList<>(List.of("in_proj.weight", "in_proj.bias"));
        for (int i = 0; i < 2; i++)
            for (String s : List.of("norm.weight", "norm.bias", "attn.to_q.weight", "attn.to_k.weight", "attn.to_v.weight", "attn.to_out.weight", "attn.to_out.bias"))
                names.add("blocks." + i + "." + s);
        names.addAll(List.of("head.weight", "head.bias"));
        return names;
    }

    static Tensor input(long seed) {
        return Tensor.randn(new Rng(seed), 2, 4, 3);
    }

    static Variable lossOf(Net net, Tensor x) {
        return Ops.sum(Ops.square(net.forward(Variable.constant(x))), false);
    }

    @Test void hierarchicalNames() {
        Net net = new Net(3);
        assertEquals(expectedNetNames(), new ArrayList<>(net.namedParameters().keySet()));
        assertEquals(net.namedParameters().size(), net.parameters().size());
        assertEquals(List.of("", "in_proj", "blocks", "blocks.0", "blocks.0.norm", "blocks.0.attn", "blocks.0.attn.to_q", "blocks.0.attn.to_k",
                        "blocks.0.attn.to_v", "blocks.0.attn.to_out", "blocks.0.drop", "blocks.1", "blocks.1.norm", "blocks.1.attn", "blocks.1.attn.to_q",
                        "blocks.1.attn.to_k", "blocks.1.attn.to_v", "blocks.1.attn.to_out", "blocks.1.drop", "head"),
                new ArrayList<>(net.namedModules().keySet()));
        assertTrue(net.namedModules().get("blocks.1.attn") == net.blocks.get(1).attn);
        assertTrue(net.namedParameters().get("blocks.0.attn.to_q.weight") == net.blocks.get(0).attn.to_q.weight);
        long count = 3 * 8 + 8 + 2 * (8 + 8 + 4 * 64 + 8) + 8 * 2 + 2;
        assertEquals(count, net.parameterCount());
        // train/eval reaches the leaves
        net.eval();
        assertFalse(net.blocks.get(1).drop.isTraining());
        net.train(true);
        assertTrue(net.blocks.get(1).drop.isTraining());
    }

    @Test void freezeAndUnfreeze() {
        Net net = new Net(3);
        net.eval();
        int all = net.parameters().size();
        assertEquals(all, net.trainableParameters().size());
        Block frozen = net.blocks.get(0);
        frozen.freeze();
        assertEquals(all - frozen.parameters().size(), net.trainableParameters().size());
        for (Variable p : frozen.parameters()) assertFalse(net.trainableParameters().contains(p));

        lossOf(net, input(1)).backward();
        for (var e : net.namedParameters().entrySet()) {
            if (e.getKey().startsWith("blocks.0.")) assertNull(e.getValue().grad(), e.getKey() + " is frozen but got a gradient");
            else assertNotNull(e.getValue().grad(), e.getKey() + " is trainable but got no gradient");
        }
        // a fully frozen model builds no graph at all
        net.freeze();
        assertTrue(net.trainableParameters().isEmpty());
        assertFalse(lossOf(net, input(1)).requiresGrad());

        net.unfreeze();
        net.zeroGrad();
        assertEquals(all, net.trainableParameters().size());
        lossOf(net, input(1)).backward();
        for (var e : net.namedParameters().entrySet()) assertNotNull(e.getValue().grad(), e.getKey() + " after unfreeze");
    }

    @Test void stateDictRoundTripThroughSafetensors(@TempDir Path dir) throws IOException {
        Net a = new Net(3), b = new Net(4);
        a.eval();
        b.eval();
        Path file = dir.resolve("net.safetensors");
        a.save(file, Map.of("note", "round trip"));
        var header = Safetensors.readHeader(file);
        assertEquals("round trip", header.metadata().get("note"));
        assertEquals(new TreeSet<>(expectedNetNames()), new TreeSet<>(Safetensors.read(file).tensors().keySet()));

        assertFalse(Arrays.equals(a.blocks.get(1).attn.to_v.weight.data().toArray(), b.blocks.get(1).attn.to_v.weight.data().toArray()));
        b.load(file);
        for (String n : expectedNetNames())
            assertArrayEquals(a.stateDict().get(n).toArray(), b.stateDict().get(n).toArray(), n);
        assertArrayEquals(a.forward(Variable.constant(input(2))).data().toArray(), b.forward(Variable.constant(input(2))).data().toArray());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left behind");
        }
    }

    @Test void strictLoadNamesWhatIsWrong() {
        Net net = new Net(3);
        Map<String, Tensor> good = new LinkedHashMap<>(new Net(5).stateDict());

        Map<String, Tensor> missing = new LinkedHashMap<>(good);
        missing.remove("blocks.1.attn.to_k.weight");
        var e1 = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(missing, true));
        assertTrue(e1.getMessage().contains("missing blocks.1.attn.to_k.weight"), e1.getMessage());

        Map<String, Tensor> extra = new LinkedHashMap<>(good);
        extra.put("blocks.2.attn.to_q.weight", Tensor.zeros(8, 8));
        var e2 = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(extra, true));
        assertTrue(e2.getMessage().contains("unexpected blocks.2.attn.to_q.weight"), e2.getMessage());

        Map<String, Tensor> wrongShape = new LinkedHashMap<>(good);
        wrongShape.put("head.weight", Tensor.zeros(3, 8));
        var e3 = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(wrongShape, false));
        assertTrue(e3.getMessage().contains("head.weight has shape [3, 8]") && e3.getMessage().contains("[2, 8]"), e3.getMessage());

        // a failed load changes nothing
        float[] before = net.head.weight.data().toArray();
        assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(missing, true));
        assertArrayEquals(before, net.head.weight.data().toArray());

        // non-strict: loads what is there, keeps the rest, ignores extras
        float[] keptK = net.blocks.get(1).attn.to_k.weight.data().toArray();
        missing.put("something.else", Tensor.zeros(1));
        net.loadStateDict(missing, false);
        assertArrayEquals(keptK, net.blocks.get(1).attn.to_k.weight.data().toArray());
        assertArrayEquals(good.get("head.weight").toArray(), net.head.weight.data().toArray());
    }

    @Test void loadFromFileWithWrongKeysFails(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("lin.safetensors");
        new Linear(3, 2, false, new Rng(1)).save(file, null);
        var e = assertThrows(IllegalArgumentException.class, () -> new Linear(3, 2, true, new Rng(1)).load(file));
        assertTrue(e.getMessage().contains("missing bias"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> new Linear(4, 2, false, new Rng(1)).load(file));
        assertTrue(e2.getMessage().contains("weight"), e2.getMessage());
    }

    // ------------------------------------------------------------------------- finite differences

    /** sum(out * r), accumulated in double, with no graph. */
    static double loss(Supplier<Variable> forward, float[] r) {
        try (var s = Grad.noGrad()) {
            float[] o = forward.get().data().toArray();
            double sum = 0;
            for (int i = 0; i < o.length; i++) sum += (double) o[i] * r[i];
            return sum;
        }
    }

    /**
     * Central differences of sum(out * r) against backward, for every element of every leaf. Float32
     * forward, so h = 1e-2 (truncation error ~h², rounding error ~1e-7/h). A correct backward is
     * off by at most ~6e-5·(1 + |g|) here; the bound is 5e-4·(1 + |g|), far below what a wrong term produces.
     */
    static void gradCheck(String what, Supplier<Variable> forward, Map<String, Variable> leaves) {
        Tensor outShape = forward.get().data();
        float[] r = Tensor.randn(new Rng(99), outShape.shape()).toArray();
        for (Variable v : leaves.values()) v.zeroGrad();
        Ops.sum(Ops.mul(forward.get(), Variable.constant(Tensor.of(r.clone(), outShape.shape()))), false).backward();
        final float h = 1e-2f;
        double gradScale = 0;
        for (var e : leaves.entrySet()) {
            Variable p = e.getValue();
            float[] ana = p.grad().toArray(), base = p.data().toArray();
            for (int i = 0; i < base.length; i++) {
                float[] w = base.clone();
                w[i] = base[i] + h;
                p.setData(Tensor.of(w, p.shape()));
                double lp = loss(forward, r);
                w[i] = base[i] - h;
                p.setData(Tensor.of(w, p.shape()));
                double lm = loss(forward, r);
                p.setData(Tensor.of(base, p.shape()));
                double num = (lp - lm) / (2 * h);
                double err = Math.abs(num - ana[i]);
                gradScale = Math.max(gradScale, Math.abs(num));
                if (err > 5e-4 + 5e-4 * Math.abs(num))
                    fail(what + ": d/d " + e.getKey() + "[" + i + "] backward " + ana[i] + ", finite differences " + num);
            }
        }
        assertTrue(gradScale > 0.1, what + ": gradients too small for the check to mean anything (" + gradScale + ")");
    }

    static Tensor perturbed(Tensor t, long seed, float scale) {
        return t.add(Tensor.randn(new Rng(seed), t.shape()).mul(scale));
    }

    @Test void attentionGradientsByFiniteDifferences() {
        Attention a = new Attention(6, 4, 3, new Rng(11));
        // a bias away from zero, so its gradient is checked on a non-trivial point
        a.to_out.bias.setData(perturbed(a.to_out.bias.data(), 12, 0.5f));
        Variable x = Variable.param(Tensor.randn(new Rng(13), 2, 3, 6));
        Variable ctx = Variable.param(Tensor.randn(new Rng(14), 2, 4, 4));
        Map<String, Variable> leaves = new LinkedHashMap<>(a.namedParameters());
        leaves.put("x", x);
        leaves.put("context", ctx);
        gradCheck("cross-attention", () -> a.forward(x, ctx), leaves);

        Attention self = new Attention(4, 4, 2, new Rng(15));
        Variable y = Variable.param(Tensor.randn(new Rng(16), 1, 5, 4));
        Map<String, Variable> selfLeaves = new LinkedHashMap<>(self.namedParameters());
        selfLeaves.put("x", y);
        gradCheck("self-attention", () -> self.forward(y, null), selfLeaves);
    }

    @Test void groupNormGradientsByFiniteDifferences() {
        GroupNorm g = new GroupNorm(2, 4, 1e-5f);
        g.weight.setData(perturbed(g.weight.data(), 21, 0.3f));
        g.bias.setData(perturbed(g.bias.data(), 22, 0.3f));
        Variable x = Variable.param(Tensor.randn(new Rng(23), 2, 4, 3, 3).mul(1.5f).add(0.4f));
        Map<String, Variable> leaves = new LinkedHashMap<>(g.namedParameters());
        leaves.put("x", x);
        gradCheck("group norm", () -> g.forward(x), leaves);
    }

    @Test void gradCheckCatchesASlightlyWrongBackward() {
        GroupNorm g = new GroupNorm(2, 4, 1e-5f);
        Variable x = Variable.param(Tensor.randn(new Rng(23), 2, 4, 3, 3));
        Map<String, Variable> leaves = new LinkedHashMap<>(g.namedParameters());
        leaves.put("x", x);
        Supplier<Variable> offByOnePercent = () -> {
            Variable y = g.forward(x);
            return Variable.result("wrong", y.data(), gr -> y.accumulate(gr.mul(1.01f)), y);
        };
        assertThrows(AssertionFailedError.class, () -> gradCheck("1% wrong", offByOnePercent, leaves));
    }

    // ------------------------------------------------------------------------- dropout

    @Test void dropoutEvalIsIdentityAndTrainingDropsAndScales() {
        float p = 0.25f;
        Tensor ones = Tensor.ones(100, 100);
        Dropout d = new Dropout(p, new Rng(7));
        d.eval();
        Variable x = Variable.param(Tensor.randn(new Rng(1), 10, 10));
        assertArrayEquals(x.data().toArray(), d.forward(x).data().toArray());

        d.train(true);
        Variable xs = Variable.param(ones);
        Variable y = d.forward(xs);
        float[] o = y.data().toArray();
        int zeros = 0;
        double sum = 0;
        for (float v : o) {
            if (v == 0f) zeros++;
            else assertEquals(1f / (1f - p), v, 1e-6f, "kept values are scaled by 1/(1-p)");
            sum += v;
        }
        double frac = zeros / (double) o.length;
        assertEquals(p, frac, 0.02, "fraction dropped");
        assertEquals(1.0, sum / o.length, 0.03, "expectation preserved");
        // backward passes the same mask
        Ops.sum(y, false).backward();
        assertArrayEquals(o, xs.grad().toArray());

        // same seed, same masks; another seed, other masks; successive calls differ
        float[] again = new Dropout(p, new Rng(7)).forward(Variable.constant(ones)).data().toArray();
        assertArrayEquals(o, again);
        assertFalse(Arrays.equals(o, new Dropout(p, new Rng(8)).forward(Variable.constant(ones)).data().toArray()));
        assertFalse(Arrays.equals(o, d.forward(Variable.constant(ones)).data().toArray()));

        Dropout none = new Dropout(0f, new Rng(7));
        assertArrayEquals(ones.toArray(), none.forward(Variable.constant(ones)).data().toArray());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1f, new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1f, new Rng(1)));
    }
}
