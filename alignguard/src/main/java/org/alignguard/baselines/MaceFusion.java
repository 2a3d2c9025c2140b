package org.alignguard.baselines;

import java.util.List;

/**
 * MACE's closed-form fusion of the concept LoRAs (Lu et al. 2024, Sec. 3.4, Eq. 8; stage 3,
 * {@code fuse_lora_close_form.py}). Adding the LoRAs up would let them interfere; instead one
 * weight is solved for that does, on each concept's own text, what that concept's LoRA did:
 * <pre>
 *   W* = argmin_W  Σ_i Σ_{c ∈ C_i} ‖W c − W_i' c‖²  +  ρ Σ_cache ‖W x − W₀ x‖²  +  λ ‖W − W_cfr‖²_F
 *      = ( λ W_cfr + Σ_i Σ_c (W_i' c) cᵀ + ρ Σ_x (W₀ x) xᵀ ) ( λ I + Σ_i Σ_c c cᵀ + ρ Σ_x x xᵀ )⁻¹
 * </pre>
 * with W_i' = W_cfr + ΔW_i the refined weight plus concept i's LoRA, C_i every token embedding
 * (all positions) of concept i's prompts, and the preservation cache kept at the <em>original</em>
 * weight W₀ (as MACE's cache is). {@link ClosedForm} solves it.
 */
final class MaceFusion {
    private MaceFusion() {}

    /**
     * W* [out][in] for one projection.
     *
     * @param wCfr     the refined weight W_cfr (stage 1)
     * @param w0       the original weight W₀
     * @param deltas   ΔW_i of each concept's LoRA, [out][in]
     * @param inputs   each concept's token embeddings C_i, rows of [in]
     * @param cache    the preservation rows x
     * @param preserve ρ
     * @param lambda   λ &gt; 0
     */
    static double[][] fuse(double[][] wCfr, double[][] w0, List<double[][]> deltas, List<double[][]> inputs, double[][] cache, double preserve, double lambda) {
        if (deltas.size() != inputs.size()) throw new IllegalArgumentException(deltas.size() + " LoRAs but " + inputs.size() + " input sets");
        ClosedForm cf = new ClosedForm(wCfr, lambda);
        for (int i = 0; i < deltas.size(); i++) {
            double[][] wi = plus(wCfr, deltas.get(i));
            for (double[] c : inputs.get(i)) cf.add(c, ClosedForm.times(wi, c), 1);
        }
        if (preserve > 0) for (double[] x : cache) cf.add(x, ClosedForm.times(w0, x), preserve);
        return cf.solve();
    }

    static double[][] plus(double[][] a, double[][] b) {
        double[][] out = new double[a.length][];
        for (int r = 0; r < a.length; r++) {
            if (b[r].length != a[r].length) throw new IllegalArgumentException("ΔW row " + r + " has " + b[r].length + " columns, W has " + a[r].length);
            out[r] = a[r].clone();
            for (int c = 0; c < out[r].length; c++) out[r][c] += b[r][c];
        }
        return out;
    }
}
