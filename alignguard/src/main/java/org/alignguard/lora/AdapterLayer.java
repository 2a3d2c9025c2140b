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

    /** s·ΔW x for rows [N, in]; the subclass computes it without forming ΔW where that is cheaper. */
    protected abstract Variable apply(Variable rows, float scale);

    @Override public final Variable forward(Variable rows) {
        if (!active()) return null;
        return apply(rows, scale);
    }

    /** y + s·ΔW x in one pass over y (a fused multiply-add of the GEMM). */
    @Override public final Variable addTo(Variable y, Variable rows) {
        return active() ? applyTo(y, rows, scale) : y;
    }

    private boolean active() {
        return enabled && savedWeight == null && scale != 0f;
    }

    /** y + s·ΔW x; by default the sum of y and {@link #apply}. */
    protected Variable applyTo(Variable y, Variable rows, float scale) {
        return org.alignguard.autograd.Ops.add(y, apply(rows, scale));
    }

    public float scale() { return scale; }

    public void setScale(float s) {
        if (!Float.isFinite(s)) throw new IllegalArgumentException("adapter scale must be finite, got " + s);
        if (savedWeight != null) throw new IllegalStateException("unmerge before changing the scale of a merged adapter");
        scale = s;
    }

    public boolean enabled() { return enabled; }

    public void setEnabled(boolean on) {
        if (savedWeight != null && !on) throw new IllegalStateException("a merged adapter cannot be switched off; unmerge it first");
        enabled = on;
    }

    public boolean merged() { return savedWeight != null; }

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
