package org.alignguard.diffusion.schedule;

import org.alignguard.tensor.Tensor;

/**
 * Denoising diffusion implicit models (Song et al. 2021, Eq. 12), as diffusers' DDIMScheduler with
 * {@code set_alpha_to_one}:
 * <pre>
 *   x̂_0 = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t
 *   σ_t = η · √((1−ᾱ_{t'}) / (1−ᾱ_t)) · √(1 − ᾱ_t/ᾱ_{t'})                   (Eq. 16)
 *   x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'} − σ_t²) · ε + σ_t z
 * </pre>
 * η = 0 gives the deterministic sampler; η = 1 matches DDPM's variance.
 */
public final class DDIMScheduler extends Scheduler {
    private final float eta;
    private final boolean clipSample;

    public DDIMScheduler(NoiseSchedule schedule, float eta, boolean clipSample) {
        super(schedule);
        if (eta < 0) throw new IllegalArgumentException("DDIM eta must be >= 0, got " + eta);
        this.eta = eta;
        this.clipSample = clipSample;
    }

    /** Deterministic DDIM (η = 0) with x̂_0 clipped to [-1, 1], diffusers' defaults. */
    public DDIMScheduler(NoiseSchedule schedule) {
        this(schedule, 0f, true);
    }

    @Override public boolean usesNoise(int t) {
        return eta > 0;
    }

    @Override public Tensor step(Tensor eps, int t, Tensor sample, Tensor z) {
        int prev = previousTimestep(t);
        double aT = schedule.alphaCumprod(t), aPrev = schedule.alphaCumprod(prev);
        Tensor x0 = predictX0(sample, eps, aT, clipSample);
        // With clipping, ε is re-derived from the clipped x̂_0, as diffusers does.
        Tensor e = clipSample ? sample.sub(x0.mul((float) Math.sqrt(aT))).mul((float) (1 / Math.sqrt(1 - aT))) : eps;
        double variance = (1 - aPrev) / (1 - aT) * (1 - aT / aPrev);
        double std = eta * Math.sqrt(variance);
        Tensor out = x0.mul((float) Math.sqrt(aPrev)).add(e.mul((float) Math.sqrt(Math.max(0, 1 - aPrev - std * std))));
        if (eta > 0) out = out.add(z.mul((float) std));
        return out;
    }
}
