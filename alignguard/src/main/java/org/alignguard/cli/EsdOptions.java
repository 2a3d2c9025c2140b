package org.alignguard.cli;

import org.alignguard.baselines.Esd;
import picocli.CommandLine.Option;

/** ESD-u's settings (Gandikota et al. 2023); defaults: {@link Esd.Settings#defaults}. */
final class EsdOptions {
    @Option(names = "--esd-iterations", defaultValue = Esd.Settings.ITERATIONS, description = "ESD-u: Adam steps (default: ${DEFAULT-VALUE}).") int iterations;
    @Option(names = "--esd-lr", defaultValue = Esd.Settings.LR, description = "ESD-u: Adam learning rate (default: ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--esd-eta", defaultValue = Esd.Settings.ETA, description = "ESD-u: negative guidance η of the target (default: ${DEFAULT-VALUE}).") float eta;
    @Option(names = "--esd-start-guidance", defaultValue = Esd.Settings.START_GUIDANCE, description = "ESD-u: CFG weight of the partial sampling that makes x_t (default: ${DEFAULT-VALUE}).") float startGuidance;
    @Option(names = "--esd-ddim-steps", defaultValue = Esd.Settings.DDIM_STEPS, description = "ESD-u: DDIM steps of a full run; the grid t_enc is drawn from (default: ${DEFAULT-VALUE}).") int ddimSteps;
    @Option(names = "--esd-batch", defaultValue = Esd.Settings.BATCH, description = "ESD-u: (concept, t) draws per iteration (default: ${DEFAULT-VALUE}).") int batch;

    Esd.Settings settings(long seed) {
        Outputs.positive("--esd-iterations", iterations);
        Outputs.positiveNumber("--esd-lr", lr);
        Outputs.finite("--esd-eta", eta);
        if (eta < 0) throw new UserError("--esd-eta must be >= 0, got " + eta);
        Outputs.positiveNumber("--esd-start-guidance", startGuidance);
        Outputs.positive("--esd-ddim-steps", ddimSteps);
        Outputs.positive("--esd-batch", batch);
        return new Esd.Settings(iterations, lr, eta, startGuidance, ddimSteps, batch, seed);
    }
}
