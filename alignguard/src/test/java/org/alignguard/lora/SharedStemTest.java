package org.alignguard.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignguard.TinyModels;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.model.UNet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The DPO step's shared stem (UNet.Stem, DpoTrainer): with LoRA on the attention layers only, the
 * reference pass (LoRA off) and the policy pass (LoRA on) computed from one stem give the same bits,
 * values and LoRA gradients, as two whole passes; and a LoRA inside the stem is found, so the
 * trainer does not share it.
 */
class SharedStemTest {
    private record Pass(float[] ref, float[] policy, List<float[]> grads) {}

    private static Pass pass(TextToImageModel m, LoraNetwork lora, Tensor x, int[] t, Variable context, Tensor w, boolean shared) {
        UNet.Stem stem = null;
        Variable ref;
        try (var s = Grad.noGrad()) {
            lora.setEnabled(false);
            if (shared) stem = m.unet.stem(Variable.constant(x), t, context);
            ref = shared ? m.unet.forward(stem, context) : m.unet.forward(Variable.constant(x), t, context);
        } finally {
            lora.setEnabled(true);
        }
        Variable policy = shared ? m.unet.forward(stem, context) : m.unet.forward(Variable.constant(x), t, context);
        for (Variable p : lora.parameters()) p.zeroGrad();
        policy.mul(Variable.constant(w)).sum(false, 0, 1, 2, 3).backward();
        List<float[]> grads = new ArrayList<>();
        for (Variable p : lora.parameters()) grads.add(p.grad().toArray());
        return new Pass(ref.data().toArray(), policy.data().toArray(), grads);
    }

    @Test
    void policyAndReferenceFromOneStemAreBitForBitTwoWholePasses() {
        TextToImageModel m = TinyModels.model(1);
        LoraNetwork lora = LoraTest.frozenWithLora(m, 4, 2, 3);
        assertTrue(lora.layers().keySet().stream().noneMatch(m.unet::inStem), "attention LoRA stays out of the stem");
        Rng rng = new Rng(5);
        Tensor x = Tensor.randn(rng, 3, 3, 16, 16);
        int[] t = {5, 400, 990};
        Variable context;
        try (var s = Grad.noGrad()) {
            context = m.encode(List.of("a red circle with weapon", "", "a blue square"));
        }
        Tensor w = Tensor.randn(rng, 3, 3, 16, 16);
        Pass whole = pass(m, lora, x, t, context, w, false), shared = pass(m, lora, x, t, context, w, true);
        assertArrayEquals(whole.ref(), shared.ref());
        assertArrayEquals(whole.policy(), shared.policy());
        assertFalse(java.util.Arrays.equals(whole.ref(), whole.policy()), "the LoRA changes the output, so the test can tell the passes apart");
        assertEquals(whole.grads().size(), shared.grads().size());
        for (int i = 0; i < whole.grads().size(); i++) assertArrayEquals(whole.grads().get(i), shared.grads().get(i), "gradient " + i);
    }

    @Test
    void theRestOfThePassOnRowsOfTheStemGivesThoseRowsOfTheBatch() {
        TextToImageModel m = TinyModels.model(1);
        Rng rng = new Rng(7);
        Tensor x = Tensor.randn(rng, 5, 3, 16, 16);
        int[] t = {5, 400, 990, 17, 640};
        try (var s = Grad.noGrad()) {
            Variable context = m.encode(List.of("a red circle with weapon", "", "a blue square", "a green ball", "a red circle"));
            UNet.Stem stem = m.unet.stem(Variable.constant(x), t, context);
            Tensor whole = m.unet.forward(stem, context).data();
            Tensor first = m.unet.forward(stem.rows(0, 2), Variable.constant(context.data().slice(0, 0, 2).contiguous())).data();
            Tensor rest = m.unet.forward(stem.rows(2, 5), Variable.constant(context.data().slice(0, 2, 5).contiguous())).data();
            assertArrayEquals(whole.toArray(), Tensor.concat(List.of(first, rest), 0).toArray());
        }
    }

