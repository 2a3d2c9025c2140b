package org.alignguard.nn;

import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Tensor;

/** Weight initializers, matching PyTorch's defaults for Linear and Conv2d. */
public final class Init {
    private Init() {}

    /** U(-bound, bound). */
    public static Tensor uniform(Rng rng, float bound, int... shape) {
        float[] d = new float[Shape.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = (2f * rng.nextFloat() - 1f) * bound;
        return Tensor.of(d, shape);
    }

    /** N(0, std²). */
    public static Tensor normal(Rng rng, float std, int... shape) {
        return Tensor.randn(rng, shape).mul(std);
    }

    /**
     * PyTorch's default for Linear and Conv2d weights: kaiming_uniform with a = sqrt(5), which works
     * out to U(-1/sqrt(fan_in), 1/sqrt(fan_in)); biases use the same bound.
     */
    public static float defaultBound(int fanIn) {
        return (float) (1.0 / Math.sqrt(Math.max(1, fanIn)));
    }
}
