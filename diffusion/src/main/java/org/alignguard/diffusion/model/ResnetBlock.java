package org.alignguard.diffusion.model;

import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Conv2d;
import org.alignguard.nn.Dropout;
import org.alignguard.nn.GroupNorm;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Rng;

/**
 * A ResNet block with the timestep injected in the middle (DDPM / diffusers {@code ResnetBlock2D}):
 * <pre>
 *   x ─► GN ─► SiLU ─► conv1 ─► (+ time_emb_proj(SiLU(temb))) ─► GN ─► SiLU ─► dropout ─► conv2 ─► (+) ─► out
 *   └──────────────────────── shortcut (1x1 conv when channels change) ─────────────────────────┘
 * </pre>
 */
public final class ResnetBlock extends Module {
    public final GroupNorm norm1, norm2;
    public final Conv2d conv1, conv2, shortcut;
    public final Linear time_emb_proj;
    private final Dropout dropout;

    public ResnetBlock(int in, int out, int tembDim, int groups, float dropoutP, Rng rng) {
        norm1 = child("norm1", new GroupNorm(groups, in, 1e-5f));
        conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1, true, rng));
        time_emb_proj = child("time_emb_proj", new Linear(tembDim, out, true, rng));
        norm2 = child("norm2", new GroupNorm(groups, out, 1e-5f));
        dropout = child("dropout", new Dropout(dropoutP, rng.split()));
        conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1, true, rng));
        shortcut = in == out ? null : child("shortcut", new Conv2d(in, out, 1, 1, 0, true, rng));
    }

    public Variable forward(Variable x, Variable temb) {
        Variable h = conv1.forward(Ops.silu(norm1.forward(x)));
        Variable t = time_emb_proj.forward(Ops.silu(temb));          // [B, out]
        h = h.add(t.reshape(t.dim(0), t.dim(1), 1, 1));
        h = conv2.forward(dropout.forward(Ops.silu(norm2.forward(h))));
        return (shortcut == null ? x : shortcut.forward(x)).add(h);
    }
}
