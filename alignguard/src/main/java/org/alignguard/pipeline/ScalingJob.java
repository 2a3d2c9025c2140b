package org.alignguard.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.baselines.BaselineFile;
import org.alignguard.baselines.Erasure;
import org.alignguard.baselines.Esd;
import org.alignguard.baselines.GuardSpec;
import org.alignguard.baselines.Mace;
import org.alignguard.baselines.Uce;
import org.alignguard.baselines.WeightEdit;
import org.alignguard.data.DataFiles;
import org.alignguard.data.EvalSplit;
import org.alignguard.data.PreferenceDataBuilder;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Category;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.KeepSet;
import org.alignguard.eval.EvalPrompt;
import org.alignguard.eval.EvalSets;
import org.alignguard.eval.ImageScorer;
import org.alignguard.eval.Variant;
import org.alignguard.merge.Expert;
import org.alignguard.merge.ExpertMerger;
import org.alignguard.merge.MergeMethod;
import org.alignguard.tensor.cpu.Lanes;
import org.alignguard.tensor.io.Safetensors;

/**
 * The concept-scaling experiment behind AlignGuard's claim that experts plus Co-Merge "remove 7x more
 * harmful concepts" than the baselines. For each N, the first N unsafe concepts of the large world
 * (round robin over the categories, {@link Erasure#first}) are erased from the same base model by
 * every method; every result is scored on the same prompts and seeds:
 * <pre>
 *   data (pairs for every unsafe concept, once) ─► for N in ns:
 *       AlignGuard: one Diffusion-DPO expert per category with erased concepts ─► Co-Merge
 *       All-single: one LoRA on every erased concept's pairs, as many steps as the experts together
 *       ESD-u, UCE, MACE, SLD, negative prompt, blocklist: the same N concepts
 *       scoring: IP on the erased concepts (training and held-out synonyms), the mark rate of the
 *                concepts not erased, safe twins, benign fidelity, Fréchet distance
 *   ─► report: one plot per measurement against N, and each method's breaking point N*
 * </pre>
 * Everything is written as it is made ({@code out/N-XX/...}); a stopped experiment continues where
 * it was.
 */
public final class ScalingJob {
    /** The folder of one N: {@code N-07}. */
    private static final java.util.regex.Pattern N_DIR = java.util.regex.Pattern.compile("N-(\\d+)");

    public static final List<String> METHODS = List.of("alignguard", "all-single", "esd-u", "uce", "mace", "sld", "negative-prompt", "blocklist");

    private final ScalingConfig cfg;
    private final ProgressListener progress;

    public ScalingJob(ScalingConfig cfg, ProgressListener progress) {
        this.cfg = cfg;
        this.progress = progress;
    }

    /** Runs (or continues) the experiment; returns the scores of the whole folder ({@link #collect}), by N and method, "base" included. */
    public Map<Integer, Map<String, Scoreboard.Entry>> run(Map<String, String> meta) throws IOException {
        TextToImageModel model = TextToImageModel.load(cfg.model()).model();
        World world = model.world();
        SceneClassifier clf = ClassifierTrainer.load(cfg.classifier(), world);
        int all = world.unsafeCount();
        for (int n : cfg.ns()) if (n < 1 || n > all) throw new IllegalArgumentException("N = " + n + " is outside 1.." + all + " (the world's unsafe concepts)");
        Files.createDirectories(cfg.out());
        // One folder, one half: validation scores (to choose on) never mix with test scores (to report).
        Path half = cfg.out().resolve("split.txt");
        String held = Files.isRegularFile(half) ? Files.readString(half).strip() : null;
        if (held == null) org.alignguard.tensor.io.AtomicWrite.writeString(half, cfg.split().cliName() + "\n");
        else if (!held.equals(cfg.split().cliName()))
            throw new IllegalArgumentException(cfg.out() + " holds scores of the " + held + " half; score the " + cfg.split().cliName() + " half in another folder");

        // 1. Preference pairs for every unsafe concept, once: each N uses those of its erased concepts.
        //    Only AlignGuard and All-single train on pairs; the baselines make their own inputs.
        Path dataDir = cfg.out().resolve("data");
        boolean pairs = cfg.methods().contains("alignguard") || cfg.methods().contains("all-single");
        if (pairs && !Files.isRegularFile(dataDir.resolve("pairs.safetensors"))) {
            var r = new PreferenceDataBuilder(model, clf, world).buildConcepts(Erasure.scalingOrder(world),
                    new PreferenceDataBuilder.Config(cfg.pairsPerConcept(), new PromptWriter(world).categoryNames(), cfg.seed(), cfg.dataSampling(), 3.0, cfg.filter()), progress);
            DataFiles.writeDir(dataDir, world, r, DataFiles.Extra.NONE, meta, 2);
        }
        PreferenceSet data = pairs ? DataFiles.read(dataDir, world) : null;

        ImageScorer scorer = new ImageScorer(clf);
        for (int n : cfg.ns()) {
            Erasure erasure = Erasure.first(world, n);
            Path dir = cfg.out().resolve(String.format("N-%02d", n));
            Files.createDirectories(dir);
            List<Variant> variants = new ArrayList<>(List.of(Variant.BASE));
            for (String m : cfg.methods()) variants.add(Variants.file(m, make(m, model, erasure, data, dir, meta)));
            int per = Math.max(2, (int) Math.ceil((double) cfg.erasedPrompts() / n));
            List<EvalPrompt> prompts = EvalSets.concepts(new PromptWriter(world), erasure.erased(), per, erasure.keptUnsafe(), world.unsafeConcepts(), cfg.benign(), cfg.split());
            Scoreboard board = new Scoreboard(model, scorer, prompts, null, cfg.evalSampling(), cfg.split().seed(), dir.resolve("eval"));
            board.score(variants, progress);
        }
        return collect(cfg.out());
    }

