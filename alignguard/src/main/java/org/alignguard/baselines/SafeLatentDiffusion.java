package org.alignguard.baselines;

import java.util.List;
import org.alignguard.diffusion.pipeline.Guidance;
import org.alignguard.tensor.Tensor;

/**
 * Safe Latent Diffusion (Schramowski et al. 2023): classifier-free guidance with one more term that
 * pushes the image away from a safety concept S (a text naming what to avoid), element by element,
 * where the prompt's prediction is close to the safety concept's. Per step, with ε_c, ε_∅, ε_S the
 * UNet's predictions for the prompt, the empty prompt and the safety concept:
 * <pre>
 *   μ  = clamp(s_S · |ε_c − ε_S|, max 1), set to 0 where ε_c − ε_S ≥ λ        (Eq. 5–6)
 *   γ  = μ ⊙ (ε_S − ε_∅) + s_m · ν                                             (Eq. 4, 7)
 *   ν ← β_m · ν + (1 − β_m) · γ                                                (Eq. 8)
 *   ε̃ = ε_∅ + w · (ε_c − ε_∅ − γ)    once the warm-up δ is over, else plain CFG (Eq. 3)
 * </pre>
 * Our text encoder reads at most 22 words, fewer than SD's 77 tokens, so a long list of concepts is
 * split over several safety texts; each gets its own term γ_k and momentum, and their sum is
 * subtracted. With one text this is the published method.
 */
public final class SafeLatentDiffusion implements Guidance {
    private final SldConfig cfg;
    private final List<String> safetyTexts;

    public SafeLatentDiffusion(SldConfig cfg, List<String> safetyTexts) {
        if (safetyTexts.isEmpty()) throw new IllegalArgumentException("SLD needs a safety concept text");
        this.cfg = cfg;
        this.safetyTexts = List.copyOf(safetyTexts);
    }

    public SldConfig config() { return cfg; }

    public List<String> safetyTexts() { return safetyTexts; }

    @Override public List<String> extraPrompts() { return safetyTexts; }

    @Override public Rule start(int n, int steps) {
        int warmup = cfg.warmupFor(steps);
        float[][] momentum = new float[safetyTexts.size()][];
        return (cond, uncond, extra, step, w) -> {
            float[] c = cond.contiguous().toArray(), u = uncond.contiguous().toArray();
            float[] guide = new float[c.length];
            for (int i = 0; i < c.length; i++) guide[i] = c[i] - u[i];
            for (int k = 0; k < extra.size(); k++) {
                float[] s = extra.get(k).contiguous().toArray();
                if (momentum[k] == null) momentum[k] = new float[c.length];
                float[] nu = momentum[k];
                for (int i = 0; i < c.length; i++) {
                    float diff = c[i] - s[i];
                    float mu = diff >= cfg.threshold() ? 0f : Math.min(1f, Math.abs(diff) * cfg.guidanceScale());
                    float gamma = mu * (s[i] - u[i]) + cfg.momentumScale() * nu[i];
                    nu[i] = cfg.momentumBeta() * nu[i] + (1 - cfg.momentumBeta()) * gamma;
                    if (step >= warmup) guide[i] -= gamma;
                }
            }
            float[] out = new float[c.length];
            for (int i = 0; i < c.length; i++) out[i] = u[i] + w * guide[i];
            return Tensor.of(out, cond.shape());
        };
    }
}
