package org.alignguard.nn;

import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Rng;

/** 2-D convolution over NCHW input with a [out, in, k, k] weight and a bias. */
public class Conv2d extends Module {
    public final int stride, padding;
    public final Variable weight, bias;

    public Conv2d(int in, int out, int kernel, int stride, int padding, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0 || kernel <= 0) throw new IllegalArgumentException("Conv2d: channels and kernel must be positive");
        this.stride = stride;
        this.padding = padding;
        float bound = Init.defaultBound(in * kernel * kernel);
        this.weight = param("weight", Init.uniform(rng, bound, out, in, kernel, kernel));
        this.bias = bias ? param("bias", Init.uniform(rng, bound, out)) : null;
    }

    public Variable forward(Variable x) {
        return NNOps.conv2d(x, weight, bias, stride, padding);
    }
}