    /**
     * Every score the experiment folder holds, by N and method ("base" first, then {@link #METHODS}
     * order): what this invocation measured and what earlier ones did (for instance with other
     * {@code --n} or {@code --methods}), so the report always shows the whole experiment.
     */
    public static Map<Integer, Map<String, Scoreboard.Entry>> collect(Path out) throws IOException {
        java.util.TreeMap<Integer, Map<String, Scoreboard.Entry>> byN = new java.util.TreeMap<>();
        if (!Files.isDirectory(out)) return byN;
        try (var dirs = Files.list(out)) {
            for (Path d : dirs.toList()) {
                var m = N_DIR.matcher(d.getFileName().toString());
                if (!m.matches() || !Files.isDirectory(d.resolve("eval"))) continue;
                Map<String, Scoreboard.Entry> scores = new LinkedHashMap<>();
                List<String> names = new ArrayList<>(List.of(Variant.BASE.name()));
                names.addAll(METHODS);
                for (String name : names) {
                    Path json = d.resolve("eval").resolve(PromptWriter.slug(name) + ".json");
                    if (Files.isRegularFile(json)) scores.put(name, Scoreboard.read(json));
                }
                if (!scores.isEmpty()) byN.put(Integer.parseInt(m.group(1)), scores);
            }
        }
        return byN;
    }

    /** The file of method {@code m} at this N, made if it is not on disk yet. */
    private Path make(String m, TextToImageModel model, Erasure erasure, PreferenceSet data, Path dir, Map<String, String> meta) throws IOException {
        Path file = dir.resolve(m + ".safetensors");
        if (Files.isRegularFile(file)) return file;
        Map<String, String> mm = new LinkedHashMap<>(meta);
        mm.put("erased_concepts", String.join(",", erasure.names()));
        switch (m) {
            case "alignguard" -> alignGuard(model, erasure, data, dir, file, mm);
            case "all-single" -> {
                PreferenceSet pairs = pairsOf(data, erasure.erased());
                int steps = 0;
                for (List<Concept> group : byCategory(erasure)) steps += expertSteps(group.size());
                train(model, erasure, data, pairs, cfg.dpo().withSteps(steps), file, mm, "all-single N=" + erasure.erased().size());
            }
            case "esd-u" -> save(file, Esd.erase(model, erasure, cfg.esd(), progress), model, mm);
            case "uce" -> save(file, Uce.erase(model, erasure, cfg.uce()), model, mm);
            case "mace" -> save(file, Mace.erase(model, erasure, cfg.mace(), progress), model, mm);
            case "sld" -> save(file, guard("sld", erasure, new GuardSpec(null, cfg.sld(), GuardSpec.chunks(erasure.names()), null)), model, mm);
            case "negative-prompt" -> save(file, guard(m, erasure, new GuardSpec(erasure.conceptList(), null, null, null)), model, mm);
            case "blocklist" -> save(file, guard(m, erasure, new GuardSpec(null, null, null, erasure.erasedPhrases())), model, mm);
            default -> throw new IllegalArgumentException("unknown method '" + m + "' (use " + String.join(", ", METHODS) + ")");
        }
        return file;
    }

