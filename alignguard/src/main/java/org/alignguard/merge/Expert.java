package org.alignguard.merge;

import java.util.Map;
import org.alignguard.tensor.Tensor;

/**
 * A trained LoRA seen as what it does to each layer: ΔW = (α/r)·B·A [out, in] per adapted Linear,
 * keyed by the Linear's dotted path. Every merge works on these dense updates.
 */
public record Expert(String name, Map<String, Tensor> deltas) {
    public Expert {
        deltas = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(deltas));
    }
}
