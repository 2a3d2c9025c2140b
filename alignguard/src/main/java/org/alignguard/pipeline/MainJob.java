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
import org.alignguard.tensor.io.AtomicWrite;
import org.alignguard.tensor.io.Safetensors;
import org.alignguard.data.DataFiles;
import org.alignguard.data.PreferenceDataBuilder;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.train.LaneProgress;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.tensor.cpu.Lanes;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.DpoTrainer;
import org.alignguard.data.EvalSplit;
import org.alignguard.eval.EvalPrompt;
import org.alignguard.eval.OutOfGrammar;
import org.alignguard.eval.Variant;
import org.alignguard.eval.EvalSets;
import org.alignguard.eval.ImageResult;
import org.alignguard.eval.ImageScorer;
import org.alignguard.eval.ProbeEvaluator;
import org.alignguard.eval.PromptFiles;
import org.alignguard.eval.Scores;
import org.alignguard.eval.Scoring;
import org.alignguard.lora.LoraFile;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.merge.Expert;
import org.alignguard.merge.ExpertMerger;
import org.alignguard.merge.MergeMethod;
import org.alignguard.report.Report;
import org.alignguard.report.ReportWriter;

/**
 * The whole method, end to end, on one base model (AlignGuard, Fig. 2):
 * <pre>
 *   data ─► one expert per category (Diffusion-DPO, LoRA) ─► All-single (one LoRA on all pairs)
 *        ─► merges (Co-Merge, average, sum, TIES) ─► evaluation of every model on the same prompts
 *        and seeds ─► report (HTML, plots, tables)
 * </pre>
 * Every stage writes its results into the run folder before the next starts, atomically, so a run
 * killed at any moment continues with {@code --resume} from the last finished stage (an expert in
 * training from its last checkpoint).
 */
public final class MainJob {
    private final RunConfig cfg;
    private final ProgressListener progress;
    private World world;
    private PromptWriter writer;
    private final Gson gson = new GsonBuilder().serializeSpecialFloatingPointValues().setPrettyPrinting().create();

    public MainJob(RunConfig cfg, ProgressListener progress) {
        this.cfg = cfg;
        this.progress = progress;
    }

    /** Runs (or continues) every stage; returns the report's path. */
    public Path run(Map<String, String> meta) throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(cfg.out());
        TextToImageModel model = TextToImageModel.load(cfg.model()).model();
        world = model.world();
        writer = new PromptWriter(world);
        SceneClassifier clf = ClassifierTrainer.load(cfg.classifier(), world);
        List<String> cats = writer.categoryNames();
        Map<String, Double> seconds = new LinkedHashMap<>();

        // 1. Preference data (CoProV2 at our scale).
        long ts = System.nanoTime();
        Path dataDir = cfg.out().resolve("data");
        // The evaluation's prompts, on the test half of the evaluation scenes (no setting was chosen on
        // them): data/test_prompts.csv lists exactly the ones step 4 scores.
        List<EvalPrompt> tests = EvalSets.of(writer, cats, cfg.evalPerCategory(), cfg.evalBenign(), EvalSplit.TEST);
        // Independent pieces of work (the categories' data, the models' scores) run side by side,
        // each lane with its own copy of the model (Lanes).
        ImageScorer scorer = new ImageScorer(clf);
        Lane main = new Lane(model, clf, scorer, new Scoring(world, scorer, model.imageSize()), writer);
        List<Lane> lanes = lanes(main);
        if (!Files.isRegularFile(dataDir.resolve("pairs.safetensors"))) {
            var r = PreferenceDataBuilder.build(lanes.stream().map(l -> new PreferenceDataBuilder(l.model(), l.clf(), world)).toList(),
                    new PreferenceDataBuilder.Config(cfg.pairs(), cats, cfg.seed(), cfg.dataSampling(), 3.0, cfg.filter()), progress);
            DataFiles.writeDir(dataDir, world, r, dir -> PromptFiles.writePrompts(dir.resolve("test_prompts.csv"), tests), meta, 8);
        }
        PreferenceSet data = DataFiles.read(dataDir, world);
        seconds.put("data", secs(ts));