    /** One expert per category with erased concepts, then Co-Merge (a single expert is used as it is). */
    private void alignGuard(TextToImageModel model, Erasure erasure, PreferenceSet data, Path dir, Path file, Map<String, String> meta) throws IOException {
        List<Path> experts = new ArrayList<>();
        for (List<Concept> group : byCategory(erasure)) {
            String cat = group.get(0).category();
            Path e = dir.resolve("experts/" + PromptWriter.slug(cat) + ".safetensors");
            if (!Files.isRegularFile(e)) {
                Map<String, String> m = new LinkedHashMap<>(meta);
                m.put("category", cat);
                // Each expert its own seed, as the main job's experts (--expert-seeds distinct): the category's place in the world.
                int k = erasure.world().categories().stream().map(Category::name).toList().indexOf(cat);
                var dpo = cfg.dpo().forExpert(k).withSteps(expertSteps(group.size()));
                train(model, erasure, data, pairsOf(data, group), dpo, e, m, "expert " + cat + " N=" + erasure.erased().size());
            }
            experts.add(e);
        }
        if (experts.size() == 1) {
            Files.copy(experts.get(0), file);
            return;
        }
        List<Expert> loaded = new ArrayList<>();
        double seconds = 0;
        for (Path e : experts) {
            loaded.add(ExpertMerger.load(e, model));
            seconds += BaselineFile.trainSeconds(Safetensors.readHeader(e).metadata());
        }
        progress.message("Co-Merge of " + experts.size() + " experts at N=" + erasure.erased().size());
        long t0 = System.nanoTime();
        var probe = ExpertMerger.probe(pairsOf(data, erasure.erased()), categoriesOf(erasure), 8, cfg.seed());
        ExpertMerger.Merged merged = ExpertMerger.merge(MergeMethod.CO_MERGE, loaded, model, probe);
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put("train_seconds", String.format(java.util.Locale.ROOT, "%.1f", seconds + (System.nanoTime() - t0) / 1e9));
        ExpertMerger.save(file, merged, model, m);
    }

    /** Trains one LoRA on {@code pairs}, keeping the safe twins and the unsafe concepts that are not erased. */
    private void train(TextToImageModel model, Erasure erasure, PreferenceSet data, PreferenceSet pairs, org.alignguard.dpo.DpoConfig dpo,
                       Path file, Map<String, String> meta, String phase) throws IOException {
        List<Concept> kept = erasure.keptUnsafe();
        KeepSet keep = kept.isEmpty() ? KeepSet.safeTwins(data) : KeepSet.safeTwins(data).plus(KeepSet.unsafeOf(pairsOf(data, kept)));
        Files.createDirectories(file.getParent());
        // As the main job trains (Lanes.alone): each step's two passes one after the other, the reference by rows.
        Lanes.alone(unused -> new ExpertRun(model, keep, dpo).train(pairs, file, true, meta, progress, phase, null).lora().detach());
    }

    /** Steps of an expert that erases {@code concepts} concepts. */
    int expertSteps(int concepts) {
        return Math.max(cfg.dpo().steps(), cfg.stepsPerConcept() * concepts);
    }

    private static void save(Path file, BaselineFile.Made made, TextToImageModel model, Map<String, String> meta) throws IOException {
        BaselineFile.save(file, made, model, meta);
    }

    private static BaselineFile.Made guard(String method, Erasure erasure, GuardSpec spec) {
        return new BaselineFile.Made(method, erasure, new WeightEdit(Map.of()), spec, Map.of(), 0);
    }

    /** The erased concepts grouped by category, in the world's category order. */
    static List<List<Concept>> byCategory(Erasure erasure) {
        List<List<Concept>> out = new ArrayList<>();
        for (Category cat : erasure.world().categories()) {
            List<Concept> g = erasure.erased().stream().filter(c -> c.category().equals(cat.name())).toList();
            if (!g.isEmpty()) out.add(g);
        }
        return out;
    }

    private static List<String> categoriesOf(Erasure erasure) {
        return byCategory(erasure).stream().map(g -> g.get(0).category()).toList();
    }

    /** The pairs whose unsafe concept is one of {@code concepts}. */
    static PreferenceSet pairsOf(PreferenceSet data, List<Concept> concepts) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Concept c : concepts) names.add(c.name());
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) if (names.contains(data.pairs().get(i).unsafeConcept())) idx.add(i);
        return data.select(idx);
    }
}
