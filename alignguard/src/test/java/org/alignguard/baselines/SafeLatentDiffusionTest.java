package org.alignguard.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.alignguard.diffusion.pipeline.Guidance;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** SLD's guidance term (Schramowski et al. 2023, Eq. 3–8) on numbers worked by hand. */
class SafeLatentDiffusionTest {
    private static Tensor t(float... v) {
        return Tensor.of(v, v.length);
    }

    @Test void safetyTermOnHandWorkedElements() {
        // s_S = 10, λ = 0.05, s_m = 0.5, β_m = 0.4, no warm-up, w = 2.
        SldConfig cfg = new SldConfig("custom", 0, 10f, 0.05f, 0.5f, 0.4f);
        Guidance.Rule rule = new SafeLatentDiffusion(cfg, List.of("slur")).start(3, 10);
        Tensor cond = t(1.0f, 0.2f, -0.5f), uncond = t(0.0f, 0.0f, 0.0f), safe = t(0.98f, 0.5f, 0.3f);
        // element 0: diff = 0.02 < λ -> μ = min(1, 0.2) = 0.2; γ = 0.2·(0.98 − 0) = 0.196; ε̃ = 0 + 2·(1 − 0.196) = 1.608
        // element 1: diff = −0.3 < λ -> μ = min(1, 3) = 1;   γ = 1·0.5 = 0.5;          ε̃ = 2·(0.2 − 0.5) = −0.6
        // element 2: diff = −0.8 -> μ = 1; γ = 0.3; ε̃ = 2·(−0.5 − 0.3) = −1.6
        Tensor out = rule.combine(cond, uncond, List.of(safe), 0, 2f);
        assertArrayEquals(new float[] {1.608f, -0.6f, -1.6f}, out.toArray(), 1e-5f);
        // Step 2: momentum ν = (1 − 0.4)·γ₁ = (0.1176, 0.3, 0.18); γ₂ = μ(ε_S − ε_∅) + 0.5·ν.
        out = rule.combine(cond, uncond, List.of(safe), 1, 2f);
        assertArrayEquals(new float[] {2 * (1 - (0.196f + 0.5f * 0.1176f)), 2 * (0.2f - (0.5f + 0.15f)), 2 * (-0.5f - (0.3f + 0.09f))}, out.toArray(), 1e-5f);
    }

    @Test void noTermWhereThePromptIsAboveTheThreshold() {
        SldConfig cfg = new SldConfig("custom", 0, 1000f, 0.01f, 0f, 0f);
        Tensor out = new SafeLatentDiffusion(cfg, List.of("x")).start(1, 10).combine(t(0.5f), t(0.1f), List.of(t(0.2f)), 0, 3f);
        // ε_c − ε_S = 0.3 ≥ λ: plain CFG, 0.1 + 3·0.4 = 1.3
        assertEquals(1.3f, out.toArray()[0], 1e-6f);
    }

    @Test void warmUpIsAShareOfTheRunAndKeepsPlainGuidance() {
        assertEquals(4, SldConfig.MEDIUM.warmupFor(20));   // 10 of 50 steps -> 4 of 20
        assertEquals(0, SldConfig.MAX.warmupFor(20));
        SldConfig cfg = new SldConfig("custom", 25, 1000f, 1f, 0f, 0f);
        Guidance.Rule rule = new SafeLatentDiffusion(cfg, List.of("x")).start(1, 10);   // warm-up: 5 of 10 steps
        Tensor cond = t(0.5f), uncond = t(0.1f), safe = t(0.6f);
        assertEquals(0.1f + 3 * 0.4f, rule.combine(cond, uncond, List.of(safe), 4, 3f).toArray()[0], 1e-6f);
        assertEquals(0.1f + 3 * (0.4f - 0.5f), rule.combine(cond, uncond, List.of(safe), 5, 3f).toArray()[0], 1e-6f);
    }

    @Test void presetsAreThePublishedOnes() {
        assertEquals(new SldConfig("weak", 15, 20f, 0f, 0f, 0f), SldConfig.preset("weak"));
        assertEquals(new SldConfig("medium", 10, 1000f, 0.01f, 0.3f, 0.4f), SldConfig.preset("MEDIUM"));
        assertEquals(new SldConfig("strong", 7, 2000f, 0.025f, 0.5f, 0.7f), SldConfig.preset("strong"));
        assertEquals(new SldConfig("max", 0, 5000f, 1f, 0.5f, 0.7f), SldConfig.preset("max"));
        assertThrows(IllegalArgumentException.class, () -> SldConfig.preset("extreme"));
    }

    @Test void longConceptListsAreSplitIntoReadableTexts() {
        List<String> chunks = GuardSpec.chunks(List.of("a b c d e f g h i j", "k l m n o p q r s t", "u v w"));
        assertEquals(List.of("a b c d e f g h i j, k l m n o p q r s t", "u v w"), chunks);
    }
}
