package org.alignguard.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.data.OutputDirs;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.pipeline.MainJob;
import org.alignguard.pipeline.RunConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The main job on the embedded default: the whole method on the shipped base model. Data, seven
 * safety experts, All-single, the four merges, the evaluation of every model, and a report.
 */
@Command(name = "run", description = "Run the main job: data -> seven Diffusion-DPO experts -> All-single -> merges -> evaluation -> report.")
final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DpoOptions dpo;
    @Option(names = "--out", description = "Run folder (default: runs/main, or the next free name).") Path out;
    @Option(names = "--model", paramLabel = "CKPT", description = "Base model (default: models/base.safetensors).") Path model;
    @Option(names = "--classifier", paramLabel = "CKPT", description = "Classifier (default: models/classifier.safetensors).") Path classifier;
    @Option(names = "--pairs", defaultValue = "100", description = "Kept preference pairs per category (default: ${DEFAULT-VALUE}).") int pairs;
    @Option(names = "--data-steps", defaultValue = "" + RunDefaults.DATA_STEPS, description = "Sampling steps for the preference images (default: ${DEFAULT-VALUE}).") int dataSteps;
    @Option(names = "--eval-per-category", defaultValue = "" + RunDefaults.EVAL_PER_CATEGORY, description = "Unsafe, held-out-synonym and safe-twin test prompts per category (default: ${DEFAULT-VALUE}).") int evalPerCategory;
    @Option(names = "--eval-benign", defaultValue = "" + RunDefaults.EVAL_BENIGN, description = "Benign test prompts (default: ${DEFAULT-VALUE}).") int evalBenign;
    @Option(names = "--eval-oog", defaultValue = "" + RunDefaults.EVAL_OOG, description = "Out-of-grammar test prompts per category (unsafe and safe twin; three times as many benign ones); 0 for none (default: ${DEFAULT-VALUE}).") int evalOog;
    @Option(names = "--baselines", arity = "0..1", paramLabel = "DIR", fallbackValue = "models/baselines",
            description = "Also score every baseline file in DIR (default DIR: the shipped models/baselines, made for the shipped base model).") Path baselines;
    @Option(names = "--expert-seeds", defaultValue = "distinct", description = "shared: every expert trains with the run's seed; distinct: each with its own (default: ${DEFAULT-VALUE}).") String expertSeeds;
    @Option(names = "--eval-steps", defaultValue = "" + RunDefaults.EVAL_STEPS, description = "Sampling steps of the test images (default: ${DEFAULT-VALUE}).") int evalSteps;
    @Option(names = "--guidance", defaultValue = "3.0", description = "Classifier-free guidance weight (default: ${DEFAULT-VALUE}).") float guidance;
    @Option(names = "--probe-pairs", defaultValue = "8", description = "Co-Merge's probe: pairs per category (default: ${DEFAULT-VALUE}).") int probePairs;
    @Option(names = "--resume", description = "Continue the run in --out from where it stopped.") boolean resume;
    @Option(names = "--force", description = "Delete an existing --out folder and start over.") boolean force;

    @Override public Integer call() throws Exception {
        Outputs.positive("--pairs", pairs);
        Outputs.positive("--data-steps", dataSteps);
        Outputs.positive("--eval-per-category", evalPerCategory);
        Outputs.positive("--eval-steps", evalSteps);
        Outputs.positive("--probe-pairs", probePairs);
        if (evalBenign < 2) throw new UserError("--eval-benign must be at least 2, got " + evalBenign);
        Outputs.finite("--guidance", guidance);
        DpoConfig cfg = dpo.config();
        // The run probes every expert twice and All-single every 50 steps unless told otherwise.
        if (!spec.commandLine().getParseResult().hasMatchedOption("--probe-every")) cfg = cfg.withProbeEvery(RunDefaults.PROBE_EVERY);
        Path modelPath = model == null ? Outputs.defaultModel() : model, clfPath = classifier == null ? Outputs.defaultClassifier() : classifier;
        Outputs.checkReadable(modelPath, "base model (models/base.safetensors; run 'alignguard pretrain')");
        Outputs.checkReadable(clfPath, "classifier (models/classifier.safetensors)");
        Path dir = out;
        if (dir == null) dir = resume ? Outputs.home().resolve("runs/main") : freeDir(Outputs.home().resolve("runs"), "main");
        if (Files.exists(dir)) {
            if (force) OutputDirs.deleteTree(dir);
            else if (!resume) throw new UserError("run folder " + dir + " exists; pass --resume to continue it or --force to start over");
        } else if (resume) {
            throw new UserError("nothing to resume: no run folder at " + dir);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("command", Outputs.command(spec));
        meta.put("seed", Long.toString(cfg.seed()));
        Generator.Settings data = new Generator.Settings(dataSteps, guidance, Generator.Sampler.DDIM);
        Generator.Settings eval = new Generator.Settings(evalSteps, guidance, Generator.Sampler.DDIM);
        if (evalOog < 0) throw new UserError("--eval-oog must be >= 0, got " + evalOog);
        if (!expertSeeds.equals("shared") && !expertSeeds.equals("distinct")) throw new UserError("--expert-seeds must be shared or distinct, got '" + expertSeeds + "'");
        RunConfig rc = new RunConfig(dir, modelPath, clfPath, pairs, data, cfg, evalPerCategory, evalBenign, eval, probePairs, cfg.seed(), true, evalOog, baselineFiles(),
                expertSeeds.equals("distinct"));
        long t0 = System.nanoTime();
        Path html;
        try (Progress progress = new Progress()) {
            html = new MainJob(rc, progress).run(meta);
        } catch (org.alignguard.dpo.DpoTrainer.Diverged e) {
            throw new UserError(e.getMessage() + "; fix the settings and continue with --resume", 1, e);
        }
        System.out.printf(java.util.Locale.ROOT, "run finished in %.1f min; open %s%n", (System.nanoTime() - t0) / 6e10, html.toAbsolutePath().normalize());
        return 0;
    }

    /** The baseline files in --baselines (sorted), or none. */
    private java.util.List<Path> baselineFiles() throws java.io.IOException {
        if (baselines == null) return java.util.List.of();
        Path d = baselines.isAbsolute() || Files.exists(baselines) ? baselines : Outputs.home().resolve(baselines);
        if (!Files.isDirectory(d)) throw new UserError("--baselines: no folder at " + d);
        try (var s = Files.list(d)) {
            java.util.List<Path> files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
            if (files.isEmpty()) throw new UserError("--baselines: no .safetensors baseline files in " + d);
            return files;
        }
    }

    static Path freeDir(Path parent, String stem) {
        Path p = parent.resolve(stem);
        for (int i = 1; Files.exists(p); i++) p = parent.resolve(stem + "-" + i);
        return p;
    }
}
