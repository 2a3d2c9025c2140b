package org.alignguard.nn;

import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Tensor;

/** GroupNorm with per-channel affine weight (γ, init 1) and bias (β, init 0). */
public class GroupNorm extends Module {
    public final int groups;
    public final float eps;
    public final Variable weight, bias;

    public GroupNorm(int groups, int channels, float eps) {
        if (groups <= 0 || channels % groups != 0)
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels do not split into " + groups + " groups");
        this.groups = groups;
        this.eps = eps;
        this.weight = param("weight", Tensor.ones(channels));
        this.bias = param("bias", Tensor.zeros(channels));
    }

    public Variable forward(Variable x) {
        return NNOps.groupNorm(x, groups, weight, bias, eps);
    }
}
