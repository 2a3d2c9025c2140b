package org.alignguard.optim;

import java.util.HashMap;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Backends;
import org.alignguard.tensor.Tensor;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter 2019, Algorithm 2), as torch.optim.AdamW:
 *
 * <pre>
 *   θ ← θ − lr·λ·θ                         (decoupled decay)
 *   m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²
 *   θ ← θ − lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + eps)
 * </pre>
 * The moments are tensors and the update is the backend's {@link org.alignguard.tensor.Backend#adamw}:
 * a device backend keeps parameters and moments on the device.
 */
public final class AdamW extends Optimizer {
    private final float beta1, beta2, eps, weightDecay;
    private final Map<String, Tensor> m = new HashMap<>(), v = new HashMap<>();

    public AdamW(Map<String, Variable> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        super(params, lr);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public AdamW(Map<String, Variable> params, float lr) {
        this(params, lr, 0.9f, 0.999f, 1e-8f, 0.01f);
    }

    @Override protected void update(String name, Variable p, Tensor grad) {
        int[] shape = p.shape();
        Tensor mt = m.computeIfAbsent(name, k -> Tensor.zeros(shape));
        Tensor vt = v.computeIfAbsent(name, k -> Tensor.zeros(shape));
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1), bc2Sqrt = (float) Math.sqrt(bc2);
        float decay = 1f - lr * weightDecay;
        Tensor[] r = Backends.get().adamw(p.data(), grad, mt, vt, beta1, beta2, eps, stepSize, bc2Sqrt, decay);
        m.put(name, r[1]);
        v.put(name, r[2]);
        p.setData(r[0]);
    }

    @Override public Map<String, Tensor> stateDict() {
        Map<String, Tensor> s = new HashMap<>();
        m.forEach((n, a) -> s.put("exp_avg." + n, Tensor.of(a.toArray(), params.get(n).shape())));
        v.forEach((n, a) -> s.put("exp_avg_sq." + n, Tensor.of(a.toArray(), params.get(n).shape())));
        s.put("step", Tensor.scalar(step));
        return s;
    }

    @Override public void loadStateDict(Map<String, Tensor> state) {
        m.clear();
        v.clear();
        for (String n : params.keySet()) {
            Tensor a = state.get("exp_avg." + n), b = state.get("exp_avg_sq." + n);
            if (a != null) m.put(n, Tensor.of(a.toArray(), params.get(n).shape()));
            if (b != null) v.put(n, Tensor.of(b.toArray(), params.get(n).shape()));
        }
        Tensor s = state.get("step");
        step = s == null ? 0 : (long) s.item();
    }
}
