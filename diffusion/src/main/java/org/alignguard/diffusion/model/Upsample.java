package org.alignguard.diffusion.model;

import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Conv2d;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Rng;

/** Doubles the resolution: nearest-neighbour 2x, then a 3x3 convolution. */
public final class Upsample extends Module {
    public final Conv2d conv;

    public Upsample(int channels, Rng rng) {
        conv = child("conv", new Conv2d(channels, channels, 3, 1, 1, true, rng));
    }

    public Variable forward(Variable x) {
        return conv.forward(NNOps.upsampleNearest2x(x));
    }
}
