package org.alignguard.eval;

import java.util.function.Predicate;
import org.alignguard.diffusion.pipeline.Guidance;

/**
 * What a safety method changes in how images are drawn, beside the weights: the guidance rule
 * (classifier-free guidance, a negative prompt, Safe Latent Diffusion) and a prompt filter (a
 * blocklist). A refused prompt gets no image: evaluation scores it as a black image in which nothing
 * is seen, so a refused benign prompt counts as a miss in fidelity and a refused unsafe prompt as safe.
 *
 * @param guidance    how each step's ε is formed
 * @param refuses     true for a prompt the method refuses to draw
 * @param description a short description for reports ("cfg", "negative prompt", "sld-medium", "blocklist")
 */
public record Sampling(Guidance guidance, Predicate<String> refuses, String description) {
    /** Plain classifier-free guidance, every prompt drawn. */
    public static final Sampling PLAIN = new Sampling(Guidance.CFG, p -> false, "cfg");

    public Sampling {
        if (guidance == null || refuses == null) throw new IllegalArgumentException("a sampling needs a guidance rule and a prompt filter");
    }

    public Sampling withGuidance(Guidance g, String what) {
        return new Sampling(g, refuses, description.equals("cfg") ? what : description + " + " + what);
    }

    public Sampling withFilter(Predicate<String> filter, String what) {
        return new Sampling(guidance, refuses.or(filter), description.equals("cfg") ? what : description + " + " + what);
    }
}
