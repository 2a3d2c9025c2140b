package org.alignguard.baselines;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.nn.Linear;

/**
 * MACE's closed-form cross-attention refinement (Lu et al. 2024, Sec. 3.2, Eq. 4; stage 1,
 * {@code closed_form_refinement}): the words <em>around</em> a concept carry it too, so their keys
 * and values are sent to what the same words give next to the anchor. For each projection W₀
 * ({@code attn2.to_k}, {@code attn2.to_v}):
 * <pre>
 *   W_cfr = ( λ W₀ + Σ_pairs Σ_(i,j) (W₀ a_j) c_iᵀ + ρ Σ_cache (W₀ x) xᵀ ) ( λ I + Σ c_i c_iᵀ + ρ Σ_cache x xᵀ )⁻¹
 * </pre>
 * c_i: the encoder's output at position i of a prompt naming the concept, a_j: at the aligned
 * position j of its anchor (the safe-twin caption), over the surrounding positions only
 * ({@link MacePrompts.Pair#surrounding}); x: every position of every preservation prompt, weight ρ.
 * MACE's code multiplies its preservation cache by {@code train_preserve_scale} twice (once when
 * it builds the cache, once in the solve), so its effective weight is that scale squared; ρ here
 * is the one weight that multiplies each cached row.
 *
 * <p>Why it matters here although our encoder is not causal: CLIP's causal attention puts the
 * concept into the words after it; our encoder attends both ways, so every position of the prompt,
 * padding included, carries the concept, and the cross-attention reads all of them.
 *
 * <p>Our UNet's second text path, {@code text_embed} (the mean token embedding into the timestep
 * embedding, {@link TextLayers}), is refined by the same closed form on the pooled vectors, as
 * {@link Uce} does: the prompt's mean is sent to W₀ times the anchor's mean. MACE has no such layer
 * and trains no LoRA on it, so this result is final.
 */
final class MaceRefinement {
    private MaceRefinement() {}

    /**
     * The refined weights [out][in] by parameter name ({@code unet.….attn2.to_k.weight}, and
     * {@code unet.text_embed.weight} when the UNet has it).
     *
     * @param prompts  the encoder outputs of each pair's prompt [pair][position][dim]
     * @param anchors  the same for each pair's anchor
     * @param pairs    the pairs, for their aligned positions
     * @param cache    the preservation prompts' outputs [prompt][position][dim]
     */
    static Map<String, double[][]> refine(TextToImageModel model, double[][][] prompts, double[][][] anchors, List<MacePrompts.Pair> pairs,
                                          double[][][] cache, double preserve, double lambda) {
        int maxLen = model.textEncoder.config.maxLen();
        List<int[][]> aligned = new ArrayList<>();
        for (MacePrompts.Pair p : pairs) aligned.add(p.surrounding(maxLen));
        Map<String, double[][]> out = new LinkedHashMap<>();
        for (var e : TextLayers.crossAttention(model).entrySet()) {
            double[][] w0 = TextLayers.weight(e.getValue());
            ClosedForm cf = new ClosedForm(w0, lambda);
            for (int k = 0; k < pairs.size(); k++)
                for (int[] ij : aligned.get(k)) cf.add(prompts[k][ij[0]], ClosedForm.times(w0, anchors[k][ij[1]]), 1);
            for (double[][] x : cache) for (double[] row : x) cf.preserve(row, preserve);
            out.put(e.getKey() + ".weight", cf.solve());
        }
        Linear pooled = TextLayers.pooled(model);
        if (pooled != null) {
            double[][] w0 = TextLayers.weight(pooled);
            ClosedForm cf = new ClosedForm(w0, lambda);
            for (int k = 0; k < pairs.size(); k++) cf.add(TextLayers.pooled(prompts[k]), ClosedForm.times(w0, TextLayers.pooled(anchors[k])), 1);
            for (double[][] x : cache) cf.preserve(TextLayers.pooled(x), preserve);
            out.put(TextLayers.POOLED + ".weight", cf.solve());
        }
        return out;
    }
}
