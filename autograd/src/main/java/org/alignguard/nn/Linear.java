package org.alignguard.nn;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Rng;

/**
 * y = x·Wᵀ + b over the last dim of x; W is [out, in] as in PyTorch.
 *
 * <p>Adapters add terms to the output without touching W: y = x·Wᵀ + b + Σ adapter(x). This is the
 * hook that LoRA (peft's {@code LoraLayer}) uses. An adapter's own parameters are not registered
 * here, so the layer's state dict stays that of the base model.
 */
public class Linear extends Module {
    /** Adds its term to the layer's output y [N, out], given the input rows [N, in] (LoRA: one addmm). */
    @FunctionalInterface
    public interface Adapter {
        Variable addTo(Variable y, Variable rows);

        /**
         * Whether {@link #addTo} keeps no state between calls (LoRA: true), so that passes on parts
         * of a batch may run on several threads at once; an adapter that records its inputs says false.
         */
        default boolean stateless() {
            return true;
        }
    }

    public final int inFeatures, outFeatures;
    public final Variable weight, bias;
    private final List<Adapter> adapters = new ArrayList<>();

    public Linear(int in, int out, boolean bias, Rng rng) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear: features must be positive, got in=" + in + " out=" + out);
        this.inFeatures = in;
        this.outFeatures = out;
        float bound = Init.defaultBound(in);
        this.weight = param("weight", Init.uniform(rng, bound, out, in));
        this.bias = bias ? param("bias", Init.uniform(rng, bound, out)) : null;
    }

    public void addAdapter(Adapter a) { adapters.add(a); }

    public boolean removeAdapter(Adapter a) { return adapters.remove(a); }

    public List<Adapter> adapters() { return List.copyOf(adapters); }

    public Variable forward(Variable x) {
        if (x.dim(-1) != inFeatures)
            throw new IllegalArgumentException("Linear(" + inFeatures + "->" + outFeatures + "): input has last dim " + x.dim(-1) + ", shape " + java.util.Arrays.toString(x.shape()));
        // Fold leading dims into one batch of rows so the product is a single GEMM.
        int[] shape = x.shape();
        Variable rows = x.ndim() == 2 ? x : x.reshape(-1, inFeatures);
        // x·Wᵀ + b as one addmm (the bias is the GEMM's starting value), then each adapter adds itself.
        Variable y = bias == null ? Ops.matmul(rows, weight.transpose(0, 1)) : Ops.addmm(bias, rows, weight.transpose(0, 1));
        for (Adapter a : adapters) y = a.addTo(y, rows);
        if (x.ndim() == 2) return y;
        shape[shape.length - 1] = outFeatures;
        return y.reshape(shape);
    }
}
