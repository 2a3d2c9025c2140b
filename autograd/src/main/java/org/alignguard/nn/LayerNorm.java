package org.alignguard.nn;

import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Tensor;

/** LayerNorm over the last dim with affine weight (init 1) and bias (init 0). */
public class LayerNorm extends Module {
    public final float eps;
    public final Variable weight, bias;

    public LayerNorm(int dim, float eps) {
        this.eps = eps;
        this.weight = param("weight", Tensor.ones(dim));
        this.bias = param("bias", Tensor.zeros(dim));
    }

    public Variable forward(Variable x) {
        return NNOps.layerNorm(x, weight, bias, eps);
    }
}
