package org.alignguard.cli;

import java.nio.file.Path;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import picocli.CommandLine.Option;

/** The options every sampling command shares: which model, and how to sample. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "CKPT", description = "Text-to-image checkpoint (default: the shipped models/base.safetensors).")
    Path model;

    /** Sampling steps by default: the shipped model scores the same at 20 DDIM steps as at 25 (docs/RESULTS.md). */
    static final int DEFAULT_STEPS = 20;

    @Option(names = "--steps", defaultValue = "" + DEFAULT_STEPS, description = "Sampling steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "3.0", description = "Classifier-free guidance weight w (default: ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--sampler", defaultValue = "ddim", description = "ddim or ddpm (default: ${DEFAULT-VALUE}).")
    String sampler;

    Generator.Settings settings() {
        Outputs.positive("--steps", steps);
        Outputs.finite("--guidance", guidance);
        try {
            return new Generator.Settings(steps, guidance, Generator.Sampler.parse(sampler));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    TextToImageModel load() {
        return Outputs.model(model, "text-to-image checkpoint (run 'alignguard pretrain' or pass --model)");
    }
}
