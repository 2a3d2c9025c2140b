package org.alignguard.diffusion.model;

import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * The timestep t as a vector: sinusoidal features (Vaswani et al. 2017, §3.5, as in DDPM) followed by
 * Linear -> SiLU -> Linear (diffusers' {@code TimestepEmbedding}).
 * <pre>
 *   emb_i = cos(t · 10000^(-i/half)),  emb_{half+i} = sin(t · 10000^(-i/half))
 * </pre>
 */
public final class TimestepEmbedding extends Module {
    private final int features;
    public final Linear linear_1, linear_2;

    public TimestepEmbedding(int features, int dim, Rng rng) {
        this.features = features;
        linear_1 = child("linear_1", new Linear(features, dim, true, rng));
        linear_2 = child("linear_2", new Linear(dim, dim, true, rng));
    }

    /** Sinusoidal features of the timesteps, [B, features] (flip_sin_to_cos: cosines first). */
    public static Tensor sinusoidal(int[] t, int features) {
        int half = features / 2;
        float[] out = new float[t.length * features];
        for (int b = 0; b < t.length; b++)
            for (int i = 0; i < half; i++) {
                double freq = Math.exp(-Math.log(10000.0) * i / half);
                out[b * features + i] = (float) Math.cos(t[b] * freq);
                out[b * features + half + i] = (float) Math.sin(t[b] * freq);
            }
        return Tensor.of(out, t.length, features);
    }

    public Variable forward(int[] t) {
        Variable f = Variable.constant(sinusoidal(t, features));
        return linear_2.forward(Ops.silu(linear_1.forward(f)));
    }
}
