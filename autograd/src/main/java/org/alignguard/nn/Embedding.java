package org.alignguard.nn;

import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/** A lookup table of {@code count} vectors of size {@code dim}, N(0, 1) init as in PyTorch. */
public class Embedding extends Module {
    public final Variable weight;

    public Embedding(int count, int dim, Rng rng) {
        this.weight = param("weight", Tensor.randn(rng, count, dim));
    }

    /** ids has shape {@code shape}; the result is shape + [dim]. */
    public Variable forward(int[] ids, int... shape) {
        return NNOps.embedding(weight, ids, shape);
    }
}
