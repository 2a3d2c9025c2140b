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
