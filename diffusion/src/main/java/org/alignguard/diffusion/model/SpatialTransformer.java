package org.alignguard.diffusion.model;

import org.alignguard.autograd.Variable;
import org.alignguard.nn.GroupNorm;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * Lets a feature map attend to itself and to the prompt (Stable Diffusion's {@code Transformer2DModel}):
 * <pre>
 *   x [B,C,H,W] ─► GN ─► to tokens [B, H·W, C] ─► proj_in (+ pos) ─► TransformerBlock(·, context) ─► proj_out
 *                ─► back to [B,C,H,W] ─► (+ x)
 * </pre>
 * "pos" is a fixed 2-D sine-cosine embedding of each token's place ({@link PositionalEmbedding2d});
 * Stable Diffusion has none, and it is only added when the transformer is built with its map size.
 */
public final class SpatialTransformer extends Module {
    public final GroupNorm norm;
    public final Linear proj_in, proj_out;
    public final TransformerBlock block;
    /** [H·W, C] positional embedding added to the tokens, or null. A constant: not a parameter. */
    private final Tensor pos;

    /** With {@code size} > 0, tokens of a size×size map get a positional embedding; 0 for none. */
    public SpatialTransformer(int channels, int contextDim, int heads, int groups, int size, Rng rng) {
        pos = size > 0 ? PositionalEmbedding2d.sinCos(size, size, channels) : null;
        norm = child("norm", new GroupNorm(groups, channels, 1e-6f));
        proj_in = child("proj_in", new Linear(channels, channels, true, rng));
        block = child("block", new TransformerBlock(channels, contextDim, heads, rng));
        proj_out = child("proj_out", new Linear(channels, channels, true, rng));
    }

    public Variable forward(Variable x, Variable context) {
        int b = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        Variable tokens = norm.forward(x).reshape(b, c, h * w).permute(0, 2, 1);   // [B, HW, C]
        Variable h0 = proj_in.forward(tokens);
        if (pos != null) {
            if (pos.dim(0) != h * w) throw new IllegalArgumentException("SpatialTransformer: built for " + pos.dim(0) + " tokens, got a " + h + "x" + w + " map");
            h0 = h0.add(Variable.constant(pos));   // [HW, C] broadcasts over the batch
        }
        Variable t = proj_out.forward(block.forward(h0, context));
        return x.add(t.permute(0, 2, 1).reshape(b, c, h, w));
    }
}