        // 2. One safety expert per category, then All-single on every pair for as many steps as all
        // experts together. One at a time, each step's passes one after the other: the policy pass
        // with every loop on every thread, the reference pass (no gradients) and the probes'
        // sampling with whole rows on each thread (RowSplit). Two steps side by side
        // (-Dalignguard.trainLanes=2), or a step's reference pass beside its policy pass
        // (-Dalignguard.trainPasses=side), tip the launcher's 1152 MiB heap into full collections
        // (docs/PERFORMANCE.md, "Twelfth session: lanes", "Thirteenth session" and "Fourteenth session").
        ts = System.nanoTime();
        Map<String, Path> loras = new LinkedHashMap<>();
        Map<String, List<org.alignguard.dpo.StepLog>> logs = new LinkedHashMap<>();
        Map<String, List<Map<String, Double>>> probes = new LinkedHashMap<>();
        int allSteps = cfg.dpo().steps() * cats.size();
        LaneProgress bar = new LaneProgress(progress, "experts and All-single");
        List<Lanes.Job<Lane>> training = new ArrayList<>();
        List<String> names = new ArrayList<>(cats);
        names.add("all-single");
        for (String name : names) {
            boolean all = name.equals("all-single");
            // With distinct seeds every expert starts from its own Gaussian A and draws its own batches.
            var dpo = all ? cfg.dpo().withSteps(allSteps) : cfg.distinctSeeds() ? cfg.dpo().forExpert(cats.indexOf(name)) : cfg.dpo();
            PreferenceSet pairs = all ? data : data.category(name);
            List<String> probeCats = all ? cats : List.of(name);
            if (Files.isRegularFile(expertFile(name))) continue;
            bar.expect("expert " + name, dpo.steps());
            training.add(lane -> train(lane, data, pairs, name, dpo, probeCats, meta, bar));
        }
        if (TRAIN_LANES > 1) Lanes.run(lanes.subList(0, Math.min(lanes.size(), TRAIN_LANES)), training);
        else if (SIDE_BY_SIDE_PASSES) Lanes.run(List.of(main), training);
        else Lanes.alone(unused -> Lanes.run(List.of(main), training));
        for (String name : names) loras.put(name, collect(name, logs, probes));
        seconds.put("experts", secs(ts));

        // 3. Merges of the seven experts.
        ts = System.nanoTime();
        List<Expert> experts = new ArrayList<>();   // loaded for the first merge that is not on disk yet
        Map<String, String> mergeInfo = new LinkedHashMap<>();
        for (MergeMethod m : MergeMethod.values()) {
            Path file = cfg.out().resolve("merged/" + m.cliName() + ".safetensors");
            if (!Files.isRegularFile(file)) {
                progress.message("merging the experts: " + m.cliName());
                if (experts.isEmpty()) for (String c : cats) experts.add(ExpertMerger.load(loras.get(c), model));
                var probe = m.needsProbe() ? ExpertMerger.probe(data, cats, cfg.probePairs(), cfg.seed()) : null;
                long tm = System.nanoTime();
                ExpertMerger.Merged merged = ExpertMerger.merge(m, experts, model, probe);
                Map<String, String> mm = new LinkedHashMap<>(meta);
                // A merge's training time is its experts' and its own.
                double expertSeconds = 0;
                for (String c : cats) expertSeconds += org.alignguard.baselines.BaselineFile.trainSeconds(Safetensors.readHeader(loras.get(c)).metadata());
                mm.put("train_seconds", String.format(java.util.Locale.ROOT, "%.1f", expertSeconds + secs(tm)));
                ExpertMerger.save(file, merged, model, mm);
            }
            mergeInfo.put(m.cliName(), Safetensors.readHeader(file).metadata().getOrDefault("co_merge_share", ""));
            loras.put(m.cliName(), file);
        }
        seconds.put("merges", secs(ts));

        // 4. Evaluation: every model (and every baseline asked for) on the same prompts and seeds.
        ts = System.nanoTime();
        List<Variant> variants = new ArrayList<>(List.of(Variant.BASE));
        for (var e : loras.entrySet()) variants.add(Variants.file(e.getKey(), e.getValue()));
        for (Path b : cfg.baselines()) variants.add(Variants.file(baselineName(b), b));
        List<EvalPrompt> oog = cfg.evalOog() > 0 ? OutOfGrammar.sets(world, cats, cfg.evalOog(), Math.max(2, cfg.evalOog() * 3), EvalSplit.TEST) : null;
        // Every model on its own, side by side (Lanes): each lane scores with its own model copy.
        Scoreboard.Entry[] entries = new Scoreboard.Entry[variants.size()];
        LaneProgress evalBar = new LaneProgress(progress, "evaluation");
        List<Lanes.Job<Lane>> scoringJobs = new ArrayList<>();
        for (int i = 0; i < variants.size(); i++) {
            int k = i;
            Variant v = variants.get(i);
            evalBar.expect("evaluate " + v.name(), tests.size());
            if (oog != null) evalBar.expect("out of grammar " + v.name(), oog.size());
            scoringJobs.add(lane -> entries[k] = new Scoreboard(lane.model(), lane.scorer(), tests, oog, cfg.evalSampling(), EvalSplit.TEST.seed(),
                    cfg.out().resolve("eval")).score(v, evalBar));
        }
        Lanes.run(lanes, scoringJobs);
        Map<String, Scores> scores = new LinkedHashMap<>(), oogScores = new LinkedHashMap<>();
        Map<String, Double> trainSeconds = new LinkedHashMap<>();
        for (int i = 0; i < variants.size(); i++) {
            Scoreboard.Entry e = entries[i];
            String name = variants.get(i).name();
            scores.put(name, e.standard());
            if (e.oog() != null) oogScores.put(name, e.oog());
            trainSeconds.put(name, e.trainSeconds());
        }
        seconds.put("evaluation", secs(ts));

