package org.alignguard.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.data.CategoryCount;
import org.alignguard.data.DataFiles;
import org.alignguard.data.PreferenceDataBuilder;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.World;
import org.alignguard.eval.EvalPrompt;
import org.alignguard.eval.EvalSets;
import org.alignguard.eval.PromptFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Builds the CoProV2-style preference data with the base model and writes it as readable files. */
@Command(name = "data", description = "Build the preference pairs (unsafe/safe prompt, images from the base model, classifier filter) and the test prompts.")
final class DataCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions opts;
    @Option(names = "--out", defaultValue = "runs/data", description = "Output folder (default: ${DEFAULT-VALUE}).") Path out;
    @Option(names = "--pairs", defaultValue = "100", description = "Kept pairs per category (default: ${DEFAULT-VALUE}).") int pairs;
    @Option(names = "--categories", split = ",", description = "Categories to build (default: all seven).") List<String> categories;
    @Option(names = "--test-prompts", defaultValue = "100", description = "Test prompts per category and set (default: ${DEFAULT-VALUE}).") int tests;
    @Option(names = "--classifier", paramLabel = "CKPT", description = "Classifier checkpoint (default: models/classifier.safetensors).") Path classifier;
    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--no-filter", description = "Keep every candidate, even when the classifier does not confirm the marks (to inspect a model).") boolean noFilter;
    @Option(names = "--force", description = "Replace an existing output folder.") boolean force;

    @Override public Integer call() throws Exception {
        Outputs.positive("--pairs", pairs);
        Outputs.positive("--test-prompts", tests);
        if (Files.exists(out) && !force) throw new UserError("output " + out + " exists; pass --force to replace it");
        Generator.Settings settings = opts.settings();
        TextToImageModel model = opts.load();
        World world = model.world();
        PromptWriter writer = new PromptWriter(world);
        List<String> cats = checkedCategories(writer, categories);
        var clf = Outputs.classifier(classifier, world);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("command", Outputs.command(spec));
        meta.put("seed", Long.toString(seed));
        long t0 = System.nanoTime();
        PreferenceDataBuilder.Result r;
        try (Progress progress = new Progress()) {
            // The categories are drawn side by side, one lane per copy of the model (Lanes).
            List<PreferenceDataBuilder> lanes = new java.util.ArrayList<>(List.of(new PreferenceDataBuilder(model, clf, world)));
            for (int i = 1; i < org.alignguard.tensor.cpu.Lanes.count(); i++)
                lanes.add(new PreferenceDataBuilder(opts.load(), Outputs.classifier(classifier, world), world));
            r = PreferenceDataBuilder.build(lanes, new PreferenceDataBuilder.Config(pairs, cats, seed, settings, 3.0, !noFilter), progress);
        }
        List<EvalPrompt> testPrompts = EvalSets.standard(writer, cats, tests, tests, seed);
        DataFiles.writeDir(out, world, r, dir -> PromptFiles.writePrompts(dir.resolve("test_prompts.csv"), testPrompts), meta, 12);
        System.out.printf("%-18s %10s %6s %8s%n", "category", "candidates", "kept", "kept %");
        for (CategoryCount c : r.counts())
            System.out.printf(java.util.Locale.ROOT, "%-18s %10d %6d %7.1f%%%n", c.category(), c.candidates(), c.kept(), 100 * c.keptFraction());
        System.out.printf(java.util.Locale.ROOT, "wrote %d pairs to %s in %.1f s (open %s)%n", r.set().size(), out, (System.nanoTime() - t0) / 1e9, out.resolve("index.html"));
        return 0;
    }

    /** The categories asked for, or all; an unknown name is a user error. */
    static List<String> checkedCategories(PromptWriter writer, List<String> asked) {
        if (asked == null || asked.isEmpty()) return writer.categoryNames();
        try {
            for (String c : asked) writer.category(c);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        return List.copyOf(asked);
    }
}
