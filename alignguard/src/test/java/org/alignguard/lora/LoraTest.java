package org.alignguard.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignguard.TinyModels;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA as peft's LoraLayer: no change at init, exact unmerge, merged = unmerged, only the factors train, files. */
class LoraTest {
    @TempDir Path dir;

    static Variable out(TextToImageModel m, long seed) {
        Rng rng = new Rng(seed);
        try (var s = Grad.noGrad()) {
            return m.unet.forward(Variable.constant(Tensor.randn(rng, 2, 3, 16, 16)), new int[] {100, 800}, m.encode(List.of("a red circle with weapon", "")));
        }
    }

    /** The model frozen, with a rank-r LoRA on its attention whose B is random, so it does something. */
    static LoraNetwork frozenWithLora(TextToImageModel m, int rank, long seedA, long seedB) {
        m.unet.freeze();
        m.textEncoder.freeze();
        LoraNetwork net = LoraNetwork.attach(m.unet, LoraConfig.of(rank), new Rng(seedA));
        randomizeB(net, seedB);
        return net;
    }

    /** Randomizes B so the LoRA does something. */
    static void randomizeB(LoraNetwork net, long seed) {
        Rng rng = new Rng(seed);
        for (AdapterLayer l : net.layers().values()) {
            LoraLayer lora = (LoraLayer) l;
            lora.loraB.setData(Tensor.randn(rng, lora.loraB.shape()).mul(0.05f));
        }
    }

    @Test
    void targetsEveryAttentionProjection() {
        TextToImageModel m = TinyModels.model(1);
        LoraNetwork net = LoraNetwork.attach(m.unet, LoraConfig.of(4), new Rng(0));
        // tiny UNet: transformers at the 2nd level (down 1, up 2 blocks) and mid: 4 transformers, 8 attentions, 32 projections
        assertEquals(32, net.layers().size());
        assertTrue(net.layers().containsKey("down.1.attn.0.block.attn2.to_k"));
        assertTrue(net.namedParameters().containsKey("mid.attn.0.block.attn1.to_out.lora_A.weight"));
        assertArrayEquals(new int[] {4, 16}, net.namedParameters().get("down.1.attn.0.block.attn1.to_q.lora_A.weight").shape());
        assertArrayEquals(new int[] {16, 4}, net.namedParameters().get("down.1.attn.0.block.attn1.to_q.lora_B.weight").shape());
        assertEquals(m.unet.namedParameters().keySet(), TinyModels.model(1).unet.namedParameters().keySet(), "the base state dict is unchanged");
    }

    @Test
    void aFreshLoraChangesNothingBitForBit() {
        TextToImageModel m = TinyModels.model(2);
        Generator.Settings s = new Generator.Settings(3, 3f, Generator.Sampler.DDIM);
        float[] before = new Generator(m).generate(List.of("a blue ring on the left with gun", "a red square"), s, 5).toArray();
        float[] outBefore = out(m, 9).data().toArray();
        LoraNetwork net = LoraNetwork.attach(m.unet, LoraConfig.of(4), new Rng(1));
        assertArrayEquals(outBefore, out(m, 9).data().toArray(), "UNet output");
        assertArrayEquals(before, new Generator(m).generate(List.of("a blue ring on the left with gun", "a red square"), s, 5).toArray(), "images");
        net.detach();
    }

    @Test
    void unmergeRestoresTheBaseWeightsBitForBitAndMergedMatchesUnmerged() {
        TextToImageModel m = TinyModels.model(3);
        Map<String, Tensor> base = m.unet.stateDict();
        LoraNetwork net = LoraNetwork.attach(m.unet, LoraConfig.of(4), new Rng(2));
        randomizeB(net, 7);
        float[] unmerged = out(m, 4).data().toArray();
        assertNotEquals(0f, maxDiff(unmerged, baseOut(m, net)), "the randomized LoRA changes the output");
        net.merge();
        float[] merged = out(m, 4).data().toArray();
        assertTrue(maxDiff(unmerged, merged) < 1e-4f, "merged vs unmerged: " + maxDiff(unmerged, merged));
        net.unmerge();
        base.forEach((k, v) -> assertArrayEquals(v.toArray(), m.unet.stateDict().get(k).toArray(), k));
        assertArrayEquals(unmerged, out(m, 4).data().toArray(), "after unmerge the LoRA path is back");
    }

