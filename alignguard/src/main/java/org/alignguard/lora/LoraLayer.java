package org.alignguard.lora;

import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Init;
import org.alignguard.nn.Linear;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * LoRA (Hu et al. 2021, Eq. 3), as peft's {@code LoraLayer}: h = W₀x + (α/r)·B A x.
 * <pre>
 *   x [N, in] ─► lora_A [r, in] ─► [N, r] ─► lora_B [out, r] ─► × s·α/r ─► added to W₀x + b
 * </pre>
 * A starts Gaussian with std 1/r (peft's {@code init_lora_weights="gaussian"}, which the
 * Diffusion-DPO and AlignGuard SD1.5 code use) and B at zero, so a fresh layer changes nothing.
 */
public final class LoraLayer extends AdapterLayer {
    public final int rank;
    public final float alpha;
    public final Variable loraA, loraB;

    /** A fresh layer: A ~ N(0, 1/r²), B = 0. */
    public LoraLayer(Linear base, int rank, float alpha, Rng rng) {
        this(base, rank, alpha, Init.normal(rng, 1f / rank, rank, base.inFeatures), Tensor.zeros(base.outFeatures, rank));
    }

    /** A layer with given factors (loaded from a file). */
    public LoraLayer(Linear base, int rank, float alpha, Tensor a, Tensor b) {
        super(base);
        if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
        checkShape("lora_A", a, rank, base.inFeatures);
        checkShape("lora_B", b, base.outFeatures, rank);
        this.rank = rank;
        this.alpha = alpha;
        this.loraA = Variable.param(a.contiguous());
        this.loraB = Variable.param(b.contiguous());
    }

    static void checkShape(String name, Tensor t, int rows, int cols) {
        int[] s = t.shape();
        if (s.length != 2 || s[0] != rows || s[1] != cols)
            throw new IllegalArgumentException(name + " has shape " + java.util.Arrays.toString(s) + ", the layer needs [" + rows + ", " + cols + "]");
    }

    /** α/r. */
    public float scaling() { return alpha / rank; }

    @Override public java.util.List<Variable> parameters() {
        return java.util.List.of(loraA, loraB);
    }

    @Override public Tensor delta() {
        return loraB.data().matmul(loraA.data()).mul(scaling());
    }

    /** y + (s·α/r · x·Aᵀ)·Bᵀ: the scale on the narrow [N, r] product, and B's product added into y. */
    @Override protected Variable applyTo(Variable y, Variable rows, float scale) {
        return Ops.addmm(y, down(rows, scale), loraB.transpose(0, 1));
    }

    private Variable down(Variable rows, float scale) {
        return Ops.mulScalar(Ops.matmul(rows, loraA.transpose(0, 1)), scale * scaling());   // [N, r]
    }
}
