package org.alignguard.diffusion.model;

import org.alignguard.autograd.Variable;
import org.alignguard.nn.Conv2d;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Rng;

/** Halves the resolution with a 3x3 convolution of stride 2. */
public final class Downsample extends Module {
    public final Conv2d conv;

    public Downsample(int channels, Rng rng) {
        conv = child("conv", new Conv2d(channels, channels, 3, 2, 1, true, rng));
    }

    public Variable forward(Variable x) {
        return conv.forward(x);
    }
}
