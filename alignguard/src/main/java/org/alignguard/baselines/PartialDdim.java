package org.alignguard.baselines;

import java.util.List;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.model.UNet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDIMScheduler;
import org.alignguard.diffusion.schedule.Scheduler;
import org.alignguard.tensor.Tensor;

/**
 * ESD's x_t: deterministic DDIM (Song et al. 2021, Eq. 12, η_DDIM = 0) with classifier-free
 * guidance, started from noise and stopped at a given DDPM timestep t. ESD's code runs its sampler
 * only part of the way ("quick_sample_till_t") to get an image of the concept as the model being
 * trained draws it at that noise level.
 *
 * <p>Where the run stops. An n-step run has the grid r·k (r = T/n, diffusers' "leading" spacing, as
 * {@link org.alignguard.diffusion.pipeline.Generator} samples). ESD draws the grid index t_enc and then
 * t uniformly in [t_enc·r, (t_enc+1)·r); its script stops the sampler on the grid and evaluates the
 * loss at t, so x_t and t can be about two steps apart. Here the grid is shifted up by the offset
 * o = t − t_enc·r (diffusers' {@code steps_offset}): the run visits t + r·j for j = n−1−t_enc, …, 1 and
 * its last step lands on t exactly. The first timestep lies in [(n−1)·r, n·r), where √ᾱ is below
 * 0.04 for the shipped schedule, so the starting noise is x_t's distribution there; for t_enc = n−1
 * the noise itself is x_t.
 */
final class PartialDdim {
    private PartialDdim() {}

    /**
     * x_t for one prompt.
     *
     * @param unet      the network that samples (ESD: the one being trained, θ)
     * @param context   [2, L, D]: the prompt's encoding, then the empty prompt's
     * @param t         the DDPM timestep to stop at
     * @param steps     n, the DDIM steps of a full run
     * @param guidance  the CFG weight (ESD's start_guidance)
     * @param noise     x at the first timestep, [1, C, S, S]
     */
    static Tensor sampleTill(TextToImageModel model, UNet unet, Variable context, int t, int steps, float guidance, Tensor noise) {
        int r = model.schedule.numTrainTimesteps / steps, tEnc = t / r;
        if (t < 0 || tEnc >= steps) throw new IllegalArgumentException("timestep " + t + " is outside the " + steps + "-step grid [0, " + steps * r + ")");
        DDIMScheduler ddim = new DDIMScheduler(model.schedule);
        ddim.setTimesteps(steps);   // the step size r: step(·, s, ·) goes from s to s − r
        Tensor x = noise;
        try (var scope = Grad.noGrad()) {
            for (int s = t + (steps - 1 - tEnc) * r; s > t; s -= r) {
                Tensor xx = Tensor.concat(List.of(x, x), 0);
                Tensor out = unet.forward(Variable.constant(xx), new int[] {s, s}, context).data();
                Tensor eps = model.prediction.toEpsilon(ddim, out, s, xx);
                // ε̃ = ε_∅ + w·(ε_c − ε_∅)   (Ho and Salimans 2022, Eq. 6)
                Tensor guided = Scheduler.guidance(eps.slice(0, 1, 2), eps.slice(0, 0, 1), guidance);
                x = ddim.step(guided, s, x, (Tensor) null);
            }
        }
        return x;
    }
}
