package org.alignguard.diffusion.pipeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.schedule.DDIMScheduler;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.diffusion.schedule.Scheduler;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * Text-to-image sampling with classifier-free guidance, the loop of a diffusers pipeline:
 * <pre>
 *   x_T ~ N(0, I)
 *   for t in scheduler.setTimesteps(steps):
 *       ε_c, ε_u = ε_θ(x_t, t, c), ε_θ(x_t, t, ∅)        (one batched UNet call; a v output is turned into ε)
 *       ε̃ = ε_u + w (ε_c − ε_u)                          (Ho and Salimans 2022, Eq. 6)
 *       x_{t'} = scheduler.step(ε̃, t, x_t)
 * </pre>
 * All randomness comes from the seed, so the same call gives the same images.
 */
public final class Generator {
    public enum Sampler {
        DDIM, DDPM;

        public static Sampler parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown sampler '" + s + "' (use ddim or ddpm)");
            }
        }
    }

    /** How to sample: steps, guidance weight w, and the sampler. */
    public record Settings(int steps, float guidance, Sampler sampler) {
        public Settings {
            if (steps < 1) throw new IllegalArgumentException("steps must be positive, got " + steps);
        }
    }

    private final TextToImageModel model;

    public Generator(TextToImageModel model) {
        this.model = model;
    }

    Scheduler scheduler(Sampler s) {
        return s == Sampler.DDPM ? new DDPMScheduler(model.schedule) : new DDIMScheduler(model.schedule);
    }

    /** One image per prompt, [N, 3, S, S] in [-1, 1]. */
    public Tensor generate(List<String> prompts, Settings settings, long seed) {
        model.unet.eval();
        model.textEncoder.eval();
        Rng rng = new Rng(seed);
        int n = prompts.size(), s = model.imageSize();
        try (var scope = Grad.noGrad()) {
            boolean cfg = settings.guidance() != 1f;
            List<String> all = new ArrayList<>(prompts);
            if (cfg) all.addAll(Collections.nCopies(n, ""));
            Variable context = model.encode(all);
            Scheduler sched = scheduler(settings.sampler());
            Tensor x = Tensor.randn(rng, n, 3, s, s);
            for (int t : sched.setTimesteps(Math.min(settings.steps(), model.schedule.numTrainTimesteps))) {
                Variable xin = Variable.constant(cfg ? Tensor.concat(List.of(x, x), 0) : x);
                int[] ts = new int[all.size()];
                java.util.Arrays.fill(ts, t);
                Tensor out = model.unet.forward(xin, ts, context).data();
                Tensor eps = model.prediction.toEpsilon(sched, out, t, xin.data());
                if (cfg) eps = Scheduler.guidance(eps.slice(0, n, 2 * n), eps.slice(0, 0, n), settings.guidance());
                x = sched.step(eps, t, x, rng);
            }
            return x.clamp(-1f, 1f);
        }
    }
}
