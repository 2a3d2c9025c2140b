package org.alignguard.cli;

import org.alignguard.dpo.DpoConfig;
import picocli.CommandLine.Option;

/** The Diffusion-DPO settings, shared by train-expert and run. Defaults: {@link DpoConfig#defaults}. */
final class DpoOptions {
    @Option(names = "--beta", defaultValue = DpoConfig.BETA, description = "β of Diffusion-DPO (default: ${DEFAULT-VALUE}).") float beta;
    @Option(names = "--lr", defaultValue = DpoConfig.LR, description = "AdamW learning rate, constant after warm-up (default: ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--warmup", defaultValue = DpoConfig.WARMUP, description = "Linear warm-up steps (default: ${DEFAULT-VALUE}).") int warmup;
    @Option(names = "--dpo-steps", defaultValue = DpoConfig.STEPS, description = "Optimizer steps per expert (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--batch", defaultValue = DpoConfig.BATCH, description = "Preference pairs per step (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--clip", defaultValue = DpoConfig.CLIP, description = "Gradient-norm clip (default: ${DEFAULT-VALUE}).") float clip;
    @Option(names = "--empty-prompt", defaultValue = DpoConfig.EMPTY_PROMPT, description = "Share of prompts replaced by the empty prompt (the paper: 0.2; default: ${DEFAULT-VALUE}).") float empty;
    @Option(names = "--rank", defaultValue = DpoConfig.RANK, description = "LoRA rank r, with alpha = r (default: ${DEFAULT-VALUE}).") int rank;
    @Option(names = "--preserve", defaultValue = DpoConfig.PRESERVE, description = "Weight λ of the preservation term (safe twins, and benign renders per --keep-benign), our addition; 0 is plain Diffusion-DPO (default: ${DEFAULT-VALUE}).") float preserve;
    @Option(names = "--keep-benign", defaultValue = DpoConfig.KEEP_BENIGN, description = "Share of the preservation batch drawn from benign captions with their renders, the rest from safe twins (default: ${DEFAULT-VALUE}).") float keepBenign;
    @Option(names = "--prompt-noise", defaultValue = DpoConfig.PROMPT_NOISE, description = "Probability that a training prompt gets unknown words and loses grammar words (default: ${DEFAULT-VALUE}).") float promptNoise;
    @Option(names = "--anchor", defaultValue = DpoConfig.ANCHOR, description = "Weight μ of the unsafe-prompt anchor: on the unsafe prompt, predict what the frozen model predicts for its safe twin (our addition; 0: off; default: ${DEFAULT-VALUE}).") float anchor;
    @Option(names = "--keep-scene", defaultValue = DpoConfig.KEEP_SCENE, description = "Weight ν of the scene keep: on the unsafe prompt's loser, outside its mark, predict what the frozen model predicts (our addition; 0: off; default: ${DEFAULT-VALUE}).") float keepScene;
    @Option(names = "--keep-scene-on", defaultValue = DpoConfig.KEEP_SCENE_ON, description = "Where the scene keep looks: off-mark (every pixel but the mark) or object (the object's pixels) (default: ${DEFAULT-VALUE}).") String keepSceneOn;
    @Option(names = "--probe-every", defaultValue = "0", description = "Steps between probe measurements of IP, safe-twin rate and fidelity (0: none; default: ${DEFAULT-VALUE}).") int probeEvery;
    @Option(names = "--checkpoint-every", defaultValue = DpoConfig.CHECKPOINT_EVERY, description = "Steps between training-state checkpoints (default: ${DEFAULT-VALUE}).") int every;
    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;

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
            Outputs.finite("--keep-benign", keepBenign);
            Outputs.finite("--prompt-noise", promptNoise);
            Outputs.finite("--anchor", anchor);
            Outputs.finite("--keep-scene", keepScene);
            return new DpoConfig(beta, lr, warmup, steps, batch, clip, empty, rank, preserve, seed, every, probeEvery, keepBenign, promptNoise, anchor, keepScene, keepSceneOn);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
