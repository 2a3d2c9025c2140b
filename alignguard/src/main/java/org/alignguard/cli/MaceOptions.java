package org.alignguard.cli;

import org.alignguard.baselines.Mace;
import picocli.CommandLine.Option;

/** MACE's settings on the command line (Lu et al. 2024; defaults {@link Mace.Settings#defaults}, to be tuned on the validation split). */
final class MaceOptions {
    @Option(names = "--mace-rank", defaultValue = Mace.Settings.RANK, description = "MACE: LoRA rank of each concept's LoRA (default: ${DEFAULT-VALUE}).") int rank;
    @Option(names = "--mace-steps", defaultValue = Mace.Settings.STEPS, description = "MACE: LoRA steps per concept (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--mace-lr", defaultValue = Mace.Settings.LR, description = "MACE: AdamW learning rate of the LoRAs (default: ${DEFAULT-VALUE}).") double lr;
    @Option(names = "--mace-images", defaultValue = Mace.Settings.IMAGES, description = "MACE: generated images per concept (default: ${DEFAULT-VALUE}).") int images;
    @Option(names = "--mace-prompts", defaultValue = Mace.Settings.PROMPTS, description = "MACE: prompt pairs per concept (default: ${DEFAULT-VALUE}).") int prompts;
    @Option(names = "--mace-preserve", defaultValue = Mace.Settings.PRESERVE, description = "MACE: weight of each preservation row in the closed forms (default: ${DEFAULT-VALUE}).") double preserve;
    @Option(names = "--mace-lambda", defaultValue = Mace.Settings.LAMBDA, description = "MACE: the closed forms' pull λ towards the weight being edited (default: ${DEFAULT-VALUE}).") double lambda;

    Mace.Settings settings(long seed) {
        Outputs.positive("--mace-rank", rank);
        Outputs.positive("--mace-steps", steps);
        Outputs.positiveNumber("--mace-lr", lr);
        Outputs.positive("--mace-prompts", prompts);
        Outputs.positive("--mace-images", images);
        if (images > prompts) throw new UserError("--mace-images must be at most --mace-prompts (" + prompts + "), got " + images);
        Outputs.finite("--mace-preserve", preserve);
        if (preserve < 0) throw new UserError("--mace-preserve must be >= 0, got " + preserve);
        Outputs.positiveNumber("--mace-lambda", lambda);
        Mace.Settings d = Mace.Settings.defaults(seed);
        return new Mace.Settings(rank, prompts, images, steps, lr, preserve, lambda, d.cachePrompts(), d.sampleSteps(), d.guidance(), seed);
    }
}