    private static float[] baseOut(TextToImageModel m, LoraNetwork net) {
        net.setEnabled(false);
        float[] v = out(m, 4).data().toArray();
        net.setEnabled(true);
        return v;
    }

    static float maxDiff(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    @Test
    void onlyTheLoraFactorsGetGradients() {
        TextToImageModel m = TinyModels.model(4);
        LoraNetwork net = frozenWithLora(m, 2, 3, 1);
        Variable y = m.unet.forward(Variable.constant(Tensor.randn(new Rng(5), 2, 3, 16, 16)), new int[] {10, 500}, m.encode(List.of("a", "b")));
        Losses.mse(y, Variable.constant(Tensor.zeros(y.shape()))).backward();
        m.unet.namedParameters().forEach((k, p) -> assertNull(p.grad(), "frozen " + k + " got a gradient"));
        m.textEncoder.namedParameters().forEach((k, p) -> assertNull(p.grad(), "frozen " + k + " got a gradient"));
        net.namedParameters().forEach((k, p) -> assertTrue(p.grad() != null && p.grad().mul(p.grad()).sum(false).item() > 0, k + " has no gradient"));
    }

    @Test
    void savesWithPeftNamesAndRefusesAnotherUNet() throws IOException {
        TextToImageModel m = TinyModels.model(5);
        LoraNetwork net = LoraNetwork.attach(m.unet, LoraConfig.of(4), new Rng(6));
        randomizeB(net, 2);
        float[] expected = out(m, 3).data().toArray();
        Path f = dir.resolve("x.safetensors");
        LoraFile.save(f, net, m, Map.of("category", "violence"));
        net.detach();
        LoraFile.Loaded l = LoraFile.read(f);
        assertTrue(l.tensors().containsKey("down.1.attn.0.block.attn2.to_v.lora_B.weight"), l.tensors().keySet().toString());
        assertEquals("4", l.metadata().get("rank"));
        assertEquals("to_q,to_k,to_v,to_out", l.metadata().get("target_modules"));
        assertEquals(LoraFile.unetHash(m.unet), l.metadata().get("base_model_sha256"));
        LoraFile.Attached a = LoraFile.attach(m, l, 1f);
        assertNull(a.warning());
        assertArrayEquals(expected, out(m, 3).data().toArray(), "the loaded LoRA does what the saved one did");
        a.network().detach();

        UNetConfig c = TinyModels.unetConfig();
        TextToImageModel other = TinyModels.model(new UNetConfig(16, 3, 16, c.channelMult(), 1, c.attentionLevels(), 2, 16, 4, 0f, true, 1, true, false), 5);
        IOException e = assertThrows(IOException.class, () -> LoraFile.attach(other, l, 1f));
        assertTrue(e.getMessage().contains("another UNet") && e.getMessage().contains("x.safetensors"), e.getMessage());
        TextToImageModel sameShape = TinyModels.model(99);
        LoraFile.Attached w = LoraFile.attach(sameShape, l, 1f);
        assertTrue(w.warning() != null && w.warning().contains("other base weights"), String.valueOf(w.warning()));
        w.network().detach();
    }

    @Test
    void scaleZeroIsTheBaseAndScaleTwoDoublesTheUpdate() {
        TextToImageModel m = TinyModels.model(6);
        float[] base = out(m, 1).data().toArray();
        LoraNetwork net = LoraNetwork.attach(m.unet, LoraConfig.of(4), new Rng(1));
        randomizeB(net, 3);
        net.setScale(0f);
        assertArrayEquals(base, out(m, 1).data().toArray());
        // On one Linear, what the adapter adds is linear in the scale: scale 2 adds twice what scale 1 adds.
        AdapterLayer l = net.layers().values().iterator().next();
        Variable x = Variable.constant(Tensor.randn(new Rng(4), 5, l.base.inFeatures));
        float[] y0 = l.base.forward(x).data().toArray();
        net.setScale(1f);
        float[] y1 = l.base.forward(x).data().toArray();
        net.setScale(2f);
        float[] y2 = l.base.forward(x).data().toArray();
        float[] twice = new float[y0.length], added = new float[y0.length];
        for (int i = 0; i < y0.length; i++) {
            twice[i] = 2 * (y1[i] - y0[i]);
            added[i] = y2[i] - y0[i];
        }
        assertTrue(maxDiff(twice, added) < 1e-4f, "scale 2 adds twice the update");
        assertTrue(maxDiff(y1, y0) > 1e-3f, "the update is not zero");
        net.detach();
    }
}
