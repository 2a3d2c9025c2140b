package org.alignguard.baselines;

import java.util.Locale;

/**
 * The settings of Safe Latent Diffusion's safety guidance (Schramowski et al. 2023, Sec. 3), named as
 * diffusers' {@code SafetyConfig} names them, with its four published presets.
 *
 * @param name          the preset's name, or "custom"
 * @param warmupSteps   δ: steps out of {@link #PRESET_STEPS} before the safety term is applied
 * @param guidanceScale s_S: how strongly the element-wise scale grows with |ε_c − ε_S|
 * @param threshold     λ: elements where ε_c − ε_S ≥ λ get no safety guidance
 * @param momentumScale s_m: weight of the momentum ν in the safety term
 * @param momentumBeta  β_m: decay of the momentum
 */
public record SldConfig(String name, int warmupSteps, float guidanceScale, float threshold, float momentumScale, float momentumBeta) {
    /** The presets' warm-up counts steps of a 50-step run, diffusers' default. */
    public static final int PRESET_STEPS = 50;

    public static final SldConfig WEAK = new SldConfig("weak", 15, 20f, 0.0f, 0.0f, 0.0f);
    public static final SldConfig MEDIUM = new SldConfig("medium", 10, 1000f, 0.01f, 0.3f, 0.4f);
    public static final SldConfig STRONG = new SldConfig("strong", 7, 2000f, 0.025f, 0.5f, 0.7f);
    public static final SldConfig MAX = new SldConfig("max", 0, 5000f, 1.0f, 0.5f, 0.7f);

    public SldConfig {
        if (warmupSteps < 0 || warmupSteps > PRESET_STEPS) throw new IllegalArgumentException("SLD warm-up must be in 0.." + PRESET_STEPS + ", got " + warmupSteps);
        for (float v : new float[] {guidanceScale, threshold, momentumScale, momentumBeta})
            if (!Float.isFinite(v)) throw new IllegalArgumentException("SLD settings must be finite numbers: " + this);
        if (guidanceScale < 0 || momentumScale < 0) throw new IllegalArgumentException("SLD's guidance and momentum scales must be >= 0: " + this);
        if (momentumBeta < 0 || momentumBeta >= 1) throw new IllegalArgumentException("SLD's momentum beta must be in [0, 1): " + this);
    }

    /** A preset by name (weak, medium, strong, max). */
    public static SldConfig preset(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "weak" -> WEAK;
            case "medium" -> MEDIUM;
            case "strong" -> STRONG;
            case "max" -> MAX;
            default -> throw new IllegalArgumentException("unknown SLD configuration '" + name + "' (use weak, medium, strong or max)");
        };
    }

    /** The warm-up of a run of {@code steps} steps: the same share of the run as in a 50-step run. */
    public int warmupFor(int steps) {
        return (int) Math.round((double) warmupSteps * steps / PRESET_STEPS);
    }
}