        // 5. The report.
        ts = System.nanoTime();
        Report report = new Report(cats, scores, oogScores, trainSeconds, logs, probes, mergeInfo, data, meta, cfg.dpo(), cfg.seed(), cfg.evalSampling());
        Path html = new ReportWriter(world, model).write(cfg.out().resolve("report"), report, variants, seconds, t0);
        progress.message("report written to " + html);
        return html;
    }

    /** A baseline's row name: its file name without the extension ("esd-u"). */
    static String baselineName(Path file) {
        String n = file.getFileName().toString();
        return n.endsWith(".safetensors") ? n.substring(0, n.length() - ".safetensors".length()) : n;
    }

    /** Trainings side by side in the experts stage (default 1: see the stage's comment). */
    static final int TRAIN_LANES = Math.max(1, Integer.getInteger("alignguard.trainLanes", 1));
    /** With one training at a time: each DPO step's reference pass beside its policy pass ({@code -Dalignguard.trainPasses=side}). */
    static final boolean SIDE_BY_SIDE_PASSES = "side".equals(System.getProperty("alignguard.trainPasses", "sequential"));

    /** What a lane works with: its own copy of the model (LoRAs are attached to it) and of the scorer. */
    record Lane(TextToImageModel model, SceneClassifier clf, ImageScorer scorer, Scoring scoring, PromptWriter writer) {}

    /** {@code main}, and a fresh copy of the model and classifier for each further lane. */
    private List<Lane> lanes(Lane main) throws IOException {
        List<Lane> out = new ArrayList<>(List.of(main));
        for (int i = 1; i < Lanes.count(); i++) {
            TextToImageModel m = TextToImageModel.load(cfg.model()).model();
            SceneClassifier c = ClassifierTrainer.load(cfg.classifier(), m.world());
            ImageScorer s = new ImageScorer(c);
            out.add(new Lane(m, c, s, new Scoring(m.world(), s, m.imageSize()), new PromptWriter(m.world())));
        }
        return out;
    }

    private Path expertFile(String name) {
        return cfg.out().resolve("experts/" + PromptWriter.slug(name) + ".safetensors");
    }

    /** Trains one expert (or All-single) on the lane's model, from its checkpoint if one is there. */
    private void train(Lane lane, PreferenceSet all, PreferenceSet pairs, String name, org.alignguard.dpo.DpoConfig dpo, List<String> probeCats,
                       Map<String, String> meta, ProgressListener progress) throws IOException {
        Path file = expertFile(name);
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put("category", name);
        m.put("pairs", Integer.toString(pairs.size()));
        var probe = ProbeEvaluator.forCategories(lane.model(), lane.scorer(), lane.scoring(), lane.writer(), probeCats, cfg.evalSampling().guidance(),
                cfg.evalSampling().sampler(), cfg.seed() + 7);
        DpoTrainer.Result r = new ExpertRun(lane.model(), all, dpo).train(pairs, file, true, m, progress, "expert " + name, probe);
        r.lora().detach();
        AtomicWrite.writeString(ExpertRun.probePath(file), gson.toJson(r.probes()));
    }

    /** A trained expert's file, with its step log and probes read for the report. */
    private Path collect(String name, Map<String, List<org.alignguard.dpo.StepLog>> logs, Map<String, List<Map<String, Double>>> probes) throws IOException {
        Path file = expertFile(name);
        logs.put(name, ExpertRun.readLog(ExpertRun.logPath(file)));
        Path pp = ExpertRun.probePath(file);
        probes.put(name, Files.exists(pp) ? gson.fromJson(Files.readString(pp), new com.google.gson.reflect.TypeToken<List<Map<String, Double>>>() {}.getType()) : List.of());
        return file;
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
