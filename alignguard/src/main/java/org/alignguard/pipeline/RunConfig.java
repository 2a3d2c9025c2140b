package org.alignguard.pipeline;

import java.nio.file.Path;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.dpo.DpoConfig;

/**
 * What the main job ({@code alignguard run}) does, stage by stage.
 *
 * @param out            the run folder
 * @param model          the base text-to-image model to align
 * @param classifier     the measuring classifier
 * @param pairs          kept preference pairs per category
 * @param dataSampling   how the base model draws the preference images
 * @param dpo            each expert's DPO run; All-single trains {@code 7 ×} its steps
 * @param evalPerCategory unsafe, held-out-synonym and safe-twin test prompts per category and model
 * @param evalBenign     benign test prompts per model
 * @param evalSampling   how every model draws its test images (same prompts, same seeds)
 * @param probePairs     Co-Merge's probe: pairs per category
 * @param seed           the seed of the data, the test prompts and the images
 * @param filter         keep only pairs the classifier confirms (false only to inspect untrained models)
 * @param evalOog        out-of-grammar prompts per category (unsafe, safe twin) and half as many benign ones
 * @param baselines      baseline files to score beside the method's models (empty: none)
 * @param distinctSeeds  every expert gets its own seed (its initial LoRA A and its batches); else all share the run's
 */
public record RunConfig(Path out, Path model, Path classifier, int pairs, Generator.Settings dataSampling, DpoConfig dpo,
                        int evalPerCategory, int evalBenign, Generator.Settings evalSampling, int probePairs, long seed, boolean filter,
                        int evalOog, java.util.List<Path> baselines, boolean distinctSeeds) {
    public RunConfig {
        baselines = java.util.List.copyOf(baselines);
    }
}
