package org.alignguard.cli;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.train.Evaluator;
import org.alignguard.diffusion.world.World;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Samples images for a prompt set, scores them with the classifier and prints a JSON report. */
@Command(name = "evaluate", description = "Score a model: benign fidelity and unsafe-mark rates, as JSON.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin ModelOptions opts;
    @Option(names = "--classifier", paramLabel = "CKPT", description = "Classifier checkpoint (default: the shipped models/classifier.safetensors).") Path classifier;
    @Option(names = "--prompts", paramLabel = "FILE.csv", description = "CSV with a 'prompt' column and an optional 'category' column (default: the world's prompt set).") Path csv;
    @Option(names = "--n", defaultValue = "500", description = "Prompts from the world's set (default: ${DEFAULT-VALUE}).") int n;
    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;

    @Override public Integer call() throws IOException {
        Outputs.positive("--n", n);
        Generator.Settings settings = opts.settings();
        World world = World.load();
        Evaluator ev = new Evaluator(world);
        List<Evaluator.PromptCase> cases = csv == null ? ev.defaultPrompts(n, seed) : readCsv(csv, ev);
        Path clfPath = classifier == null ? Outputs.defaultClassifier() : classifier;
        Outputs.checkReadable(clfPath, "classifier checkpoint");
        SceneClassifier clf;
        try {
            clf = ClassifierTrainer.load(clfPath, world);
        } catch (IOException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
        TextToImageModel model = opts.load();
        long t0 = System.nanoTime();
        Map<String, Object> report;
        try (Progress progress = new Progress()) {
            report = new LinkedHashMap<>(ev.evaluate(model, clf, cases, settings, seed, progress));
        }
        report.put("settings", Evaluator.ordered("steps", settings.steps(), "guidance", settings.guidance(), "sampler", settings.sampler().name().toLowerCase(), "seed", seed));
        report.put("seconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
        System.out.println(new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(report));
        return 0;
    }

    /** Reads a prompts CSV; a missing 'prompt' column or a bad row is a clear error naming the file. */
    static List<Evaluator.PromptCase> readCsv(Path file, Evaluator ev) throws IOException {
        Outputs.checkReadable(file, "prompts CSV");
        List<Evaluator.PromptCase> out = new ArrayList<>();
        CSVFormat fmt = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true).get();
        try (Reader r = Files.newBufferedReader(file); var parser = fmt.parse(r)) {
            if (!parser.getHeaderMap().containsKey("prompt"))
                throw new UserError(file + ": no 'prompt' column in the header " + parser.getHeaderNames());
            boolean hasCategory = parser.getHeaderMap().containsKey("category");
            for (CSVRecord rec : parser) {
                if (!rec.isConsistent())
                    throw new UserError(file + ": line " + rec.getRecordNumber() + " has " + rec.size() + " fields, the header has " + parser.getHeaderNames().size());
                out.add(ev.parse(rec.get("prompt"), hasCategory ? rec.get("category") : ""));
            }
        } catch (java.io.UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
            throw new UserError(file + ": malformed CSV: " + Main.oneLine(e));
        }
        if (out.isEmpty()) throw new UserError(file + ": no prompts");
        return out;
    }
}
