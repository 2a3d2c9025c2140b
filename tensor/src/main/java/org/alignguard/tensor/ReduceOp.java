package org.alignguard.tensor;

/** Reductions over axes. The mean is a SUM divided by the count, done in {@link Tensor#mean}. */
public enum ReduceOp {
    SUM, MAX
}
