package org.alignguard.lora;

import org.alignguard.autograd.Variable;
import org.alignguard.nn.Linear;
import org.alignguard.tensor.Tensor;

/**
 * A weight update ΔW attached to one frozen {@link Linear}: y = W x + b + s·ΔW x, with s the
 * user's scale ({@code --lora-scale}). Two kinds exist: a low-rank {@link LoraLayer} (ΔW = (α/r)·B A,
 * what training produces) and a {@link DeltaLayer} (a dense ΔW, what some merges produce).
 *
 * <p>It can be switched off (the frozen reference of Diffusion-DPO is the same network with its
 * adapters off) and merged into W. Merging keeps the original W, so unmerging restores it bit for
 * bit: W − s·ΔW would not, in float arithmetic.
 */
public abstract class AdapterLayer implements Linear.Adapter {
    public final Linear base;
    private float scale = 1f;
    private boolean enabled = true;
    private Tensor savedWeight;   // the base weight before merge(); null while unmerged

    protected AdapterLayer(Linear base) {
        this.base = base;
    }

    /** The update ΔW [out, in] at scale 1 (LoRA: (α/r)·B·A). */
    public abstract Tensor delta();

    /**
     * The adapter's own trainable weights (LoRA: A and B; a dense update has none). They hang on
     * the Linear outside the module tree, so whoever freezes or trains a network asks for them here.
     */
    public java.util.List<Variable> parameters() {
        return java.util.List.of();
    }

    @Override public final Variable addTo(Variable y, Variable rows) {
        return enabled && savedWeight == null && scale != 0f ? applyTo(y, rows, scale) : y;
    }

    /** y + s·ΔW x for rows [N, in]; the subclass computes it without forming ΔW where that is cheaper. */
    protected abstract Variable applyTo(Variable y, Variable rows, float scale);

    public void setScale(float s) {
        if (!Float.isFinite(s)) throw new IllegalArgumentException("adapter scale must be finite, got " + s);
        if (savedWeight != null) throw new IllegalStateException("unmerge before changing the scale of a merged adapter");
        scale = s;
    }

    public void setEnabled(boolean on) {
        if (savedWeight != null && !on) throw new IllegalStateException("a merged adapter cannot be switched off; unmerge it first");
        enabled = on;
    }

    /** W ← W + s·ΔW; the forward pass then adds nothing more. */
    public void merge() {
        if (savedWeight != null) return;
        Tensor w = base.weight.data();
        savedWeight = w;
        base.weight.setData(w.add(delta().mul(scale)).contiguous());
    }

    /** Restores the exact base weight saved by {@link #merge}. */
    public void unmerge() {
        if (savedWeight == null) return;
        base.weight.setData(savedWeight);
        savedWeight = null;
    }
}
