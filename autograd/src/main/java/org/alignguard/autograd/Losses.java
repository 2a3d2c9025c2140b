package org.alignguard.autograd;

import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Tensor;

/** Loss functions built from the differentiable ops, so their gradients come for free. */
public final class Losses {
    private Losses() {}

    /** Mean squared error, averaged over all elements (PyTorch's reduction="mean"). */
    public static Variable mse(Variable pred, Variable target) {
        if (!java.util.Arrays.equals(pred.shape(), target.shape()))
            throw new IllegalArgumentException("mse: prediction " + Shape.str(pred.shape()) + " and target " + Shape.str(target.shape()) + " differ");
        Variable d = Ops.sub(pred, target);
        return Ops.mean(Ops.square(d), false);
    }

    /**
     * Mean squared error with one weight per sample: mean_b( w_b · mean_rest((pred − target)²) ).
     * With every w_b = 1 it equals {@link #mse}.
     */
    public static Variable weightedMse(Variable pred, Variable target, Tensor weights) {
        if (!java.util.Arrays.equals(pred.shape(), target.shape()) || weights.ndim() != 1 || weights.dim(0) != pred.dim(0))
            throw new IllegalArgumentException("weightedMse: prediction " + Shape.str(pred.shape()) + ", target " + Shape.str(target.shape()) + " and weights " + Shape.str(weights.shape()) + " do not match");
        return Ops.mean(Ops.mul(perSampleMse(pred, target), Variable.constant(weights)), false);
    }

    /** mean over every axis but the first of (pred − target)²: one value per sample, [B]. */
    public static Variable perSampleMse(Variable pred, Variable target) {
        int[] rest = new int[pred.ndim() - 1];
        for (int i = 0; i < rest.length; i++) rest[i] = i + 1;
        return Ops.mean(Ops.square(Ops.sub(pred, target)), false, rest);
    }

    /** Cross-entropy of [B, C] logits against class indices, averaged over the batch. */
    public static Variable crossEntropy(Variable logits, int[] labels) {
        if (logits.ndim() != 2 || logits.dim(0) != labels.length)
            throw new IllegalArgumentException("cross_entropy: logits " + Shape.str(logits.shape()) + " for " + labels.length + " labels");
        int b = labels.length, c = logits.dim(1);
        float[] onehot = new float[b * c];
        for (int i = 0; i < b; i++) {
            if (labels[i] < 0 || labels[i] >= c) throw new IllegalArgumentException("cross_entropy: label " + labels[i] + " out of range [0, " + c + ")");
            onehot[i * c + labels[i]] = -1f / b;
        }
        Variable logp = NNOps.logSoftmax(logits, 1);
        return Ops.sum(Ops.mul(logp, Variable.constant(Tensor.of(onehot, b, c))), false);
    }
}
