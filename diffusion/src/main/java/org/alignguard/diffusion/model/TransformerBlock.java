package org.alignguard.diffusion.model;

import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Attention;
import org.alignguard.nn.LayerNorm;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Rng;

/**
 * diffusers' {@code BasicTransformerBlock}: self-attention, cross-attention on the text, feed-forward,
 * each pre-normalized and residual.
 * <pre>
 *   h = h + attn1(LN1(h))            self-attention over the image tokens
 *   h = h + attn2(LN2(h), context)   cross-attention: queries from the image, keys/values from the text
 *   h = h + ff(LN3(h))               Linear(dim, 4·dim) ─► GELU ─► Linear(4·dim, dim)
 * </pre>
 */
public final class TransformerBlock extends Module {
    public final LayerNorm norm1, norm2, norm3;
    public final Attention attn1, attn2;
    public final Linear ff_in, ff_out;

    public TransformerBlock(int dim, int contextDim, int heads, Rng rng) {
        norm1 = child("norm1", new LayerNorm(dim, 1e-5f));
        attn1 = child("attn1", new Attention(dim, dim, heads, rng));
        norm2 = child("norm2", new LayerNorm(dim, 1e-5f));
        attn2 = child("attn2", new Attention(dim, contextDim, heads, rng));
        norm3 = child("norm3", new LayerNorm(dim, 1e-5f));
        ff_in = child("ff_in", new Linear(dim, 4 * dim, true, rng));
        ff_out = child("ff_out", new Linear(4 * dim, dim, true, rng));
    }

    public Variable forward(Variable h, Variable context) {
        h = h.add(attn1.forward(norm1.forward(h), null));
        h = h.add(attn2.forward(norm2.forward(h), context));
        return h.add(ff_out.forward(Ops.gelu(ff_in.forward(norm3.forward(h)))));
    }
}
