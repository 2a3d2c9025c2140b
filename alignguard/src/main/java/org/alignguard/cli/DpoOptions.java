package org.alignguard.cli;

import org.alignguard.dpo.DpoConfig;
import picocli.CommandLine.Option;

/** The Diffusion-DPO settings, shared by train-expert and run. Defaults: {@link DpoConfig#defaults}. */
final class DpoOptions {
    private static final DpoConfig D = DpoConfig.defaults(0);

    @Option(names = "--beta", description = "β of Diffusion-DPO (default: " + "${DEFAULT-VALUE}" + ").", defaultValue = "50") float beta = D.beta();
    @Option(names = "--lr", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).", defaultValue = "1e-3") float lr = D.lr();
    @Option(names = "--warmup", description = "Linear warm-up steps (default: ${DEFAULT-VALUE}).", defaultValue = "10") int warmup = D.warmup();
    @Option(names = "--dpo-steps", description = "Optimizer steps per expert (default: ${DEFAULT-VALUE}).", defaultValue = "150") int steps = D.steps();
    @Option(names = "--batch", description = "Preference pairs per step (default: ${DEFAULT-VALUE}).", defaultValue = "8") int batch = D.batch();
    @Option(names = "--clip", description = "Gradient-norm clip (default: ${DEFAULT-VALUE}).", defaultValue = "1.0") float clip = D.clip();
    @Option(names = "--empty-prompt", description = "Share of prompts replaced by the empty prompt (default: ${DEFAULT-VALUE}).", defaultValue = "0.0") float empty = D.emptyPromptFraction();
    @Option(names = "--rank", description = "LoRA rank r, with alpha = r (default: ${DEFAULT-VALUE}).", defaultValue = "4") int rank = D.rank();
    @Option(names = "--preserve", description = "Weight of the preservation term on safe-twin prompts, our addition (default: ${DEFAULT-VALUE}).", defaultValue = "0.0") float preserve = D.preserveWeight();
    @Option(names = "--probe-every", description = "Steps between probe evaluations of fidelity and IP (0: none; default: ${DEFAULT-VALUE}).", defaultValue = "0") int probeEvery = D.probeEvery();
    @Option(names = "--checkpoint-every", description = "Steps between training-state checkpoints (default: ${DEFAULT-VALUE}).", defaultValue = "50") int every = D.checkpointEvery();
    @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).", defaultValue = "0") long seed;

    DpoConfig config() {
        Outputs.positiveNumber("--beta", beta);
        Outputs.positiveNumber("--lr", lr);
        Outputs.positiveNumber("--clip", clip);
        Outputs.finite("--empty-prompt", empty);
        Outputs.finite("--preserve", preserve);
        Outputs.positive("--dpo-steps", steps);
        Outputs.positive("--batch", batch);
        Outputs.positive("--rank", rank);
        Outputs.positive("--checkpoint-every", every);
        try {
            return new DpoConfig(beta, lr, warmup, steps, batch, clip, empty, rank, preserve, seed, every, probeEvery);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
