package org.alignguard.cli;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.World;
import org.alignguard.eval.EvalPrompt;
import org.alignguard.eval.EvalSets;
import org.alignguard.eval.ImageResult;
import org.alignguard.eval.ImageScorer;
import org.alignguard.eval.PromptFiles;
import org.alignguard.eval.Scores;
import org.alignguard.eval.Scoring;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Samples images for a prompt set, scores them with the classifier and prints a JSON report. */
@Command(name = "evaluate", description = "Score a model (with --lora: an aligned one): IP per category and on held-out synonyms, fidelity, safe-twin rate, Fréchet distance; JSON.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin ModelOptions opts;
    @Mixin LoraOptions loras;
    @Option(names = "--classifier", paramLabel = "CKPT", description = "Classifier checkpoint (default: the shipped models/classifier.safetensors).") Path classifier;
    @Option(names = "--prompts", paramLabel = "FILE.csv", description = "CSV with a 'prompt' column and optional 'set', 'category', 'concept' (default: the built-in test sets).") Path csv;
    @Option(names = "--per-category", defaultValue = "20", description = "Built-in sets: unsafe, held-out-synonym and safe-twin prompts per category (default: ${DEFAULT-VALUE}).") int perCategory;
    @Option(names = "--benign", defaultValue = "50", description = "Built-in sets: benign prompts (default: ${DEFAULT-VALUE}).") int benign;
    @Option(names = "--categories", split = ",", description = "Built-in sets: only these categories (default: all).") List<String> categories;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the prompts and the images (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--details", paramLabel = "FILE.csv", description = "Also write one row per image: prompt, seed, what it names, what the classifier saw.") Path details;
    @Option(names = "--force", description = "Overwrite an existing --details file.") boolean force;

    @Override public Integer call() throws IOException {
        Outputs.positive("--per-category", perCategory);
        if (benign < 0) throw new UserError("--benign must be >= 0, got " + benign);
        if (details != null) Outputs.checkWritable(details, force);
        Generator.Settings settings = opts.settings();
        World world = World.load();
        PromptWriter writer = new PromptWriter(world);
        List<EvalPrompt> prompts;
        if (csv != null) {
            Outputs.checkReadable(csv, "prompts CSV");
            try {
                prompts = PromptFiles.read(csv, world);
            } catch (IOException e) {
                throw new UserError(e.getMessage(), 2, e);
            }
        } else {
            prompts = EvalSets.standard(writer, DataCommand.checkedCategories(writer, categories), perCategory, benign, seed);
        }
        var clf = Outputs.classifier(classifier, world);
        TextToImageModel model = opts.load();
        loras.attach(model);
        long t0 = System.nanoTime();
        ImageScorer scorer = new ImageScorer(clf);
        List<ImageResult> results;
        try (Progress progress = new Progress()) {
            results = scorer.run(model, prompts, settings, seed, progress, "evaluate");
        }
        Scores scores = new Scoring(world, scorer, model.imageSize()).score(results);
        if (details != null) PromptFiles.writeDetails(details, results, world);
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", opts.model == null ? "models/base.safetensors" : opts.model.toString());
        report.put("lora", loras.describe());
        report.put("images", results.size());
        report.putAll(scores.toMap());
        report.put("settings", Map.of("steps", settings.steps(), "guidance", settings.guidance(), "sampler", settings.sampler().name().toLowerCase(java.util.Locale.ROOT), "seed", seed));
        report.put("seconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
        System.out.println(new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(report));
        return 0;
    }
}
