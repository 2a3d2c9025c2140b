package org.alignguard.diffusion.schedule;

import java.util.Locale;

/**
 * The forward-process variances β_1..β_T and their products ᾱ_t = Π_{s<=t} (1 − β_s)
 * ({@code alphas_cumprod} in diffusers). Three shapes, as diffusers names them:
 * <ul>
 *   <li>{@code linear}: β evenly spaced from β_start to β_end (Ho et al. 2020, §4);</li>
 *   <li>{@code scaled_linear}: √β evenly spaced, then squared (Stable Diffusion's schedule);</li>
 *   <li>{@code cosine} ({@code squaredcos_cap_v2}): ᾱ(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008,
 *       β_t = min(1 − ᾱ(t+1)/ᾱ(t), 0.999) (Nichol and Dhariwal 2021, Eq. 17).</li>
 * </ul>
 * Any of them can be <b>shifted</b>: every signal-to-noise ratio SNR(t) = ᾱ_t / (1 − ᾱ_t) is
 * multiplied by s², i.e. log-SNR moves by 2·log s (Hoogeboom et al. 2023, "simple diffusion", §3.1,
 * Eq. 4). With s < 1 every timestep is noisier. In our 16×16 world a saturated 8×8 object stays
 * visible through the noise until SNR ≈ 0.01, which the plain cosine schedule only reaches in its
 * last ~7% of timesteps; the prompt decides the object's shape and place only there. Shifting the
 * schedule gives those timesteps a larger share of training and of sampling.
 * Values are computed in double and kept as double, so samplers lose no precision.
 */
public final class NoiseSchedule {
    public enum Kind {
        LINEAR, SCALED_LINEAR, COSINE;

        public static Kind parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT).replace('-', '_')) {
                case "linear" -> LINEAR;
                case "scaled_linear" -> SCALED_LINEAR;
                case "cosine", "squaredcos_cap_v2" -> COSINE;
                default -> throw new IllegalArgumentException("unknown noise schedule '" + s + "' (use linear, scaled_linear or cosine)");
            };
        }
    }

    public final Kind kind;
    public final int numTrainTimesteps;
    /** The SNR shift s: SNR(t) is multiplied by s² (1 = the unshifted schedule). */
    public final double snrShift;
    public final double[] betas;
    public final double[] alphasCumprod;

    public NoiseSchedule(Kind kind, int numTrainTimesteps, double betaStart, double betaEnd) {
        this(kind, numTrainTimesteps, betaStart, betaEnd, 1.0);
    }

    public NoiseSchedule(Kind kind, int numTrainTimesteps, double betaStart, double betaEnd, double snrShift) {
        if (numTrainTimesteps < 1) throw new IllegalArgumentException("numTrainTimesteps must be >= 1, got " + numTrainTimesteps);
        if (!(snrShift > 0) || Double.isInfinite(snrShift)) throw new IllegalArgumentException("SNR shift must be a positive number, got " + snrShift);
        this.kind = kind;
        this.numTrainTimesteps = numTrainTimesteps;
        this.snrShift = snrShift;
        int n = numTrainTimesteps;
        double[] betas = new double[n];
        for (int i = 0; i < n; i++) {
            double f = n == 1 ? 0 : (double) i / (n - 1);
            betas[i] = switch (kind) {
                case LINEAR -> betaStart + f * (betaEnd - betaStart);
                case SCALED_LINEAR -> {
                    double s = Math.sqrt(betaStart) + f * (Math.sqrt(betaEnd) - Math.sqrt(betaStart));
                    yield s * s;
                }
                case COSINE -> Math.min(1 - alphaBar((i + 1.0) / n) / alphaBar((double) i / n), 0.999);
            };
        }
        alphasCumprod = new double[n];
        double prod = 1;
        for (int i = 0; i < n; i++) {
            prod *= 1 - betas[i];
            alphasCumprod[i] = shifted(prod, snrShift);
        }
        // β_t = 1 − ᾱ_t / ᾱ_{t−1} of the (possibly shifted) ᾱ, so DDPM's posterior stays consistent.
        if (snrShift != 1.0)
            for (int i = 0; i < n; i++) betas[i] = 1 - alphasCumprod[i] / (i == 0 ? 1.0 : alphasCumprod[i - 1]);
        this.betas = betas;
    }

    /** ᾱ with its SNR multiplied by s²: ᾱ' = s²ᾱ / (s²ᾱ + 1 − ᾱ). */
    static double shifted(double alphaBar, double s) {
        if (s == 1.0) return alphaBar;
        double a = s * s * alphaBar;
        return a / (a + 1 - alphaBar);
    }

    /** Stable Diffusion's defaults: scaled_linear, T = 1000, β from 0.00085 to 0.012. */
    public static NoiseSchedule stableDiffusion() {
        return new NoiseSchedule(Kind.SCALED_LINEAR, 1000, 0.00085, 0.012);
    }

    private static double alphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    /** ᾱ_t, with ᾱ_{-1} = 1 (no noise before the first step). */
    public double alphaCumprod(int t) {
        return t < 0 ? 1.0 : alphasCumprod[t];
    }
}
