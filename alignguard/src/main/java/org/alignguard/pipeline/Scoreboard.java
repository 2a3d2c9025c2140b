package org.alignguard.pipeline;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.eval.EvalPrompt;
import org.alignguard.eval.ImageResult;
import org.alignguard.eval.ImageScorer;
import org.alignguard.eval.PromptFiles;
import org.alignguard.eval.Scores;
import org.alignguard.eval.Scoring;
import org.alignguard.eval.Variant;
import org.alignguard.tensor.io.AtomicWrite;

/**
 * Scores variants on the same prompts and seeds: the built-in sets of one evaluation half, and its
 * out-of-grammar sets. Each variant's result is written to {@code dir/NAME.json} (and its per-image
 * rows to {@code NAME.csv}) as soon as it is done, and read back instead of being scored again, so a
 * stopped comparison continues where it was.
 */
public final class Scoreboard {
    /** One variant's measurements. {@code oog} is null when no out-of-grammar sets were scored. */
    public record Entry(Scores standard, Scores oog, double trainSeconds) {}

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().setPrettyPrinting().create();

    private final TextToImageModel model;
    private final ImageScorer scorer;
    private final Scoring scoring;
    private final List<EvalPrompt> standard, oog;
    private final Generator.Settings settings;
    private final long seed;
    private final Path dir;

    public Scoreboard(TextToImageModel model, ImageScorer scorer, List<EvalPrompt> standard, List<EvalPrompt> oog, Generator.Settings settings, long seed, Path dir) {
        this.model = model;
        this.scorer = scorer;
        this.scoring = new Scoring(model.world(), scorer, model.imageSize());
        this.standard = List.copyOf(standard);
        this.oog = oog == null ? List.of() : List.copyOf(oog);
        this.settings = settings;
        this.seed = seed;
        this.dir = dir;
    }

    /** Every variant's entry, in order. */
    public Map<String, Entry> score(List<Variant> variants, ProgressListener progress) throws IOException {
        Map<String, Entry> out = new LinkedHashMap<>();
        for (Variant v : variants) out.put(v.name(), score(v, progress));
        return out;
    }

    /** The entry a scoreboard wrote to {@code json}. */
    public static Entry read(Path json) throws IOException {
        return GSON.fromJson(Files.readString(json), Entry.class);
    }

    public Entry score(Variant v, ProgressListener progress) throws IOException {
        Path json = dir.resolve(PromptWriter.slug(v.name()) + ".json");
        if (Files.isRegularFile(json)) return read(json);
        Variant.Applied a = v.applyTo(model);
        try {
            List<ImageResult> results = scorer.run(model, standard, settings, seed, a.sampling(), progress, "evaluate " + v.name());
            List<ImageResult> extra = oog.isEmpty() ? List.of() : scorer.run(model, oog, settings, seed + 1, a.sampling(), progress, "out of grammar " + v.name());
            Entry e = new Entry(scoring.score(results), oog.isEmpty() ? null : scoring.score(extra), v.trainSeconds());
            List<ImageResult> all = new ArrayList<>(results);
            all.addAll(extra);
            Files.createDirectories(dir);
            PromptFiles.writeDetails(dir.resolve(PromptWriter.slug(v.name()) + ".csv"), all, model.world());
            AtomicWrite.writeString(json, GSON.toJson(e));
            return e;
        } finally {
            a.remove();
        }
    }
}
