package org.alignguard.diffusion.schedule;

import java.util.Locale;
import org.alignguard.tensor.Tensor;

/**
 * What the network is trained to output (diffusers' {@code prediction_type}).
 * <ul>
 *   <li>{@code EPSILON}: the noise ε (Ho et al. 2020, Eq. 14).</li>
 *   <li>{@code V}: the velocity v = √ᾱ_t · ε − √(1 − ᾱ_t) · x_0 (Salimans and Ho 2022, §4), as in
 *       Stable Diffusion 2. An error in ε̂ costs SNR · |Δx̂_0|², which vanishes at the
 *       noisiest timesteps, the very ones where the prompt has to decide what goes where. An
 *       error in v̂ costs (SNR + 1) · |Δx̂_0|²: at least |Δx̂_0|² everywhere.</li>
 * </ul>
 * The samplers always take ε; {@link #toEpsilon} converts a v output first.
 */
public enum Prediction {
    EPSILON, V;

    public static Prediction parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "epsilon", "eps" -> EPSILON;
            case "v", "v_prediction", "v-prediction" -> V;
            default -> throw new IllegalArgumentException("unknown prediction type '" + s + "' (use epsilon or v)");
        };
    }

    /** The training target for x_0 noised with ε at timesteps t (one per batch element). */
    public Tensor target(Scheduler s, Tensor x0, Tensor eps, int[] t) {
        return this == V ? s.velocity(x0, eps, t) : eps;
    }

    /** The network's output at x_t (all samples at timestep t) as the ε the samplers step with. */
    public Tensor toEpsilon(Scheduler s, Tensor output, int t, Tensor sample) {
        return this == V ? s.epsilonFromVelocity(output, t, sample) : output;
    }

    /**
     * The Min-SNR-γ loss weight (Hang et al. 2023, Table 1) in this parameterisation, for a
     * timestep with signal-to-noise ratio SNR = ᾱ / (1 − ᾱ). Measured on x̂_0 errors:
     * <ul>
     *   <li>ε: min(SNR, γ) / SNR, so |Δx̂_0|² weighs min(SNR, γ) (Hang et al.'s rule);</li>
     *   <li>v: min(SNR + 1, γ) / (SNR + 1), so |Δx̂_0|² weighs min(SNR + 1, γ): Salimans and Ho's
     *       "SNR + 1" weighting, clipped at γ. The noisiest timesteps keep weight 1 instead of
     *       ≈ SNR ≈ 0.</li>
     * </ul>
     */
    public float minSnrWeight(double alphaCumprod, float gamma) {
        double snr = alphaCumprod / (1 - alphaCumprod);
        double w = this == EPSILON ? Math.min(snr, gamma) / snr : Math.min(snr + 1, gamma) / (snr + 1);
        return (float) w;
    }
}
