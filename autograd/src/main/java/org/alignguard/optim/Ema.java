package org.alignguard.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Tensor;

/**
 * Exponential moving average of a model's parameters, θ̄ ← d·θ̄ + (1 − d)·θ, the weights diffusion
 * models are usually sampled with (DDPM §4 uses decay 0.9999). The decay warms up as
 * min(d, (1 + n)/(10 + n)) so early averages are not dominated by the random initialization.
 */
public final class Ema {
    private final Map<String, Variable> params;
    private final Map<String, float[]> shadow = new LinkedHashMap<>();
    private final float decay;
    private long updates;

    public Ema(Module model, float decay) {
        this.params = model.namedParameters();
        this.decay = decay;
        params.forEach((n, p) -> shadow.put(n, p.data().toArray()));
    }

    public void update() {
        updates++;
        float d = Math.min(decay, (1f + updates) / (10f + updates));
        params.forEach((n, p) -> {
            float[] s = shadow.get(n), w = p.data().contiguous().toArray();
            for (int i = 0; i < s.length; i++) s[i] = d * s[i] + (1 - d) * w[i];
        });
    }

    /** The averaged weights as a state dict (names as in the model). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        shadow.forEach((n, s) -> out.put(n, Tensor.of(s.clone(), params.get(n).shape())));
        return out;
    }

    public void loadStateDict(Map<String, Tensor> state, long updates) {
        state.forEach((n, t) -> {
            if (shadow.containsKey(n)) shadow.put(n, t.toArray());
        });
        this.updates = updates;
    }

    public long updates() { return updates; }
}
