package org.alignguard.nn;

import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Rng;

/** y = x·Wᵀ + b over the last dim of x; W is [out, in] as in PyTorch. */
public class Linear extends Module {
    public final int inFeatures, outFeatures;
    public final Variable weight, bias;

    public Linear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear: features must be positive, got in=" + in + " out=" + out);
        this.inFeatures = in;
        this.outFeatures = out;
        float bound = Init.defaultBound(in);
        this.weight = param("weight", Init.uniform(rng, bound, out, in));
        this.bias = bias ? param("bias", Init.uniform(rng, bound, out)) : null;
    }

    public Variable forward(Variable x) {
        if (x.dim(-1) != inFeatures)
            throw new IllegalArgumentException("Linear(" + inFeatures + "->" + outFeatures + "): input has last dim " + x.dim(-1) + ", shape " + java.util.Arrays.toString(x.shape()));
        // Fold leading dims into one batch of rows so the product is a single GEMM.
        int[] shape = x.shape();
        Variable rows = x.ndim() == 2 ? x : x.reshape(-1, inFeatures);
        Variable y = Ops.matmul(rows, weight.transpose(0, 1));
        if (bias != null) y = Ops.add(y, bias);
        if (x.ndim() == 2) return y;
        shape[shape.length - 1] = outFeatures;
        return y.reshape(shape);
    }
}
