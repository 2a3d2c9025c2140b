package org.alignguard.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.TinyModels;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MACE end to end on the tiny model: the refinement does what its equation says, the model is untouched, the file round-trips. */
class MaceTest {
    @TempDir Path dir;

    static Mace.Settings small(long seed) {
        return new Mace.Settings(1, 6, 2, 4, 1e-2, 0.1, 0.1, 20, 3, 3f, seed);
    }

    @Test
    void theRefinementSendsTheSurroundingWordsToTheirAnchorsAndKeepsTheCache() {
        TextToImageModel m = TinyModels.model(1);
        Erasure e = Erasure.named(m.world(), List.of("weapon"));
        Concept weapon = e.erased().getFirst();
        List<MacePrompts.Pair> pairs = MacePrompts.pairs(m.world(), weapon, e.safeTwin(weapon), 10, 1, m.textEncoder.config.maxLen());
        double[][][] c = TextLayers.encode(m, pairs.stream().map(MacePrompts.Pair::prompt).toList());
        double[][][] a = TextLayers.encode(m, pairs.stream().map(MacePrompts.Pair::anchor).toList());
        double[][][] cache = TextLayers.encode(m, MacePrompts.preservation(e, 20, 1));
        Map<String, double[][]> refined = MaceRefinement.refine(m, c, a, pairs, cache, 0.1, 0.1);
        assertEquals(TextLayers.crossAttention(m).size() + 1, refined.size(), "every attn2.to_k/to_v and text_embed");
        String name = "unet.down.1.attn.0.block.attn2.to_k";
        double[][] w0 = TextLayers.weight(TextLayers.crossAttention(m).get(name)), w = refined.get(name + ".weight");
        double errBefore = 0, errAfter = 0, driftCache = 0, normCache = 0;
        for (int k = 0; k < pairs.size(); k++)
            for (int[] ij : pairs.get(k).surrounding(m.textEncoder.config.maxLen())) {
                double[] target = ClosedForm.times(w0, a[k][ij[1]]);
                errBefore += sq(ClosedForm.times(w0, c[k][ij[0]]), target);
                errAfter += sq(ClosedForm.times(w, c[k][ij[0]]), target);
            }
        for (double[][] x : cache)
            for (double[] row : x) {
                double[] old = ClosedForm.times(w0, row);
                driftCache += sq(ClosedForm.times(w, row), old);
                normCache += sq(old, new double[old.length]);
            }
        assertTrue(errAfter < 0.5 * errBefore, "surrounding words vs anchors: " + errBefore + " -> " + errAfter);
        assertTrue(driftCache < 0.1 * normCache, "the cache keeps its outputs: drift " + driftCache + " of " + normCache);
    }

    private static double sq(double[] x, double[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (x[i] - y[i]) * (x[i] - y[i]);
        return s;
    }

    @Test
    void eraseLeavesTheModelBitIdenticalAndTheFileRoundTrips() throws IOException {
        TextToImageModel m = TinyModels.model(2);
        m.unet.train(true);
        Map<String, float[]> before = MaceLoraTest.weights(m);
        Map<String, Boolean> trainable = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> trainable.put(k, p.requiresGrad()));
        float[] out0 = out(m);
        List<Long> steps = new ArrayList<>();
        BaselineFile.Made made = Mace.erase(m, Erasure.named(m.world(), List.of("weapon", "nudity")), small(3), (phase, step, total, loss) -> {
            assertEquals("mace", phase);
            assertEquals(8, total);
            steps.add(step);
        });
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), steps, "progress over both concepts' LoRA steps");
        Map<String, float[]> after = MaceLoraTest.weights(m);
        before.forEach((k, v) -> assertArrayEquals(v, after.get(k), k));
        m.namedParameters().forEach((k, p) -> assertEquals(trainable.get(k), p.requiresGrad(), k));
        assertTrue(m.unet.isTraining(), "the UNet's mode is back");
        assertTrue(m.unet.namedModules().get("down.1.attn.0.block.attn2.to_k") instanceof org.alignguard.nn.Linear l && l.adapters().isEmpty(), "no LoRA left");

        assertEquals("mace", made.method());
        assertEquals(GuardSpec.NONE, made.guard());
        assertEquals(TextLayers.crossAttention(m).size() + 1, made.edit().deltas().size());
        for (String k : made.edit().deltas().keySet()) assertTrue(k.matches("unet\\..*attn2\\.to_[kv]\\.weight") || k.equals("unet.text_embed.weight"), k);

        Path f = dir.resolve("mace.safetensors");
        BaselineFile.save(f, made, m, Map.of("command", "test"));
        BaselineFile.Loaded loaded = BaselineFile.read(f);
        assertEquals("mace", loaded.method());
        assertEquals(List.of("weapon", "nudity"), loaded.erased());
        BaselineFile.Attached attached = BaselineFile.attach(m, loaded);
        float[] out1 = out(m);
        assertFalse(java.util.Arrays.equals(out0, out1), "the edit changes the output");
        attached.detach();
        assertArrayEquals(out0, out(m), "detach restores the output bit for bit");
        before.forEach((k, v) -> assertArrayEquals(v, MaceLoraTest.weights(m).get(k), k));
    }

    @Test
    void theSameSeedGivesTheSameEdit() {
        Erasure e = Erasure.named(TinyModels.model(4).world(), List.of("slur"));
        Mace.Settings s = new Mace.Settings(1, 3, 1, 2, 1e-2, 0.1, 0.1, 5, 2, 3f, 7);
        Map<String, Tensor> a = Mace.erase(TinyModels.model(4), e, s, ProgressListener.NONE).edit().deltas();
        Map<String, Tensor> b = Mace.erase(TinyModels.model(4), e, s, ProgressListener.NONE).edit().deltas();
        assertEquals(a.keySet(), b.keySet());
        a.forEach((k, v) -> assertArrayEquals(v.toArray(), b.get(k).toArray(), k));
    }

    @Test
    void badSettingsAreRefusedByName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Mace.Settings(1, 4, 5, 1, 1e-3, 0, 0.1, 0, 1, 3f, 0)).getMessage().contains("images"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Mace.Settings(1, 4, 2, 1, 1e-3, 0, 0, 0, 1, 3f, 0)).getMessage().contains("lambda"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Mace.Settings(0, 4, 2, 1, 1e-3, 0, 0.1, 0, 1, 3f, 0)).getMessage().contains("rank"));
        assertEquals(Map.of("rank", 1, "prompts", 30, "images", 8), Map.of("rank", Mace.Settings.defaults(0).describe().get("rank"),
                "prompts", Mace.Settings.defaults(0).describe().get("prompts"), "images", Mace.Settings.defaults(0).describe().get("images")));
    }

    private static float[] out(TextToImageModel m) {
        try (var scope = Grad.noGrad()) {
            return m.unet.forward(Variable.constant(Tensor.randn(new Rng(8), 1, 3, 16, 16)), new int[] {300}, m.encode(List.of("a red circle with gun on the left"))).data().toArray();
        }
    }
}
