package org.alignguard.diffusion.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Variable;
import org.alignguard.optim.AdamW;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Tiny-config checks of the UNet and the text encoder: shapes, names, and loss falling on an overfit. */
class UNetTest {
    static final TextEncoderConfig TEXT = new TextEncoderConfig(20, 6, 16, 1, 2);

    @Test
    void shapesAndParameterNames() {
        Rng rng = new Rng(0);
        UNet unet = new UNet(UNetConfig.tiny(16), rng);
        TextEncoder enc = new TextEncoder(TEXT, rng);
        Variable ctx = enc.forward(new int[] {1, 2, 3, 0, 0, 0, 4, 5, 0, 0, 0, 0}, 2);
        assertArrayEquals(new int[] {2, 6, 16}, ctx.shape());
        Variable eps = unet.forward(Variable.constant(Tensor.randn(rng, 2, 3, 8, 8)), new int[] {10, 900}, ctx);
        assertArrayEquals(new int[] {2, 3, 8, 8}, eps.shape());
        Map<String, Variable> names = unet.namedParameters();
        assertTrue(names.containsKey("down.1.attn.0.block.attn2.to_q.weight"), names.keySet().toString());
        assertTrue(names.containsKey("mid.attn.0.block.attn1.to_out.bias"));
        assertTrue(names.containsKey("up.0.res.1.conv2.weight"));
        assertTrue(names.containsKey("down.0.downsample.conv.weight"));
        assertTrue(names.containsKey("up.0.upsample.conv.weight"));
    }

    /** The pooled prompt (SDXL-style) reaches the timestep embedding: its projection gets a gradient. */
    @Test
    void pooledTextFeedsTheTimestepEmbedding() {
        Rng rng = new Rng(3);
        UNet with = new UNet(UNetConfig.tiny(16), rng);
        Variable ctx = Variable.param(Tensor.randn(rng, 2, 6, 16));
        Losses.mse(with.forward(Variable.constant(Tensor.randn(rng, 2, 3, 8, 8)), new int[] {5, 500}, ctx), Variable.constant(Tensor.zeros(2, 3, 8, 8))).backward();
        float g = with.text_embed.weight.grad().unary(org.alignguard.tensor.UnaryOp.SQUARE).sum(false).item();
        assertTrue(g > 0, "text_embed gets no gradient");
        UNetConfig t = UNetConfig.tiny(16);
        UNet without = new UNet(new UNetConfig(t.imageSize(), 3, t.baseChannels(), t.channelMult(), 1, t.attentionLevels(), t.heads(), 16, t.groups(), 0f, false, 1), rng);
        assertTrue(without.text_embed == null && !without.namedParameters().containsKey("text_embed.weight"));
    }

    /** Space-to-depth folds each p×p block into channels and back, losslessly. */
    @Test
    void spaceToDepthRoundTrip() {
        Tensor x = Tensor.randn(new Rng(4), 2, 3, 4, 4);
        Variable folded = UNet.spaceToDepth(Variable.constant(x), 2);
        assertArrayEquals(new int[] {2, 12, 2, 2}, folded.shape());
        // channel c·4 + dy·2 + dx at (i, j) is pixel (2i + dy, 2j + dx) of channel c
        org.junit.jupiter.api.Assertions.assertEquals(x.get(1, 2, 3, 0), folded.data().get(1, 2 * 4 + 1 * 2 + 0, 1, 0));
        assertArrayEquals(x.toArray(), UNet.depthToSpace(folded, 2).data().toArray());
        UNetConfig t = UNetConfig.tiny(16);
        UNet patched = new UNet(new UNetConfig(t.imageSize(), 3, t.baseChannels(), t.channelMult(), 1, t.attentionLevels(), t.heads(), 16, t.groups(), 0f, true, 2), new Rng(5));
        Variable eps = patched.forward(Variable.constant(Tensor.randn(new Rng(6), 2, 3, 8, 8)), new int[] {3, 300}, Variable.constant(Tensor.randn(new Rng(7), 2, 6, 16)));
        assertArrayEquals(new int[] {2, 3, 8, 8}, eps.shape());
    }

    @Test
    void badInputShapesAreNamed() {
        Rng rng = new Rng(0);
        UNet unet = new UNet(UNetConfig.tiny(16), rng);
        Variable ctx = Variable.constant(Tensor.zeros(1, 6, 16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> unet.forward(Variable.constant(Tensor.zeros(1, 3, 16, 16)), new int[] {0}, ctx));
        assertTrue(e.getMessage().contains("[1, 3, 16, 16]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new UNetConfig(10, 3, 8, new int[] {1, 2}, 1, new boolean[] {false, true}, 2, 16, 3, 0f, false, 1));
    }

    /** Two fixed images, two prompts: ε-prediction MSE must fall well below its start. */
    @Test
    void lossFallsOnTinyOverfit() {
        Rng rng = new Rng(1);
        UNet unet = new UNet(UNetConfig.tiny(16), rng);
        TextEncoder enc = new TextEncoder(TEXT, rng);
        Map<String, Variable> params = new java.util.LinkedHashMap<>(unet.namedParameters());
        enc.namedParameters().forEach((k, v) -> params.put("text." + k, v));
        AdamW opt = new AdamW(params, 3e-3f, 0.9f, 0.999f, 1e-8f, 0f);
        Tensor x = Tensor.randn(rng, 2, 3, 8, 8), noise = Tensor.randn(rng, 2, 3, 8, 8);
        int[] ids = {1, 2, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0};
        int[] t = {100, 400};
        float first = 0, last = 0;
        for (int step = 0; step < 60; step++) {
            opt.zeroGrad();
            Variable xt = Variable.constant(x.mul(0.8f).add(noise.mul(0.6f)));
            Variable loss = Losses.mse(unet.forward(xt, t, enc.forward(ids, 2)), Variable.constant(noise));
            loss.backward();
            opt.step();
            if (step == 0) first = loss.item();
            last = loss.item();
        }
        assertTrue(last < 0.2f * first, "loss " + first + " -> " + last);
    }
}
