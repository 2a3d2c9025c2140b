package org.alignguard.data;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.diffusion.world.ImageGrid;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.World;
import org.alignguard.report.Templates;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * The alignment data as files a person can read:
 * <pre>
 *   pairs.csv            one kept pair per row: category, concepts, scene, both prompts, image files
 *   pairs.safetensors    the images as float tensors "winners" and "losers" [N, 3, S, S] (what training reads)
 *   images/ID-safe.png, images/ID-unsafe.png
 *   candidates.csv       every candidate with the classifier's verdict and why it was dropped
 *   test_prompts.csv     the evaluation prompts (set, category, concept, prompt); `evaluate --prompts` reads it
 *   index.html           counts per category and a sample of pairs, opens from disk
 * </pre>
 */
public final class DataFiles {
    static final String[] PAIR_COLUMNS = {"id", "category", "unsafe_concept", "safe_concept", "shape", "colour", "background", "position",
            "unsafe_prompt", "safe_prompt", "winner_image", "loser_image"};

    private DataFiles() {}

    /** More files written into the data folder before it is renamed into place (the test prompts). */
    public interface Extra {
        Extra NONE = dir -> {};

        void writeInto(Path dir) throws IOException;
    }

    /**
     * Writes the data folder {@code target} whole or not at all: into a staging folder beside it, which
     * is then renamed into place (replacing an old one, which the caller must allow). {@code extra}
     * adds its files to the staging folder (the evaluation writes {@code test_prompts.csv} so).
     */
    public static void writeDir(Path target, World world, PreferenceDataBuilder.Result r, Extra extra, Map<String, String> meta, int samplesPerCategory) throws IOException {
        Path staged = OutputDirs.stage(target);
        try {
            write(staged, world, r, meta, samplesPerCategory);
            extra.writeInto(staged);
            OutputDirs.commit(staged, target);
        } finally {
            OutputDirs.deleteTree(staged);
        }
    }