    /**
     * RowSplit on the shipped model's geometry (16 → 8 → 4 maps, 32 and 64 channels: the 4×4
     * convolutions take another path for one image than for several), random weights: parts of two
     * rows or more give the whole batch's bits, and no part has fewer than two rows.
     */
    @Test
    void rowSplitGivesTheWholeBatchOnTheShippedGeometry() {
        var cfg = new org.alignguard.diffusion.model.UNetConfig(16, 3, 32, new int[] {1, 2, 2}, 1, new boolean[] {false, true, true}, 4, 64, 8, 0f, true, 1, true, false);
        UNet unet = new UNet(cfg, new Rng(11));
        unet.eval();
        assertEquals(1, org.alignguard.diffusion.model.RowSplit.parts(3), "three rows stay one part: a part of one row would change the bits");
        org.junit.jupiter.api.Assumptions.assumeTrue(org.alignguard.diffusion.model.RowSplit.parts(4) == 2,
                "with one thread or one lane nothing is split, and the comparison below would be of a batch with itself");
        for (int n : new int[] {4, 5}) {
            Rng rng = new Rng(n);
            Tensor x = Tensor.randn(rng, n, 3, 16, 16), ctx = Tensor.randn(rng, n, 6, 64);
            int[] t = new int[n];
            for (int i = 0; i < n; i++) t[i] = 100 + 150 * i;
            float[] whole;
            try (var s = Grad.noGrad()) {
                whole = unet.forward(Variable.constant(x), t, Variable.constant(ctx)).data().toArray();
            }
            Tensor split = org.alignguard.diffusion.model.RowSplit.run(n, List.of(unet, unet), (u, from, to) -> u.forward(
                    org.alignguard.diffusion.model.RowSplit.rows(Variable.constant(x), from, to), java.util.Arrays.copyOfRange(t, from, to),
                    org.alignguard.diffusion.model.RowSplit.rows(Variable.constant(ctx), from, to)));
            assertArrayEquals(whole, split.toArray(), n + " rows");
        }
    }

    @Test
    void theStemEndsAtTheFirstTransformer() {
        TextToImageModel m = TinyModels.model(1);   // tiny UNet: attention at the second level only
        UNet u = m.unet;
        for (String path : List.of("time_embed.linear_1", "text_embed", "conv_in", "down.0.res.0.conv1", "down.0.res.0.time_emb_proj",
                "down.0.downsample.conv", "down.1.res.0.conv2")) assertTrue(u.inStem(path), path);
        for (String path : List.of("down.1.attn.0.block.attn1.to_q", "down.1.attn.0.norm", "mid.res.0.conv1", "up.0.res.0.conv1", "conv_out", "norm_out"))
            assertFalse(u.inStem(path), path);
        // LoRA attaches to attention projections only, so no LoRA of this project reaches the stem;
        // the trainer still checks (UNet.inStem), because an adapter inside it, say on the first
        // ResNet block's time projection, makes the stem depend on whether the adapter is on.
        var proj = ((org.alignguard.diffusion.model.ResnetBlock) u.namedModules().get("down.0.res.0")).time_emb_proj;
        LoraLayer inside = new LoraLayer(proj, 4, 4, new Rng(2));
        inside.loraB.setData(Tensor.randn(new Rng(3), inside.loraB.shape()).mul(0.5f));
        proj.addAdapter(inside);
        Map<Boolean, float[]> h = new java.util.HashMap<>();
        for (boolean on : new boolean[] {false, true}) {
            inside.setEnabled(on);
            try (var s = Grad.noGrad()) {
                h.put(on, u.stem(Variable.constant(Tensor.randn(new Rng(5), 1, 3, 16, 16)), new int[] {300}, m.encode(List.of("a red circle"))).h().data().toArray());
            }
        }
        assertFalse(java.util.Arrays.equals(h.get(false), h.get(true)));
        proj.removeAdapter(inside);
    }
}
