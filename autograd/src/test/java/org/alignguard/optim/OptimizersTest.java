package org.alignguard.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Storage;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SGD, AdamW and clipping against torch.optim (fixture from make_module_fixtures.py); schedules; checkpoints. */
class OptimizersTest {
    private static final int STEPS = 5;

    static Map<String, Tensor> fixture() throws IOException {
        return org.alignguard.nn.ModulesTorchTest.fixture("optimizers.safetensors");
    }

    static void assertClose(String what, Tensor expected, Tensor actual, double rtol, double atol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toArray(), a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            double err = Math.abs((double) a[i] - e[i]);
            if (!(err <= rtol * Math.abs(e[i]) + atol))
                fail(what + ": element " + i + " is " + a[i] + ", PyTorch gives " + e[i] + " (error " + err + ")");
        }
    }

    static void setGrad(Variable p, Tensor g) {
        p.zeroGrad();
        p.accumulate(g);
    }

    /** Runs the fixture's 5 steps with fixed gradients and compares the parameters after each with torch's. */
    void matchesTorch(String name, Function<Map<String, Variable>, Optimizer> make) throws IOException {
        Map<String, Tensor> f = fixture();
        Map<String, Variable> params = new LinkedHashMap<>();
        params.put("a", Variable.param(f.get("init.a")));
        params.put("b", Variable.param(f.get("init.b")));
        Optimizer opt = make.apply(params);
        for (int s = 1; s <= STEPS; s++) {
            for (String p : params.keySet()) setGrad(params.get(p), f.get("grad." + s + "." + p));
            opt.step();
            assertEquals(s, opt.stepCount());
            for (String p : params.keySet())
                assertClose(name + " step " + s + " param " + p, f.get(name + "." + s + "." + p), params.get(p).data(), 1e-5, 1e-6);
        }
        // the parameters did move: the comparison is not trivially satisfied by the initial values
        assertFalse(Arrays.equals(f.get("init.a").toArray(), params.get("a").data().toArray()));
    }

    @Test void adamwMatchesTorch() throws IOException {
        matchesTorch("adamw", ps -> new AdamW(ps, 0.05f, 0.8f, 0.95f, 1e-6f, 0.1f));
    }

    @Test void sgdMatchesTorch() throws IOException {
        matchesTorch("sgd", ps -> new SGD(ps, 0.1f, 0.9f, 0.05f));
    }

    @Test void clipGradNormMatchesTorch() throws IOException {
        Map<String, Tensor> f = fixture();
        Variable a = Variable.param(Tensor.zeros(3, 4)), b = Variable.param(Tensor.zeros(5)), none = Variable.param(Tensor.zeros(2));
        setGrad(a, f.get("clip.grad.a"));
        setGrad(b, f.get("clip.grad.b"));
        float norm = Optimizer.clipGradNorm(List.of(a, none, b), 1.5f);
        float torchNorm = f.get("clip.norm").item();
        assertTrue(torchNorm > 1.5f, "the fixture's gradients need clipping");
        assertEquals(torchNorm, norm, 1e-5f * torchNorm, "returns the norm before clipping");
        assertClose("clipped a", f.get("clip.clipped.a"), a.grad(), 1e-5, 1e-7);
        assertClose("clipped b", f.get("clip.clipped.b"), b.grad(), 1e-5, 1e-7);
        assertNull(none.grad());

        // under the limit: gradients untouched
        float[] ga = a.grad().toArray(), gb = b.grad().toArray();
        float small = Optimizer.clipGradNorm(List.of(a, b), 10f);
        assertEquals(1.5f, small, 1e-5f);
        assertArrayEquals(ga, a.grad().toArray());
        assertArrayEquals(gb, b.grad().toArray());
    }

    @Test void optimizersSkipFrozenAndGradlessParameters() {
        Variable frozen = Variable.param(Tensor.ones(3)), gradless = Variable.param(Tensor.ones(3)), live = Variable.param(Tensor.ones(3));
        setGrad(frozen, Tensor.ones(3));
        frozen.setRequiresGrad(false);
        setGrad(live, Tensor.ones(3));
        Map<String, Variable> ps = new LinkedHashMap<>();
        ps.put("frozen", frozen);
        ps.put("gradless", gradless);
        ps.put("live", live);
        for (Optimizer opt : List.of(new AdamW(ps, 0.1f), new SGD(ps, 0.1f, 0.9f, 0f))) {
            opt.step();
            assertArrayEquals(new float[] {1, 1, 1}, frozen.data().toArray());
            assertArrayEquals(new float[] {1, 1, 1}, gradless.data().toArray());
        }
        assertTrue(live.data().toArray()[0] < 0.9f);
    }

    // ------------------------------------------------------------------------- schedules

    @Test void constantWithWarmup() {
        LrSchedule s = LrSchedule.constantWithWarmup(1e-3f, 10);
        assertEquals(1e-4f, s.lr(0), 1e-10f);   // (step + 1) / warmup · base
        assertEquals(5e-4f, s.lr(4), 1e-10f);
        assertEquals(1e-3f, s.lr(9), 1e-10f);
        assertEquals(1e-3f, s.lr(10), 0f);
        assertEquals(1e-3f, s.lr(100_000), 0f);
        LrSchedule none = LrSchedule.constantWithWarmup(2e-4f, 0);
        assertEquals(2e-4f, none.lr(0), 0f);
        assertEquals(2e-4f, none.lr(7), 0f);
    }

    @Test void cosine() {
        LrSchedule s = LrSchedule.cosine(1.0f, 0.1f, 10, 110);
        assertEquals(0.1f, s.lr(0), 1e-7f);                        // warm-up: base · 1/10
        assertEquals(0.5f, s.lr(4), 1e-7f);
        assertEquals(1.0f, s.lr(9), 1e-7f);
        assertEquals(1.0f, s.lr(10), 1e-7f);                       // cosine starts at base
        assertEquals(0.1 + 0.45 * (1 + Math.cos(Math.PI / 4)), s.lr(35), 1e-6);   // a quarter: 0.868198
        assertEquals(0.55f, s.lr(60), 1e-6f);                      // half way: (base + min) / 2
        assertEquals(0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.75)), s.lr(85), 1e-6); // 0.231802
        assertEquals(0.1f, s.lr(110), 1e-7f);                      // ends at min
        assertEquals(0.1f, s.lr(500), 1e-7f);                      // and stays there
        LrSchedule plain = LrSchedule.cosine(2f, 0f, 0, 4);
        float[] expect = {2f, 1.7071068f, 1f, 0.29289323f, 0f};
        for (int i = 0; i < expect.length; i++) assertEquals(expect[i], plain.lr(i), 1e-6f, "step " + i);
        for (long i = 10; i < 110; i++) assertTrue(s.lr(i + 1) <= s.lr(i), "monotone decay at " + i);
    }

    // ------------------------------------------------------------------------- checkpoints

    static final class Tiny extends Module {
        final Linear l1, l2;

        Tiny(long seed) {
            Rng rng = new Rng(seed);
            l1 = child("l1", new Linear(3, 8, true, rng));
            l2 = child("l2", new Linear(8, 1, true, rng));
        }

        Variable forward(Variable x) {
            return l2.forward(Ops.tanh(l1.forward(x)));
        }
    }

    static final Tensor X = Tensor.randn(new Rng(5), 16, 3);
    static final Tensor Y = Tensor.randn(new Rng(6), 16, 1);
    static final LrSchedule SCHEDULE = LrSchedule.cosine(0.05f, 0.005f, 3, 10);

    static void train(Tiny model, Optimizer opt, int steps) {
        for (int i = 0; i < steps; i++) {
            opt.setLr(SCHEDULE.lr(opt.stepCount()));
            model.zeroGrad();
            Losses.mse(model.forward(Variable.constant(X)), Variable.constant(Y)).backward();
            Optimizer.clipGradNorm(model.parameters(), 1f);
            opt.step();
        }
    }

    static void assertBitIdentical(Module expected, Module actual) {
        var e = expected.stateDict();
        var a = actual.stateDict();
        assertEquals(e.keySet(), a.keySet());
        for (String k : e.keySet()) {
            float[] x = e.get(k).toArray(), y = a.get(k).toArray();
            for (int i = 0; i < x.length; i++)
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), k + "[" + i + "]: " + x[i] + " vs " + y[i]);
        }
    }

    void resumeIsIdentical(Path dir, Function<Module, Optimizer> make) throws IOException {
        int total = 10, first = 4;
        Tiny straight = new Tiny(1);
        train(straight, make.apply(straight), total);

        Tiny before = new Tiny(1);
        Optimizer optBefore = make.apply(before);
        train(before, optBefore, first);
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.save(file, before, optBefore, Map.of("step", Integer.toString(first)));

        Tiny resumed = new Tiny(77);   // different initial values, all overwritten by the checkpoint
        Optimizer opt = make.apply(resumed);
        Map<String, String> meta = Checkpoint.load(file, resumed, opt);
        assertEquals("4", meta.get("step"));
        assertEquals(first, opt.stepCount());
        assertBitIdentical(before, resumed);
        train(resumed, opt, total - first);
        assertBitIdentical(straight, resumed);

        // control: resuming the model without the optimizer state does not give the same result
        Tiny noState = new Tiny(77);
        Checkpoint.load(file, noState, null);
        train(noState, make.apply(noState), total - first);
        assertFalse(Arrays.equals(straight.l1.weight.data().toArray(), noState.l1.weight.data().toArray()));
    }

    @Test void adamwResumesBitIdentically(@TempDir Path dir) throws IOException {
        resumeIsIdentical(dir, m -> new AdamW(m.namedParameters(), 0.05f, 0.9f, 0.99f, 1e-8f, 0.05f));
    }

    @Test void sgdResumesBitIdentically(@TempDir Path dir) throws IOException {
        resumeIsIdentical(dir, m -> new SGD(m.namedParameters(), 0.05f, 0.9f, 0.01f));
    }

    @Test void adamwStateNamesFollowParameters() {
        Tiny m = new Tiny(1);
        AdamW opt = new AdamW(m.namedParameters(), 0.01f);
        train(m, opt, 1);
        var s = opt.stateDict();
        assertTrue(s.containsKey("exp_avg.l1.weight") && s.containsKey("exp_avg_sq.l2.bias"), s.keySet().toString());
        assertArrayEquals(m.l1.weight.shape(), s.get("exp_avg.l1.weight").shape());
        assertEquals(1f, s.get("step").item());
    }

    /** A storage whose data cannot be read: the write fails after the temporary file was created. */
    static final class Unreadable implements Storage {
        @Override public int length() { return 4; }
        @Override public String device() { return "cpu"; }
        @Override public float[] hostArray() { throw new IllegalStateException("simulated failure while writing"); }
    }

    static final class Failing extends Optimizer {
        Failing(Map<String, Variable> ps) { super(ps, 0.1f); }
        @Override protected void update(String name, Variable p, Tensor grad) {}
        @Override public Map<String, Tensor> stateDict() { return Map.of("zz_state", new Tensor(new Unreadable(), new int[] {4}, new int[] {1}, 0)); }
        @Override public void loadStateDict(Map<String, Tensor> state) {}
    }

    @Test void checkpointWritesAtomically(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Tiny model = new Tiny(1);
        AdamW opt = new AdamW(model.namedParameters(), 0.01f);
        train(model, opt, 2);
        Checkpoint.save(file, model, opt, Map.of("step", "2"));
        train(model, opt, 1);
        Checkpoint.save(file, model, opt, Map.of("step", "3"));   // overwrite
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "only the checkpoint, no temporary file");
        }
        byte[] good = Files.readAllBytes(file);

        Tiny other = new Tiny(2);
        var e = assertThrows(IllegalStateException.class, () -> Checkpoint.save(file, other, new Failing(other.namedParameters()), Map.of("step", "99")));
        assertTrue(e.getMessage().contains("simulated"));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "the failed write left no temporary file");
        }
        assertArrayEquals(good, Files.readAllBytes(file), "the old checkpoint survives a failed write");

        Tiny back = new Tiny(3);
        AdamW backOpt = new AdamW(back.namedParameters(), 0.01f);
        assertEquals("3", Checkpoint.load(file, back, backOpt).get("step"));
        assertBitIdentical(model, back);
        assertEquals(3, backOpt.stepCount());
    }

    @Test void checkpointLoadRejectsAnotherModel(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Tiny model = new Tiny(1);
        Checkpoint.save(file, model, null, null);
        Module wrong = new Linear(3, 8, true, new Rng(1));
        var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file, wrong, null));
        assertTrue(e.getMessage().contains("missing weight") && e.getMessage().contains("unexpected l1.weight"), e.getMessage());
        assertSame(null, Safetensors.read(file).tensors().get("optim.step"));
    }
}