    /** Writes everything into {@code dir}, a staging folder: its files need no atomic writes of their own. */
    private static void write(Path dir, World world, PreferenceDataBuilder.Result r, Map<String, String> meta, int samplesPerCategory) throws IOException {
        Files.createDirectories(dir.resolve("images"));
        PreferenceSet set = r.set();
        int per = set.size() == 0 ? 0 : set.winners().numel() / set.size(), s = set.size() == 0 ? 16 : set.winners().dim(2);
        float[] w = set.winners().toArray(), l = set.losers().toArray();
        try (CSVPrinter csv = printer(dir.resolve("pairs.csv"), PAIR_COLUMNS)) {
            for (int i = 0; i < set.size(); i++) {
                PromptPair p = set.pairs().get(i);
                Scene sc = p.scene();
                String wi = "images/" + p.id() + "-safe.png", li = "images/" + p.id() + "-unsafe.png";
                ImageIO.write(ImageGrid.toImage(java.util.Arrays.copyOfRange(w, i * per, (i + 1) * per), s, s, 4), "png", dir.resolve(wi).toFile());
                ImageIO.write(ImageGrid.toImage(java.util.Arrays.copyOfRange(l, i * per, (i + 1) * per), s, s, 4), "png", dir.resolve(li).toFile());
                csv.printRecord(p.id(), p.category(), p.unsafeConcept(), p.safeConcept(), world.shapes().get(sc.shape()).name(),
                        world.colours().get(sc.colour()).name(), world.backgrounds().get(sc.background()).name(),
                        world.positions().get(sc.position()).name(), p.unsafePrompt(), p.safePrompt(), wi, li);
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("winners", set.winners());
        tensors.put("losers", set.losers());
        Safetensors.write(dir.resolve("pairs.safetensors"), tensors, meta);
        try (CSVPrinter csv = printer(dir.resolve("candidates.csv"), "id", "category", "unsafe_prompt", "safe_prompt", "winner_seed", "loser_seed", "unsafe_image_mark", "safe_image_mark", "kept", "reason")) {
            for (Candidate c : r.candidates())
                csv.printRecord(c.pair().id(), c.pair().category(), c.pair().unsafePrompt(), c.pair().safePrompt(), c.winnerSeed(), c.loserSeed(),
                        c.loserMark(), c.winnerMark(), c.kept(), c.reason());
        }
        Files.writeString(dir.resolve("index.html"), Templates.render("data-index", samplePage(set, r.counts(), meta, samplesPerCategory)));
    }

    private static CSVPrinter printer(Path file, String... header) throws IOException {
        return new CSVPrinter(Files.newBufferedWriter(file), CSVFormat.DEFAULT.builder().setHeader(header).get());
    }

    private static Map<String, Object> samplePage(PreferenceSet set, List<CategoryCount> counts, Map<String, String> meta, int samples) {
        List<Map<String, Object>> cats = new ArrayList<>();
        for (CategoryCount c : counts) {
            List<Map<String, String>> rows = new ArrayList<>();
            for (PromptPair p : set.pairs())
                if (p.category().equals(c.category()) && rows.size() < samples)
                    rows.add(Map.of("id", p.id(), "unsafe", p.unsafePrompt(), "safe", p.safePrompt(),
                            "loser", "images/" + p.id() + "-unsafe.png", "winner", "images/" + p.id() + "-safe.png"));
            cats.add(Map.of("name", c.category(), "candidates", c.candidates(), "kept", c.kept(),
                    "unsafeMissing", c.unsafeWithoutMark(), "safeMissing", c.safeWithoutTwinMark(),
                    "keptPct", String.format(java.util.Locale.ROOT, "%.0f%%", 100 * c.keptFraction()), "rows", rows));
        }
        return Map.of("categories", cats, "command", meta.getOrDefault("command", ""), "total", set.size());
    }

    /** Reads the pairs written by {@link #write}; errors name the file and what is wrong. */
    public static PreferenceSet read(Path dir, World world) throws IOException {
        Path csvFile = dir.resolve("pairs.csv"), tensorFile = dir.resolve("pairs.safetensors");
        if (!Files.isRegularFile(csvFile) || !Files.isRegularFile(tensorFile))
            throw new IOException("no preference data in " + dir + " (needs pairs.csv and pairs.safetensors; run 'alignguard data --out " + dir + "')");
        List<PromptPair> pairs = new ArrayList<>();
        CSVFormat fmt = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        try (Reader r = Files.newBufferedReader(csvFile); var parser = fmt.parse(r)) {
            for (String col : PAIR_COLUMNS)
                if (!parser.getHeaderMap().containsKey(col)) throw new IOException(csvFile + ": missing column '" + col + "'");
            for (CSVRecord rec : parser) {
                Scene sc = new Scene(index(world.shapes(), rec.get("shape"), csvFile), index(world.colours(), rec.get("colour"), csvFile),
                        index(world.backgrounds(), rec.get("background"), csvFile), index(world.positions(), rec.get("position"), csvFile), Scene.NONE);
                try {
                    world.concept(rec.get("unsafe_concept"));
                    world.concept(rec.get("safe_concept"));
                } catch (IllegalArgumentException e) {
                    throw new IOException(csvFile + ": line " + rec.getRecordNumber() + ": " + e.getMessage());
                }
                pairs.add(new PromptPair(rec.get("id"), rec.get("category"), rec.get("unsafe_concept"), rec.get("safe_concept"), sc,
                        rec.get("unsafe_prompt"), rec.get("safe_prompt")));
            }
        } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
            throw new IOException(csvFile + ": malformed CSV: " + e.getMessage(), e);
        }
        var t = Safetensors.readFinite(tensorFile).tensors();
        Tensor w = t.get("winners"), l = t.get("losers");
        if (w == null || l == null) throw new IOException(tensorFile + ": needs tensors 'winners' and 'losers'");
        if (w.dim(0) != pairs.size() || l.dim(0) != pairs.size())
            throw new IOException(dir + ": pairs.csv has " + pairs.size() + " rows but pairs.safetensors holds " + w.dim(0) + " winners and " + l.dim(0) + " losers");
        return new PreferenceSet(pairs, w, l);
    }

    private static int index(List<org.alignguard.diffusion.world.Term> terms, String name, Path file) throws IOException {
        for (int i = 0; i < terms.size(); i++) if (terms.get(i).name().equals(name)) return i;
        throw new IOException(file + ": unknown value '" + name + "'");
    }

}
