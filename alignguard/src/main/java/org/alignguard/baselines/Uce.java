package org.alignguard.baselines;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.nn.Linear;
import org.alignguard.tensor.Tensor;

/**
 * Unified Concept Editing (Gandikota et al. 2024, Sec. 3, Eq. 7): a closed-form edit of the layers
 * that read the text, so that the text embeddings of an erased concept produce what a target's
 * produce, while preserved concepts keep their outputs. For each such layer W₀ (the cross-attention
 * {@code to_k}, {@code to_v}, and our {@code text_embed}, see {@link TextLayers}):
 * <pre>
 *   W = ( Σ_i v*_i c_iᵀ + λ_p Σ_j W₀ c_j c_jᵀ + λ W₀ ) ( Σ_i c_i c_iᵀ + λ_p Σ_j c_j c_jᵀ + λ I )⁻¹,   v*_i = W₀ c*_i
 * </pre>
 * with c_i the text encoder's outputs for each training synonym of each erased concept, c*_i those
 * of its target (the safe twin's name, or the empty prompt), and c_j those of every preserved phrase
 * (the kept concepts' training synonyms and the benign vocabulary), {@link ClosedForm}.
 *
 * <p>Which token positions: UCE's code takes CLIP's outputs from the concept's last token to the end
 * of the sequence, because CLIP's causal attention puts the concept into the tokens after it. Our
 * text encoder attends both ways, so every position of the encoded phrase carries it; every position
 * of the phrase is paired with the same position of its target. {@code text_embed} reads the mean
 * over positions, so it is edited on the mean.
 */
public final class Uce {
    /** Where an erased concept is sent: its safe twin (CoProV2's minimal rewrite), or the empty prompt (UCE's default). */
    public enum Target { SAFE_TWIN, EMPTY }

    /**
     * @param target        what an erased concept's embeddings are mapped onto
     * @param eraseScale    weight of each erased pair (UCE's erase_scale)
     * @param preserveScale λ_p, weight of each preserved pair (UCE's preserve_scale)
     * @param lambda        λ, the identity term (UCE's lamb)
     * @param pooled        also edit {@code text_embed}
     */
    public record Settings(Target target, double eraseScale, double preserveScale, double lambda, boolean pooled) {
        public static Settings defaults() {
            return new Settings(Target.SAFE_TWIN, 1.0, 0.1, 0.5, true);   // lamb = 0.5, as UCE's script passes it
        }

        public Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", target.name().toLowerCase(java.util.Locale.ROOT));
            m.put("erase_scale", eraseScale);
            m.put("preserve_scale", preserveScale);
            m.put("lambda", lambda);
            m.put("pooled", pooled);
            return m;
        }
    }

    private Uce() {}

    public static BaselineFile.Made erase(TextToImageModel model, Erasure erasure, Settings s) {
        long t0 = System.nanoTime();
        List<String> sources = new ArrayList<>(), targets = new ArrayList<>();
        for (Concept c : erasure.erased())
            for (String p : Erasure.trainingPhrases(c)) {
                sources.add(p);
                targets.add(s.target() == Target.EMPTY ? "" : erasure.safeTwin(c).name());
            }
        double[][][] src = TextLayers.encode(model, sources), tgt = TextLayers.encode(model, targets);
        double[][][] keep = TextLayers.encode(model, erasure.preservedPhrases());
        Map<String, Tensor> deltas = new LinkedHashMap<>();
        for (var e : TextLayers.crossAttention(model).entrySet()) {
            Linear l = e.getValue();
            double[][] w0 = TextLayers.weight(l);
            ClosedForm cf = new ClosedForm(w0, s.lambda());
            for (int i = 0; i < src.length; i++)
                for (int p = 0; p < src[i].length; p++) cf.add(src[i][p], ClosedForm.times(w0, tgt[i][p]), s.eraseScale());
            for (double[][] k : keep) for (double[] x : k) cf.preserve(x, s.preserveScale());
            deltas.put(e.getKey() + ".weight", TextLayers.delta(cf.solve(), w0));
        }
        Linear pooled = TextLayers.pooled(model);
        if (s.pooled() && pooled != null) {
            double[][] w0 = TextLayers.weight(pooled);
            ClosedForm cf = new ClosedForm(w0, s.lambda());
            for (int i = 0; i < src.length; i++) cf.add(TextLayers.pooled(src[i]), ClosedForm.times(w0, TextLayers.pooled(tgt[i])), s.eraseScale());
            for (double[][] k : keep) cf.preserve(TextLayers.pooled(k), s.preserveScale());
            deltas.put(TextLayers.POOLED + ".weight", TextLayers.delta(cf.solve(), w0));
        }
        return new BaselineFile.Made("uce", erasure, new WeightEdit(deltas), GuardSpec.NONE, s.describe(), (System.nanoTime() - t0) / 1e9);
    }
}
