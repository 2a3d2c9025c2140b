package org.alignguard.diffusion.model;

import org.alignguard.autograd.Variable;
import org.alignguard.nn.GroupNorm;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Rng;

/**
 * Lets a feature map attend to itself and to the prompt (Stable Diffusion's {@code Transformer2DModel}):
 * <pre>
 *   x [B,C,H,W] ─► GN ─► to tokens [B, H·W, C] ─► proj_in ─► TransformerBlock(·, context) ─► proj_out
 *                ─► back to [B,C,H,W] ─► (+ x)
 * </pre>
 */
public final class SpatialTransformer extends Module {
    public final GroupNorm norm;
    public final Linear proj_in, proj_out;
    public final TransformerBlock block;

    public SpatialTransformer(int channels, int contextDim, int heads, int groups, Rng rng) {
        norm = child("norm", new GroupNorm(groups, channels, 1e-6f));
        proj_in = child("proj_in", new Linear(channels, channels, true, rng));
        block = child("block", new TransformerBlock(channels, contextDim, heads, rng));
        proj_out = child("proj_out", new Linear(channels, channels, true, rng));
    }

    public Variable forward(Variable x, Variable context) {
        int b = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        Variable tokens = norm.forward(x).reshape(b, c, h * w).permute(0, 2, 1);   // [B, HW, C]
        Variable t = proj_out.forward(block.forward(proj_in.forward(tokens), context));
        return x.add(t.permute(0, 2, 1).reshape(b, c, h, w));
    }
}
