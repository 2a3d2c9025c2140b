package org.alignguard.nn;

import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Rng;

/** Inverted dropout, active only in training mode; draws its masks from its own seeded Rng. */
public class Dropout extends Module {
    public final float p;
    private final Rng rng;

    public Dropout(float p, Rng rng) {
        if (p < 0f || p >= 1f) throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        this.p = p;
        this.rng = rng;
    }

    public Variable forward(Variable x) {
        return isTraining() ? NNOps.dropout(x, p, rng) : x;
    }
}
