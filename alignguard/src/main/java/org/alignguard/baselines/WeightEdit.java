package org.alignguard.baselines;

import java.util.LinkedHashMap;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Tensor;

/**
 * A change to some weights of a model, stored as ΔW per parameter name
 * ({@code unet.down.1.attn.0.block.attn2.to_k.weight}): what ESD-u's fine-tuning, UCE's and MACE's closed
 * forms produce. Unlike a LoRA it may touch any parameter (ESD-u changes every weight outside
 * cross-attention). {@link #apply} sets W ← W + ΔW and keeps every original W, so
 * {@link Applied#restore} gives the base network back bit for bit.
 */
public record WeightEdit(Map<String, Tensor> deltas) {
    public WeightEdit {
        deltas = Map.copyOf(new LinkedHashMap<>(deltas));
    }

    /** The edit that turns the weights {@code before} into {@code after} (only the names that changed). */
    public static WeightEdit between(Map<String, Tensor> before, Map<String, Tensor> after) {
        Map<String, Tensor> d = new LinkedHashMap<>();
        after.forEach((name, w) -> {
            Tensor b = before.get(name);
            if (b == null) throw new IllegalArgumentException("no weight '" + name + "' before the edit");
            float[] x = w.contiguous().toArray(), y = b.contiguous().toArray();
            boolean changed = false;
            for (int i = 0; i < x.length && !changed; i++) changed = x[i] != y[i];
            if (changed) d.put(name, w.sub(b).contiguous());
        });
        return new WeightEdit(d);
    }

    /** A network with the edit applied; {@link #restore} undoes it. */
    public interface Applied {
        void restore();
    }

    /** W ← W + ΔW for every edited parameter of {@code net}; the names must exist with the same shapes. */
    public Applied apply(Module net) {
        return apply(net.namedParameters());
    }

    /** As {@link #apply(Module)} on named parameters (a whole model's: {@code unet.…}, {@code text_encoder.…}). */
    public Applied apply(Map<String, Variable> params) {
        for (var e : deltas.entrySet()) {
            Variable p = params.get(e.getKey());
            if (p == null) throw new IllegalArgumentException("the edit changes '" + e.getKey() + "', which this network does not have");
            if (!java.util.Arrays.equals(p.data().shape(), e.getValue().shape()))
                throw new IllegalArgumentException("the edit of '" + e.getKey() + "' has shape " + java.util.Arrays.toString(e.getValue().shape())
                        + ", the network's weight " + java.util.Arrays.toString(p.data().shape()));
        }
        Map<String, Tensor> saved = new LinkedHashMap<>();
        for (var e : deltas.entrySet()) {
            Variable p = params.get(e.getKey());
            saved.put(e.getKey(), p.data());
            p.setData(p.data().add(e.getValue()).contiguous());
        }
        return () -> saved.forEach((k, w) -> params.get(k).setData(w));
    }

    public boolean isEmpty() { return deltas.isEmpty(); }
}
