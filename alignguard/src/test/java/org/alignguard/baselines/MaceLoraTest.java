package org.alignguard.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignguard.TinyModels;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.lora.LoraConfig;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.nn.Attention;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The attention-map hook, MACE's attention loss and its LoRA training, on the tiny model. */
class MaceLoraTest {
    static List<MaceLora.Sample> samples(TextToImageModel m, String concept, int n) {
        Concept c = m.world().concepts().stream().filter(x -> x.name().equals(concept)).findFirst().orElseThrow();
        List<MacePrompts.Pair> pairs = MacePrompts.pairs(m.world(), c, m.world().concept(c.counterpart()), n, 5, m.textEncoder.config.maxLen());
        return MaceLora.samples(m, pairs, n, 3, 3f, 9);
    }

    @Test
    void theHookSeesProbabilitiesThatSumToOneOverTheKeys() {
        TextToImageModel m = TinyModels.model(1);
        Attention attn2 = (Attention) m.unet.namedModules().get("down.1.attn.0.block.attn2");
        List<Variable> seen = new ArrayList<>();
        attn2.setMapListener(seen::add);
        try (var scope = Grad.noGrad()) {
            m.unet.forward(Variable.constant(Tensor.randn(new Rng(2), 2, 3, 16, 16)), new int[] {10, 900}, m.encode(List.of("a red circle with gun", "")));
        }
        attn2.setMapListener(null);
        assertEquals(1, seen.size());
        int[] shape = seen.getFirst().shape();
        assertEquals(List.of(2, m.unet.config.heads(), 64, m.textEncoder.config.maxLen()), List.of(shape[0], shape[1], shape[2], shape[3]), "[B, heads, 8·8 pixels, tokens]");
        float[] a = seen.getFirst().data().contiguous().toArray();
        int keys = shape[3];
        for (int row = 0; row < a.length / keys; row++) {
            double sum = 0;
            for (int k = 0; k < keys; k++) {
                assertTrue(a[row * keys + k] >= 0);
                sum += a[row * keys + k];
            }
            assertEquals(1.0, sum, 1e-5, "row " + row);
        }
        try (var scope = Grad.noGrad()) {
            m.unet.forward(Variable.constant(Tensor.randn(new Rng(2), 1, 3, 16, 16)), new int[] {10}, m.encode(List.of("x")));
        }
        assertEquals(1, seen.size(), "a removed listener hears nothing");
    }

    @Test
    void masksResizeByCoverSoThinLinesSurvive() {
        boolean[] mask = new boolean[16 * 16];
        for (int x = 0; x < 16; x++) mask[5 * 16 + x] = true;    // one line, row 5
        boolean[] small = MaceAttentionLoss.resize(mask, 16, 8);
        for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) assertEquals(y == 2, small[y * 8 + x], "cell " + x + "," + y);
        assertFalse(MaceAttentionLoss.resize(new boolean[256], 16, 4)[0]);
    }

    @Test
    void gradientsReachOnlyTheCrossAttentionKeyAndValueLoras() {
        TextToImageModel m = TinyModels.model(3);
        MaceLora.Sample s = samples(m, "weapon", 1).getFirst();
        m.unet.freeze();
        m.textEncoder.freeze();
        LoraNetwork lora = LoraNetwork.attach(m.unet, new LoraConfig(1, 1, List.of("to_k", "to_v")), new Rng(4), p -> p.contains("attn2."));
        try (MaceAttentionLoss maps = new MaceAttentionLoss(m.unet)) {
            assertEquals(8, lora.layers().size(), "4 transformers × attn2.to_k, attn2.to_v");
            Variable loss = MaceLora.loss(m, maps, new DDPMScheduler(m.schedule), s, 500, Tensor.randn(new Rng(5), s.image().shape()));
            assertEquals(4, maps.maps().size(), "one map per cross-attention");
            assertTrue(loss.item() > 0);
            loss.backward();
            m.unet.namedParameters().forEach((k, p) -> assertNull(p.grad(), k));
            m.textEncoder.namedParameters().forEach((k, p) -> assertNull(p.grad(), k));
            for (var e : lora.namedParameters().entrySet()) assertTrue(e.getKey().matches(".*attn2\\.to_[kv]\\.lora_[AB]\\.weight"), e.getKey());
            for (var e : lora.namedParameters().entrySet())
                if (e.getKey().endsWith("to_k.lora_B.weight")) {
                    Tensor g = e.getValue().grad();
                    assertTrue(g != null && g.mul(g).sum(false).item() > 0, e.getKey() + " gets a gradient");
                }
        } finally {
            lora.detach();
        }
    }

    @Test
    void theAttentionLossFallsOverAFewLoraSteps() {
        TextToImageModel m = TinyModels.model(6);
        List<MaceLora.Sample> data = samples(m, "nudity", 2);
        DDPMScheduler forward = new DDPMScheduler(m.schedule);
        Tensor eps = Tensor.randn(new Rng(11), data.getFirst().image().shape());
        double before = lossAt(m, data.getFirst(), forward, eps);
        MaceLora.Result r = MaceLora.train(m, data, 1, 15, 5e-2f, 3, ProgressListener.NONE, 0, 15);
        assertEquals(15, r.losses().size());
        assertEquals(8, r.deltas().size());
        for (String k : r.deltas().keySet()) assertTrue(k.startsWith("unet.") && k.matches(".*attn2\\.to_[kv]\\.weight"), k);
        WeightEdit.Applied on = new WeightEdit(r.deltas()).apply(m.namedParameters());
        double after = lossAt(m, data.getFirst(), forward, eps);
        on.restore();
        assertTrue(after < 0.9 * before, "loss " + before + " -> " + after);
        assertEquals(before, lossAt(m, data.getFirst(), forward, eps), 0, "the LoRA is off the model again");
    }

    private static double lossAt(TextToImageModel m, MaceLora.Sample s, DDPMScheduler forward, Tensor eps) {
        try (MaceAttentionLoss maps = new MaceAttentionLoss(m.unet); var scope = Grad.noGrad()) {
            return MaceLora.loss(m, maps, forward, s, 400, eps).item();
        }
    }

    static Map<String, float[]> weights(TextToImageModel m) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> out.put(k, v.contiguous().toArray()));
        return out;
    }
}
