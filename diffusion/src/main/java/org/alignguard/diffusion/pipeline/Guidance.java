package org.alignguard.diffusion.pipeline;

import java.util.List;
import org.alignguard.diffusion.schedule.Scheduler;
import org.alignguard.tensor.Tensor;

/**
 * How a sampling run turns the UNet's noise predictions into the ε each scheduler step uses.
 * The default is classifier-free guidance (Ho and Salimans 2022, Eq. 6):
 * <pre>
 *   ε̃ = ε(x_t, ∅) + w · (ε(x_t, c) − ε(x_t, ∅))
 * </pre>
 * A rule may replace the unconditional prompt ∅ (a negative prompt, as diffusers'
 * {@code negative_prompt}) and ask for the predictions on extra prompts (Safe Latent Diffusion's
 * safety concept). The {@link Generator} runs all of them through the UNet in one batch per step.
 */
public interface Guidance {
    /** The prompt of the unconditional branch: "" for plain classifier-free guidance. */
    default String unconditionalPrompt() { return ""; }

    /** Prompts whose predictions the rule also needs at every step, the same for every image. */
    default List<String> extraPrompts() { return List.of(); }

    /** Starts a run of {@code n} images in {@code steps} steps; the returned rule may keep state between steps. */
    Rule start(int n, int steps);

    /** One run's rule. */
    interface Rule {
        /**
         * ε̃ for step {@code stepIndex} (0 is the noisiest) from the conditional and unconditional
         * predictions [n, C, H, W], one prediction per extra prompt, and the guidance weight w.
         */
        Tensor combine(Tensor epsCond, Tensor epsUncond, List<Tensor> epsExtra, int stepIndex, float w);
    }

    /** Plain classifier-free guidance. */
    Guidance CFG = (n, steps) -> (cond, uncond, extra, i, w) -> Scheduler.guidance(uncond, cond, w);

    /** Classifier-free guidance whose unconditional branch is {@code negativePrompt}: the prompt is pushed away from it. */
    static Guidance negativePrompt(String negativePrompt) {
        return new Guidance() {
            @Override public String unconditionalPrompt() { return negativePrompt; }

            @Override public Rule start(int n, int steps) { return CFG.start(n, steps); }
        };
    }
}
