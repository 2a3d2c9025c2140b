package org.alignguard.optim;

import java.util.HashMap;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Tensor;

/** Stochastic gradient descent with optional momentum and (L2) weight decay, as torch.optim.SGD. */
public final class SGD extends Optimizer {
    private final float momentum, weightDecay;
    private final Map<String, float[]> velocity = new HashMap<>();

    public SGD(Map<String, Variable> params, float lr, float momentum, float weightDecay) {
        super(params, lr);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    @Override protected void update(String name, Variable p, Tensor grad) {
        float[] w = p.data().toArray(), g = grad.toArray();
        float[] v = velocity.get(name);
        boolean first = momentum != 0 && v == null;
        if (first) velocity.put(name, v = new float[w.length]);
        for (int i = 0; i < w.length; i++) {
            float d = g[i] + weightDecay * w[i];
            if (momentum != 0) {
                v[i] = first ? d : momentum * v[i] + d;   // PyTorch: buf = d on the first step
                d = v[i];
            }
            w[i] -= lr * d;
        }
        p.setData(Tensor.of(w, p.shape()));
    }

    @Override public Map<String, Tensor> stateDict() {
        Map<String, Tensor> s = new HashMap<>();
        velocity.forEach((n, v) -> s.put("momentum_buffer." + n, Tensor.of(v.clone(), params.get(n).shape())));
        s.put("step", Tensor.scalar(step));
        return s;
    }

    @Override public void loadStateDict(Map<String, Tensor> state) {
        velocity.clear();
        for (String n : params.keySet()) {
            Tensor t = state.get("momentum_buffer." + n);
            if (t != null) velocity.put(n, t.toArray());
        }
        Tensor s = state.get("step");
        step = s == null ? 0 : (long) s.item();
    }
}
