package org.alignguard.diffusion.pipeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.model.RowSplit;
import org.alignguard.diffusion.model.UNet;
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

    /**
     * Sees each step of a sampling run: the step's index (0 is the noisiest), its timestep t, the
     * sample x_t before the step and the guided ε̃ the scheduler steps with. From them x̂₀ follows
     * ({@link Scheduler#predictX0}), which is how the playground draws the denoising strip. It may
     * throw to stop the run (a request nobody waits for any more).
     */
    @FunctionalInterface
    public interface StepListener {
        void onStep(int index, int t, Tensor sample, Tensor epsilon);
    }

    private final TextToImageModel model;

    public Generator(TextToImageModel model) {
        this.model = model;
    }

    Scheduler scheduler(Sampler s) {
        return s == Sampler.DDPM ? new DDPMScheduler(model.schedule) : new DDIMScheduler(model.schedule);
    }

    /** One image per prompt, [N, 3, S, S] in [-1, 1], with classifier-free guidance. */
    public Tensor generate(List<String> prompts, Settings settings, long seed) {
        return generate(prompts, settings, seed, Guidance.CFG);
    }

    /**
     * One image per prompt with a guidance rule: the UNet runs on the prompts, on the rule's
     * unconditional prompt ("" for plain CFG, a negative prompt otherwise) and on its extra prompts
     * (SLD's safety concept), all in one batch, and the rule combines the predictions into the ε the
     * scheduler steps with. The starting noise depends only on the seed and the number of prompts,
     * so every rule starts from the same x_T.
     */
    public Tensor generate(List<String> prompts, Settings settings, long seed, Guidance guidance) {
        return generate(prompts, settings, seed, guidance, null);
    }

    /** As {@link #generate(List, Settings, long, Guidance)}, telling {@code listener} (if not null) about every step. */
    public Tensor generate(List<String> prompts, Settings settings, long seed, Guidance guidance, StepListener listener) {
        model.unet.eval();
        model.textEncoder.eval();
        Rng rng = new Rng(seed);
        int n = prompts.size(), s = model.imageSize();
        try (var scope = Grad.noGrad()) {
            // Plain CFG at w = 1 is the conditional model alone: the unconditional branch is skipped.
            boolean uncond = guidance != Guidance.CFG || settings.guidance() != 1f;
            List<String> extras = guidance.extraPrompts();
            List<String> all = new ArrayList<>(prompts);
            if (uncond) all.addAll(Collections.nCopies(n, guidance.unconditionalPrompt()));
            for (String e : extras) all.addAll(Collections.nCopies(n, e));
            int copies = all.size() / n;
            Variable context = model.encode(all);
            Scheduler sched = scheduler(settings.sampler());
            Tensor x = Tensor.randn(rng, n, 3, s, s);
            int[] timesteps = sched.setTimesteps(Math.min(settings.steps(), model.schedule.numTrainTimesteps));
            Guidance.Rule rule = guidance.start(n, timesteps.length);
            // On two threads, each UNet call's rows split over them (RowSplit: the same bits), on this
            // one model: in eval mode its forward pass keeps no state, unless a listener reads its
            // attention maps (the playground's), which must see the rows in order on one thread.
            int parts = model.unet.listened() ? 1 : RowSplit.parts(all.size());
            List<UNet> unets = Collections.nCopies(parts, model.unet);
            for (int i = 0; i < timesteps.length; i++) {
                int t = timesteps[i];
                Variable xin = Variable.constant(copies == 1 ? x : Tensor.concat(Collections.nCopies(copies, x), 0));
                int[] ts = new int[all.size()];
                java.util.Arrays.fill(ts, t);
                Tensor out;
                if (parts > 1) {
                    out = RowSplit.run(all.size(), unets, (u, from, to) ->
                            u.forward(RowSplit.rows(xin, from, to), java.util.Arrays.copyOfRange(ts, from, to), RowSplit.rows(context, from, to)));
                } else {
                    out = model.unet.forward(xin, ts, context).data();
                }
                Tensor eps = model.prediction.toEpsilon(sched, out, t, xin.data());
                if (uncond) {
                    List<Tensor> extra = new ArrayList<>();
                    for (int k = 0; k < extras.size(); k++) extra.add(eps.slice(0, (2 + k) * n, (3 + k) * n));
                    eps = rule.combine(eps.slice(0, 0, n), eps.slice(0, n, 2 * n), extra, i, settings.guidance());
                }
                if (listener != null) listener.onStep(i, t, x, eps);
                x = sched.step(eps, t, x, rng);
            }
            return x.clamp(-1f, 1f);
        }
    }
}
