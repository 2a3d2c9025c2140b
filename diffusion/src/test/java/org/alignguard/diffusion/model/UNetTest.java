package org.alignguard.diffusion.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        UNet without = new UNet(new UNetConfig(t.imageSize(), 3, t.baseChannels(), t.channelMult(), 1, t.attentionLevels(), t.heads(), 16, t.groups(), 0f, false, 1, false, false), rng);
        assertTrue(without.text_embed == null && !without.namedParameters().containsKey("text_embed.weight"));
    }

    /** CoordConv: conv_in sees x and y in [-1, 1] as two more channels, and learns from them. */
    @Test
    void coordinateChannelsReachConvIn() {
        Tensor c = UNet.coordinates(2, 3);
        assertArrayEquals(new int[] {2, 2, 3, 3}, c.shape());
        assertArrayEquals(new float[] {-1, 0, 1, -1, 0, 1, -1, 0, 1}, c.slice(1, 0, 1).slice(0, 1, 2).contiguous().toArray()); // x: the column
        assertArrayEquals(new float[] {-1, -1, -1, 0, 0, 0, 1, 1, 1}, c.slice(1, 1, 2).slice(0, 1, 2).contiguous().toArray()); // y: the row
        Rng rng = new Rng(8);
        UNet unet = new UNet(UNetConfig.tiny(16), rng);
        assertArrayEquals(new int[] {8, 5, 3, 3}, unet.conv_in.weight.shape());   // 3 colour + 2 coordinate channels
        Losses.mse(unet.forward(Variable.constant(Tensor.randn(rng, 2, 3, 8, 8)), new int[] {5, 900}, Variable.constant(Tensor.randn(rng, 2, 6, 16))),
                Variable.constant(Tensor.zeros(2, 3, 8, 8))).backward();
        float g = unet.conv_in.weight.grad().slice(1, 3, 5).contiguous().unary(org.alignguard.tensor.UnaryOp.SQUARE).sum(false).item();
        assertTrue(g > 0, "the coordinate channels' weights get no gradient");
    }

    /** DiT's 2-D sin-cos embedding: rows and columns in separate halves; every place gets its own vector. */
    @Test
    void positionalEmbeddingsTellPlacesApart() {
        Tensor e = PositionalEmbedding2d.sinCos(4, 4, 8);   // 2 frequencies per quarter
        assertArrayEquals(new int[] {16, 8}, e.shape());
        // token (y=1, x=2) = 6: [sin y, sin y/100, cos y, cos y/100, sin x, sin x/100, cos x, cos x/100]
        float[] t6 = e.slice(0, 6, 7).contiguous().toArray();
        assertEquals((float) Math.sin(1), t6[0], 1e-6f);
        assertEquals((float) Math.cos(0.01), t6[3], 1e-6f);
        assertEquals((float) Math.sin(2), t6[4], 1e-6f);
        assertEquals((float) Math.cos(0.02), t6[7], 1e-6f);
        for (int i = 0; i < 16; i++)
            for (int j = i + 1; j < 16; j++)
                assertFalse(java.util.Arrays.equals(e.slice(0, i, i + 1).contiguous().toArray(), e.slice(0, j, j + 1).contiguous().toArray()), i + " vs " + j);
        assertThrows(IllegalArgumentException.class, () -> PositionalEmbedding2d.sinCos(2, 2, 6));
        // In the UNet the embedding changes the output (it is really added), and is not a parameter.
        UNetConfig t = UNetConfig.tiny(16);
        UNetConfig noPos = new UNetConfig(t.imageSize(), 3, t.baseChannels(), t.channelMult(), 1, t.attentionLevels(), t.heads(), 16, t.groups(), 0f, true, 1, true, false);
        UNet with = new UNet(t, new Rng(9)), without = new UNet(noPos, new Rng(9));
        assertEquals(with.namedParameters().keySet(), without.namedParameters().keySet());
        Tensor x = Tensor.randn(new Rng(10), 1, 3, 8, 8);
        Variable ctx = Variable.constant(Tensor.randn(new Rng(11), 1, 6, 16));
        assertFalse(java.util.Arrays.equals(with.forward(Variable.constant(x), new int[] {800}, ctx).data().toArray(),
                without.forward(Variable.constant(x), new int[] {800}, ctx).data().toArray()));
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
        UNet patched = new UNet(new UNetConfig(t.imageSize(), 3, t.baseChannels(), t.channelMult(), 1, t.attentionLevels(), t.heads(), 16, t.groups(), 0f, true, 2, false, true), new Rng(5));
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
        assertThrows(IllegalArgumentException.class, () -> new UNetConfig(10, 3, 8, new int[] {1, 2}, 1, new boolean[] {false, true}, 2, 16, 3, 0f, false, 1, false, false));
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
