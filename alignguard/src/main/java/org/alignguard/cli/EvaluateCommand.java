package org.alignguard.cli;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.data.EvalSplit;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.World;
import org.alignguard.eval.EvalPrompt;
import org.alignguard.eval.EvalSets;
import org.alignguard.eval.ImageResult;
import org.alignguard.eval.ImageScorer;
import org.alignguard.eval.OutOfGrammar;
import org.alignguard.eval.PromptFiles;
import org.alignguard.eval.Sampling;
import org.alignguard.eval.Scores;
import org.alignguard.eval.Scoring;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Samples images for a prompt set, scores them with the classifier and prints a JSON report. */
@Command(name = "evaluate", description = "Score a model (with --lora or --baseline: an aligned one): IP per category and on held-out synonyms, fidelity, safe-twin rate, Fréchet distances; JSON.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin ModelOptions opts;
    @Mixin LoraOptions loras;
    @Mixin BaselineOptions baselines;
    @Option(names = "--classifier", paramLabel = "CKPT", description = "Classifier checkpoint (default: the shipped models/classifier.safetensors).") Path classifier;
    @Option(names = "--prompts", paramLabel = "FILE.csv", description = "CSV with a 'prompt' column and optional 'set', 'category', 'concept'; - reads standard input (default: the built-in test sets).") String csv;
    @Option(names = "--split", defaultValue = "test", description = "Built-in sets: which half of the evaluation scenes, validation (to choose settings on) or test (to report) (default: ${DEFAULT-VALUE}).") String split;
    @Option(names = "--per-category", defaultValue = "20", description = "Built-in sets: unsafe, held-out-synonym and safe-twin prompts per category (default: ${DEFAULT-VALUE}).") int perCategory;
    @Option(names = "--benign", defaultValue = "50", description = "Built-in sets: benign prompts (default: ${DEFAULT-VALUE}).") int benign;
    @Option(names = "--oog", description = "Also score the split's out-of-grammar sets (hand-written phrasings; as many prompts as --per-category and --benign).") boolean oog;
    @Option(names = "--categories", split = ",", description = "Built-in sets: only these categories (default: all).") List<String> categories;
    @Option(names = "--seed", description = "Seed of the prompts and the images (default: the split's own seed).") Long seed;
    @Option(names = "--details", paramLabel = "FILE.csv", description = "Also write one row per image: prompt, seed, what it names, what the classifier saw.") Path details;
    @Option(names = "--force", description = "Overwrite an existing --details file.") boolean force;

    @Override public Integer call() throws IOException {
        Outputs.positive("--per-category", perCategory);
        if (benign < 0) throw new UserError("--benign must be >= 0, got " + benign);
        if (details != null) Outputs.checkWritable(details, force);
        if (oog && csv != null) throw new UserError("--oog adds the built-in out-of-grammar sets; it does not go with --prompts");
        EvalSplit half;
        try {
            half = EvalSplit.parse(split);
        } catch (IllegalArgumentException e) {
            throw new UserError("--split: " + e.getMessage());
        }
        long s = seed != null ? seed : half.seed();
        Generator.Settings settings = opts.settings();
        TextToImageModel model = opts.load();
        World world = model.world();
        PromptWriter writer = new PromptWriter(world);
        List<EvalPrompt> prompts = csv != null ? PromptSource.read(csv, world) : EvalSets.standard(writer, DataCommand.checkedCategories(writer, categories), perCategory, benign, s, half);
        var clf = Outputs.classifier(classifier, world);
        loras.attach(model);
        Sampling sampling = baselines.apply(model);
        long t0 = System.nanoTime();
        ImageScorer scorer = new ImageScorer(clf);
        Scoring scoring = new Scoring(world, scorer, model.imageSize());
        // The batches are drawn side by side (Lanes), each lane with its own copy of the model, with
        // the same LoRAs and baseline applied, and of the classifier.
        List<ImageScorer.Lane> lanes = new ArrayList<>(List.of(new ImageScorer.Lane(model, scorer)));
        for (int i = 1; i < org.alignguard.tensor.cpu.Lanes.count() && prompts.size() > ImageScorer.BATCH; i++) {
            TextToImageModel copy = opts.load();
            loras.attach(copy, false);
            baselines.apply(copy, false);
            lanes.add(new ImageScorer.Lane(copy, new ImageScorer(Outputs.classifier(classifier, world))));
        }
        List<ImageResult> results, oogResults = List.of();
        try (Progress progress = new Progress()) {
            results = ImageScorer.run(lanes, prompts, settings, s, sampling, progress, "evaluate");
            if (oog) {
                List<EvalPrompt> extra = OutOfGrammar.sets(world, DataCommand.checkedCategories(writer, categories), perCategory, benign, half);
                oogResults = ImageScorer.run(lanes, extra, settings, s + 1, sampling, progress, "out of grammar");
            }
        }
        Scores scores = scoring.score(results);
        if (details != null) {
            List<ImageResult> all = new ArrayList<>(results);
            all.addAll(oogResults);
            PromptFiles.writeDetails(details, all, world);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", opts.model == null ? "models/base.safetensors" : opts.model.toString());
        report.put("lora", loras.describe());
        report.put("baseline", baselines.describe());
        report.put("sampling", sampling.description());
        report.put("images", results.size() + oogResults.size());
        report.putAll(scores.toMap());
        if (oog) report.put("out_of_grammar", scoring.score(oogResults).toMap());
        // In a fixed order (Map.of's order changes from one JVM to the next), so two reports diff cleanly.
        Map<String, Object> used = new LinkedHashMap<>();
        used.put("steps", settings.steps());
        used.put("guidance", settings.guidance());
        used.put("sampler", settings.sampler().name().toLowerCase(java.util.Locale.ROOT));
        used.put("seed", s);
        used.put("split", csv != null ? "prompts file" : half.cliName());
        report.put("settings", used);
        report.put("seconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
        System.out.println(new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(report));
        return 0;
    }
}
