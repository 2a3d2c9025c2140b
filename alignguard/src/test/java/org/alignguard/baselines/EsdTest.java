package org.alignguard.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.alignguard.TinyModels;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.model.UNet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDIMScheduler;
import org.alignguard.diffusion.schedule.Scheduler;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.nn.StateDicts;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ESD-u: its target, in ε and in v; which weights it trains; that it learns; its file (its options: tests' CliTest). */
class EsdTest {
    @TempDir Path dir;

    static Esd.Settings settings(int iterations, float lr, int batch) {
        return new Esd.Settings(iterations, lr, 1f, 3f, 4, batch, 7);
    }

    @Test
    void targetIsNegativeGuidanceOnHandWorkedNumbers() {
        Tensor out0 = Tensor.of(new float[] {1, 2, -1}, 3), outP = Tensor.of(new float[] {3, 0, -1}, 3);
        // η = 1: e_0 − (e_p − e_0) = 2e_0 − e_p
        assertArrayEquals(new float[] {-1, 4, -1}, Esd.target(out0, outP, 1f).toArray(), 1e-6f);
        // η = 0.5: 1 − 0.5·2, 2 − 0.5·(−2), −1 − 0
        assertArrayEquals(new float[] {0, 3, -1}, Esd.target(out0, outP, 0.5f).toArray(), 1e-6f);
        // η = 0: the unconditional prediction
        assertArrayEquals(out0.toArray(), Esd.target(out0, outP, 0f).toArray());
    }

    @Test
    void theTargetInEpsilonIsTheTargetInVMappedToEpsilon() {
        Scheduler s = new DDIMScheduler(TinyModels.model(0).schedule);
        Rng rng = new Rng(3);
        for (int k = 0; k < 20; k++) {
            int t = rng.nextInt(1000);
            float eta = 2 * rng.nextFloat();
            Tensor v0 = Tensor.randn(rng, 1, 3, 4, 4), vp = Tensor.randn(rng, 1, 3, 4, 4), vn = Tensor.randn(rng, 1, 3, 4, 4), x = Tensor.randn(rng, 1, 3, 4, 4);
            Tensor e0 = s.epsilonFromVelocity(v0, t, x), ep = s.epsilonFromVelocity(vp, t, x), en = s.epsilonFromVelocity(vn, t, x);
            Tensor epsTarget = Esd.target(e0, ep, eta), vTarget = Esd.target(v0, vp, eta);
            // e_0 − η(e_p − e_0) = √ᾱ·[v_0 − η(v_p − v_0)] + √(1−ᾱ)·x_t
            assertArrayEquals(s.epsilonFromVelocity(vTarget, t, x).toArray(), epsTarget.toArray(), 1e-4f);
            // so ESD's ε-loss is ᾱ_t times the v-loss
            double a = s.schedule().alphaCumprod(t);
            assertEquals(a * mse(vn, vTarget), mse(en, epsTarget), 1e-4 * (1 + mse(en, epsTarget)));
        }
    }

    static double mse(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        double sum = 0;
        for (int i = 0; i < x.length; i++) sum += (double) (x[i] - y[i]) * (x[i] - y[i]);
        return sum / x.length;
    }

    /** What noxattn trains, written out from the rule: not cross-attention, not the time (and pooled-text) embedding, not the output layers. */
    static Set<String> expectedTrained(UNet unet) {
        Set<String> out = new TreeSet<>();
        for (String n : unet.namedParameters().keySet())
            if (!n.contains(".attn2.") && !n.startsWith("time_embed.") && !n.startsWith("text_embed.") && !n.startsWith("norm_out.") && !n.startsWith("conv_out.")) out.add(n);
        return out;
    }

    @Test
    void trainsEverythingButCrossAttentionTheEmbeddingsAndTheOutputLayers() {
        UNet unet = Esd.copy(TinyModels.model(1).unet);
        Map<String, Variable> trained = Esd.trainable(unet);
        assertEquals(expectedTrained(unet), new TreeSet<>(trained.keySet()));
        for (String n : List.of("down.1.res.0.conv1.weight", "down.1.attn.0.block.attn1.to_q.weight", "down.1.attn.0.block.ff_in.weight",
                "up.0.res.0.time_emb_proj.weight", "mid.attn.0.proj_in.weight", "conv_in.weight"))
            assertTrue(trained.containsKey(n), n);
        for (String n : List.of("down.1.attn.0.block.attn2.to_k.weight", "mid.attn.0.block.attn2.to_v.weight", "time_embed.linear_1.weight",
                "text_embed.weight", "norm_out.weight", "conv_out.bias"))
            assertFalse(trained.containsKey(n), n);
        unet.namedParameters().forEach((n, p) -> assertEquals(trained.containsKey(n), p.requiresGrad(), n));
    }

    /**
     * An untrained tiny UNet barely listens to its prompt, so ESD's loss starts near zero. Scaling up
     * the layers that read the text makes the prompt matter, as it does in a trained model.
     */
    static TextToImageModel listening(long seed) {
        TextToImageModel m = TinyModels.model(seed);
        m.unet.namedParameters().forEach((n, p) -> {
            if (n.startsWith("text_embed.") || n.contains("attn2.to_v.")) p.setData(p.data().mul(30f));
        });
        return m;
    }

    @Test
    void aShortRunLowersTheLossAndLeavesTheBaseModelAlone() {
        TextToImageModel m = listening(2);
        Erasure erasure = Erasure.first(m.world(), 2);
        Map<String, float[]> before = snapshot(m);
        // A fixed batch of 8 (x_t, t, c), not the training draws, made by the base model (θ = θ* there).
        Esd.Settings s = new Esd.Settings(40, 3e-4f, 1f, 3f, 4, 2, 7);
        Esd.Prompts prompts = Esd.Prompts.encode(m, erasure);
        Esd.Draw fixed = Esd.draw(m, Esd.copy(m.unet), prompts, new Esd.Settings(1, 1f, 1f, 3f, 4, 8, 0), new Rng(99));
        double start = lossWith(m, new WeightEdit(Map.of()), fixed);

        BaselineFile.Made made = Esd.erase(m, erasure, s, ProgressListener.NONE);
        double end = lossWith(m, made.edit(), fixed);
        assertTrue(end < 0.7 * start, "ESD loss on a fixed batch " + start + " -> " + end);

        Map<String, float[]> after = snapshot(m);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k + " changed"));
        // Adam moved every trained weight and nothing else; cross-attention is untouched.
        Set<String> expected = new TreeSet<>();
        for (String n : expectedTrained(m.unet)) expected.add("unet." + n);
        assertEquals(expected, new TreeSet<>(made.edit().deltas().keySet()));
        assertTrue(made.edit().deltas().keySet().stream().noneMatch(n -> n.contains("attn2")));
        assertEquals("esd-u", made.method());
        assertEquals(GuardSpec.NONE, made.guard());
    }

    static double lossWith(TextToImageModel m, WeightEdit edit, Esd.Draw d) {
        UNet theta = Esd.copy(m.unet);
        edit.apply(StateDicts.prefixed("unet.", theta.namedParameters()));
        try (var scope = Grad.noGrad()) {
            return Esd.loss(m, theta, d, 1f).item();
        }
    }

    static Map<String, float[]> snapshot(TextToImageModel m) {
        Map<String, float[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((k, v) -> out.put(k, v.data().toArray()));
        return out;
    }

    @Test
    void theSameSeedGivesTheSameEdit() {
        TextToImageModel m = TinyModels.model(4);
        Erasure erasure = Erasure.first(m.world(), 1);
        WeightEdit a = Esd.erase(m, erasure, settings(2, 1e-3f, 1), ProgressListener.NONE).edit();
        WeightEdit b = Esd.erase(m, erasure, settings(2, 1e-3f, 1), ProgressListener.NONE).edit();
        assertEquals(a.deltas().keySet(), b.deltas().keySet());
        a.deltas().forEach((k, v) -> assertArrayEquals(v.toArray(), b.deltas().get(k).toArray(), k));
    }

    @Test
    void aBaselineFileAttachesAndDetachesBitForBit() throws Exception {
        TextToImageModel m = TinyModels.model(3);
        Erasure erasure = Erasure.first(m.world(), 1);
        BaselineFile.Made made = Esd.erase(m, erasure, settings(3, 1e-3f, 1), ProgressListener.NONE);
        Path f = dir.resolve("esd.safetensors");
        BaselineFile.save(f, made, m, Map.of());
        BaselineFile.Loaded loaded = BaselineFile.read(f);
        assertEquals("esd-u", loaded.method());
        assertEquals(erasure.names(), loaded.erased());
        assertTrue(loaded.metadata().get("settings").contains("\"negative_guidance\":1.0"), loaded.metadata().get("settings"));

        String prompt = Erasure.trainingPhrases(erasure.erased().get(0)).get(0);
        float[] base = output(m, prompt);
        BaselineFile.Attached attached = BaselineFile.attach(m, loaded);
        float[] erased = output(m, prompt);
        attached.detach();
        assertFalse(java.util.Arrays.equals(base, erased), "the edit changes the output for '" + prompt + "'");
        assertArrayEquals(base, output(m, prompt));
    }

    static float[] output(TextToImageModel m, String prompt) {
        try (var scope = Grad.noGrad()) {
            Tensor x = Tensor.randn(new Rng(5), 1, 3, 16, 16);
            return m.unet.forward(Variable.constant(x), new int[] {500}, m.encode(List.of(prompt))).data().toArray();
        }
    }
}
