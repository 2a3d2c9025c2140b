package org.alignguard.lora;

import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Linear;
import org.alignguard.tensor.Tensor;

/**
 * A dense update ΔW [out, in] on a frozen Linear: y = W x + b + s·ΔW x. Per-weight merges (Co-Merge,
 * TIES) pick entries from several experts, and the result is no longer of low rank, so it is kept
 * whole rather than re-factorized (docs/WALKTHROUGH.md, "Co-Merge").
 */
public final class DeltaLayer extends AdapterLayer {
    public final Variable weight;

    public DeltaLayer(Linear base, Tensor delta) {
        super(base);
        LoraLayer.checkShape("lora_delta", delta, base.outFeatures, base.inFeatures);
        this.weight = Variable.constant(delta.contiguous());
    }

    @Override public Tensor delta() { return weight.data(); }

    @Override protected Variable applyTo(Variable y, Variable rows, float scale) {
        return Ops.add(y, Ops.mulScalar(Ops.matmul(rows, weight.transpose(0, 1)), scale));
    }
}
