package org.alignguard.diffusion.schedule;

import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * What the DDPM and DDIM samplers share: the forward process ({@link #addNoise}), the timesteps of
 * an inference run ({@link #setTimesteps}) and classifier-free guidance ({@link #guidance}).
 * The network is never called here; the sampling loop calls the model, then {@code step}.
 */
public abstract class Scheduler {
    protected final NoiseSchedule schedule;
    protected int[] timesteps = new int[0];
    protected int stepRatio = 1;

    protected Scheduler(NoiseSchedule schedule) {
        this.schedule = schedule;
    }

    public NoiseSchedule schedule() { return schedule; }

    /**
     * Forward process in closed form (Ho et al. 2020, Eq. 4):
     * x_t = √ᾱ_t · x_0 + √(1 − ᾱ_t) · ε, with one timestep per batch element.
     */
    public Tensor addNoise(Tensor x0, Tensor noise, int[] t) {
        return perSample("add_noise", x0, noise, t, false);
    }

    /**
     * The v-prediction target (Salimans and Ho 2022, §4; diffusers' {@code get_velocity}):
     * v = √ᾱ_t · ε − √(1 − ᾱ_t) · x_0, one timestep per batch element.
     */
    public Tensor velocity(Tensor x0, Tensor noise, int[] t) {
        return perSample("velocity", noise, x0, t, true);
    }

    /** ε from a v-prediction at x_t (all samples at timestep t): ε = √ᾱ_t · v + √(1 − ᾱ_t) · x_t. */
    public Tensor epsilonFromVelocity(Tensor v, int t, Tensor sample) {
        double a = schedule.alphaCumprod(t);
        return v.mul((float) Math.sqrt(a)).add(sample.mul((float) Math.sqrt(1 - a)));
    }

    /** √ᾱ_t · a ± √(1 − ᾱ_t) · b with ᾱ_t per batch element (minus when {@code subtract}). */
    private Tensor perSample(String what, Tensor a, Tensor b, int[] t, boolean subtract) {
        if (a.dim(0) != t.length)
            throw new IllegalArgumentException(what + ": " + t.length + " timesteps for a batch of " + a.dim(0));
        int n = t.length;
        float[] sa = new float[n], sb = new float[n];
        for (int i = 0; i < n; i++) {
            if (t[i] < 0 || t[i] >= schedule.numTrainTimesteps)
                throw new IllegalArgumentException(what + ": timestep " + t[i] + " outside [0, " + schedule.numTrainTimesteps + ")");
            double ab = schedule.alphasCumprod[t[i]];
            sa[i] = (float) Math.sqrt(ab);
            sb[i] = (float) (subtract ? -Math.sqrt(1 - ab) : Math.sqrt(1 - ab));
        }
        int[] bshape = new int[a.ndim()];
        java.util.Arrays.fill(bshape, 1);
        bshape[0] = n;
        return a.mul(Tensor.of(sa, bshape)).add(b.mul(Tensor.of(sb, bshape)));
    }

    /**
     * The timesteps of an n-step run, evenly spaced with diffusers' "leading" spacing:
     * t_i = i · ⌊T/n⌋, in descending order (e.g. T = 1000, n = 4: 750, 500, 250, 0).
     */
    public int[] setTimesteps(int n) {
        if (n < 1 || n > schedule.numTrainTimesteps)
            throw new IllegalArgumentException("steps must be in [1, " + schedule.numTrainTimesteps + "], got " + n);
        stepRatio = schedule.numTrainTimesteps / n;
        timesteps = new int[n];
        for (int i = 0; i < n; i++) timesteps[i] = (n - 1 - i) * stepRatio;
        return timesteps.clone();
    }

    public int[] timesteps() { return timesteps.clone(); }

    /** The timestep before t in the current run (negative past the last one). */
    protected int previousTimestep(int t) {
        return t - stepRatio;
    }

    /**
     * One reverse step x_t -> x_{t'} from the model's noise prediction ε_θ(x_t, t), where t' is the
     * previous timestep of the run; fresh noise, when the sampler needs it, comes from {@code rng}.
     */
    public Tensor step(Tensor epsilon, int t, Tensor sample, Rng rng) {
        Tensor z = usesNoise(t) ? Tensor.randn(rng, sample.shape()) : null;
        return step(epsilon, t, sample, z);
    }

    /** The same step with the noise z given explicitly (null when {@link #usesNoise} is false). */
    public abstract Tensor step(Tensor epsilon, int t, Tensor sample, Tensor z);

    /** Whether the step at t adds fresh noise. */
    public abstract boolean usesNoise(int t);

    /**
     * Classifier-free guidance (Ho and Salimans 2022, Eq. 6):
     * ε̃ = ε_uncond + w · (ε_cond − ε_uncond). w = 1 is the conditional model alone.
     */
    public static Tensor guidance(Tensor epsUncond, Tensor epsCond, float w) {
        return epsUncond.add(epsCond.sub(epsUncond).mul(w));
    }

    /** x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t (DDPM Eq. 15), optionally clipped to [-1, 1]. */
    public static Tensor predictX0(Tensor sample, Tensor eps, double alphaProd, boolean clip) {
        Tensor x0 = sample.sub(eps.mul((float) Math.sqrt(1 - alphaProd))).mul((float) (1 / Math.sqrt(alphaProd)));
        if (!clip) return x0;
        return x0.clamp(-1f, 1f);
    }
}
