package org.alignguard.diffusion.schedule;

import org.alignguard.tensor.Tensor;

/**
 * Ancestral sampling of Ho et al. 2020 (Algorithm 2), written as diffusers' DDPMScheduler with
 * ε-prediction, {@code fixed_small} variance and {@code clip_sample}, so it also works with fewer
 * inference steps than training steps:
 * <pre>
 *   x̂_0 = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t                                   (Eq. 15, clipped to [-1, 1])
 *   μ̃_t = √ᾱ_{t'} β'_t / (1−ᾱ_t) · x̂_0 + √α'_t (1−ᾱ_{t'}) / (1−ᾱ_t) · x_t   (Eq. 7)
 *   σ²_t = (1−ᾱ_{t'}) / (1−ᾱ_t) · β'_t,    x_{t'} = μ̃_t + σ_t z  (z = 0 at the last step)
 * </pre>
 * where t' is the previous timestep of the run, α'_t = ᾱ_t / ᾱ_{t'} and β'_t = 1 − α'_t.
 */
public final class DDPMScheduler extends Scheduler {
    private final boolean clipSample;

    public DDPMScheduler(NoiseSchedule schedule, boolean clipSample) {
        super(schedule);
        this.clipSample = clipSample;
    }

    public DDPMScheduler(NoiseSchedule schedule) {
        this(schedule, true);
    }

    @Override public boolean usesNoise(int t) {
        return t > 0;
    }

    @Override public Tensor step(Tensor eps, int t, Tensor sample, Tensor z) {
        int prev = previousTimestep(t);
        double aT = schedule.alphaCumprod(t), aPrev = schedule.alphaCumprod(prev);
        double betaProdT = 1 - aT, betaProdPrev = 1 - aPrev;
        double alphaT = aT / aPrev, betaT = 1 - alphaT;
        Tensor x0 = predictX0(sample, eps, aT, clipSample);
        double cX0 = Math.sqrt(aPrev) * betaT / betaProdT;
        double cXt = Math.sqrt(alphaT) * betaProdPrev / betaProdT;
        Tensor mean = x0.mul((float) cX0).add(sample.mul((float) cXt));
        if (t <= 0) return mean;
        double variance = Math.max(betaProdPrev / betaProdT * betaT, 1e-20);
        return mean.add(z.mul((float) Math.sqrt(variance)));
    }
}
