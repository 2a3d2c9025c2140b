package org.alignguard.optim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Tensor;

/**
 * Base of the optimizers: holds named parameters, the learning rate, the step count, and per-
 * parameter state tensors (momentum, Adam moments) that can be saved and restored for resuming.
 */
public abstract class Optimizer {
    protected final Map<String, Variable> params;
    protected float lr;
    protected long step;

    protected Optimizer(Map<String, Variable> params, float lr) {
        if (lr < 0 || Float.isNaN(lr)) throw new IllegalArgumentException("learning rate must be >= 0, got " + lr);
        this.params = new LinkedHashMap<>(params);
        this.lr = lr;
    }

    /** One update of every parameter that has a gradient. */
    public final void step() {
        step++;
        for (var e : params.entrySet()) {
            Variable p = e.getValue();
            if (p.grad() != null && p.requiresGrad()) update(e.getKey(), p, p.grad());
        }
    }

    protected abstract void update(String name, Variable p, Tensor grad);

    public void zeroGrad() {
        for (Variable p : params.values()) p.zeroGrad();
    }

    public float lr() { return lr; }
    public void setLr(float lr) { this.lr = lr; }
    public long stepCount() { return step; }

    public List<Variable> parameters() { return new ArrayList<>(params.values()); }

    /** Optimizer state as named tensors (e.g. {@code exp_avg.down.0.weight}) plus the step count. */
    public abstract Map<String, Tensor> stateDict();

    /** Restores what {@link #stateDict} returned. */
    public abstract void loadStateDict(Map<String, Tensor> state);

    /**
     * Scales all gradients so their global L2 norm is at most {@code maxNorm} (as
     * {@code torch.nn.utils.clip_grad_norm_}); returns the norm before clipping.
     */
    public static float clipGradNorm(List<Variable> params, float maxNorm) {
        List<Tensor> grads = new ArrayList<>();
        for (Variable p : params) if (p.grad() != null) grads.add(p.grad());
        double sq = org.alignguard.tensor.Backends.get().sumOfSquares(grads);   // on the device with a device backend
        float norm = (float) Math.sqrt(sq);
        float coef = maxNorm / (norm + 1e-6f);
        if (coef < 1f)
            for (Variable p : params) {
                if (p.grad() == null) continue;
                Tensor scaled = p.grad().mul(coef);
                p.zeroGrad();
                p.accumulate(scaled);
            }
        return norm;
    }
}
