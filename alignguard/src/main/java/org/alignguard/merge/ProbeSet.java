package org.alignguard.merge;

import java.util.List;
import org.alignguard.tensor.Tensor;

/**
 * Inputs on which Co-Merge measures activations: prompts from every category with images, each seen
 * at several timesteps. {@code images} is [N, 3, S, S]; prompt i goes with image i.
 */
public record ProbeSet(List<String> prompts, Tensor images, int[] timesteps, long seed) {
    public ProbeSet {
        prompts = List.copyOf(prompts);
        if (images.dim(0) != prompts.size()) throw new IllegalArgumentException(prompts.size() + " probe prompts for " + images.dim(0) + " images");
        if (timesteps.length == 0) throw new IllegalArgumentException("the probe needs at least one timestep");
        timesteps = timesteps.clone();
    }
}
