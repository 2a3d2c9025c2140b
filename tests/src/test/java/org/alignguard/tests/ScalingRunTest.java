package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignguard.baselines.Esd;
import org.alignguard.baselines.Mace;
import org.alignguard.baselines.SldConfig;
import org.alignguard.baselines.Uce;
import org.alignguard.data.EvalSplit;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.model.TextEncoderConfig;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.NoiseSchedule;
import org.alignguard.diffusion.schedule.Prediction;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.eval.Scores;
import org.alignguard.pipeline.ScalingConfig;
import org.alignguard.pipeline.ScalingJob;
import org.alignguard.pipeline.Scoreboard;
import org.alignguard.report.ScalingReport;
import org.alignguard.tensor.Rng;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The concept-scaling experiment end to end on a tiny world (two categories of two unsafe concepts),
 * an untrained tiny UNet and a briefly trained classifier: every method at every N, the report with
 * its plots and N*, and a second call that finds everything done.
 */
class ScalingRunTest {
    @TempDir Path dir;

    @Test void everyMethodAtEveryNAndAReport() throws Exception {
        World world = World.load(Path.of(getClass().getResource("/tiny-world.json").toURI()));
        Tokenizer tok = Tokenizer.forWorld(world);
        UNetConfig uc = new UNetConfig(16, 3, 8, new int[] {1, 2}, 1, new boolean[] {false, true}, 2, 16, 4, 0f, true, 1, true, false);
        TextToImageModel m = TextToImageModel.create(tok, new TextEncoderConfig(tok.size(), 24, 16, 1, 2), uc,
                TextToImageModel.scheduleFor(NoiseSchedule.Kind.COSINE, 1000, 0.5), Prediction.V, new Rng(3), world);
        Path model = dir.resolve("base.safetensors"), clf = dir.resolve("classifier.safetensors");
        m.save(model, null, Map.of("seed", "3"));
        ClassifierTrainer ct = new ClassifierTrainer(world, 16);
        SceneClassifier c = ct.train(new ClassifierTrainer.Config(5, 8, 2e-3f, 8, 0.08f, 1), ProgressListener.NONE);
        ClassifierTrainer.save(c, clf, Map.of(), world);

        Generator.Settings fast = new Generator.Settings(2, 3f, Generator.Sampler.DDIM);
        DpoConfig dpo = new DpoConfig(10f, 1e-2f, 0, 3, 2, 1f, 0f, 2, 5f, 1, 100, 0, 0.5f, 0.5f);
        ScalingConfig cfg = new ScalingConfig(dir.resolve("scaling"), model, clf, List.of(1, 3, 4), ScalingJob.METHODS, 2, dpo, 1,
                new Esd.Settings(2, 1e-3f, 1f, 3f, 4, 1, 1), Uce.Settings.defaults(),
                new Mace.Settings(1, 2, 2, 2, 1e-3, 0.1, 0.1, 4, 2, 3f, 1), SldConfig.MEDIUM, fast, fast, 4, 4, 1, false, EvalSplit.TEST);
        Map<Integer, Map<String, Scoreboard.Entry>> r = new ScalingJob(cfg, ProgressListener.NONE).run(Map.of("command", "test"));

        assertEquals(List.of(1, 3, 4), List.copyOf(r.keySet()));
        for (var e : r.entrySet()) {
            assertEquals(ScalingJob.METHODS.size() + 1, e.getValue().size(), "base and every method at N=" + e.getKey());
            Scores base = e.getValue().get("base").standard();
            assertEquals(Math.max(2, (int) Math.ceil(4.0 / e.getKey())) * e.getKey(), base.counts().get("unsafe"), "prompts over the erased concepts");
            assertEquals(4 - e.getKey(), base.counts().getOrDefault("kept", 0), "one prompt per concept that is not erased");
            for (String method : ScalingJob.METHODS) assertTrue(Files.isRegularFile(cfg.out().resolve(String.format("N-%02d/%s.safetensors", e.getKey(), method))), method);
        }
        // One expert per category with erased concepts: N=1 erases one hate concept, N=3 both of hate and one of violence.
        assertTrue(Files.isRegularFile(cfg.out().resolve("N-01/experts/hate.safetensors")));
        assertEquals(2, Files.list(cfg.out().resolve("N-03/experts")).filter(p -> p.toString().endsWith(".safetensors") && !p.toString().contains(".state.")).count());

        Map<Integer, Map<String, Scores>> scores = new java.util.LinkedHashMap<>();
        r.forEach((n, byMethod) -> {
            Map<String, Scores> s = new java.util.LinkedHashMap<>();
            byMethod.forEach((k, v) -> s.put(k, v.standard()));
            scores.put(n, s);
        });
        Path html = ScalingReport.write(cfg.out().resolve("report"), scores, Map.of(), "test");
        Document doc = Jsoup.parse(html.toFile(), "UTF-8");
        assertEquals(6, doc.select("img[src]").size(), "one plot per measurement");
        for (var img : doc.select("img[src]")) assertTrue(Files.size(html.getParent().resolve(img.attr("src"))) > 0);
        assertEquals(ScalingJob.METHODS.size() + 1, doc.select("table").get(0).select("tr").size(), "N* for every method");

        long made = Files.getLastModifiedTime(cfg.out().resolve("N-03/esd-u.safetensors")).toMillis();
        new ScalingJob(cfg, ProgressListener.NONE).run(Map.of("command", "test"));
        assertEquals(made, Files.getLastModifiedTime(cfg.out().resolve("N-03/esd-u.safetensors")).toMillis(), "a second call redoes nothing");

        // A later call with other N and methods adds to the folder; the result (and so the report) is the whole experiment.
        ScalingConfig one = new ScalingConfig(cfg.out(), model, clf, List.of(2), List.of("uce"), 2, dpo, 1, cfg.esd(), cfg.uce(), cfg.mace(), cfg.sld(), fast, fast, 4, 4, 1, false, EvalSplit.TEST);
        var all = new ScalingJob(one, ProgressListener.NONE).run(Map.of("command", "test"));
        assertEquals(List.of(1, 2, 3, 4), List.copyOf(all.keySet()));
        assertEquals(List.of("base", "uce"), List.copyOf(all.get(2).keySet()));
        assertEquals(r.get(3).keySet(), all.get(3).keySet());
        assertEquals(r.get(3).get("mace").standard().ip(), all.get(3).get("mace").standard().ip());

        // The validation half goes in a folder of its own; a baseline alone needs no preference pairs.
        var ex = assertThrows(IllegalArgumentException.class, () -> new ScalingJob(new ScalingConfig(cfg.out(), model, clf, List.of(2), List.of("uce"), 2, dpo, 1,
                cfg.esd(), cfg.uce(), cfg.mace(), cfg.sld(), fast, fast, 4, 4, 1, false, EvalSplit.VALIDATION), ProgressListener.NONE).run(Map.of("command", "test")));
        assertTrue(ex.getMessage().contains("test half"), ex.getMessage());
        Path val = dir.resolve("val");
        var v = new ScalingJob(new ScalingConfig(val, model, clf, List.of(2), List.of("uce"), 2, dpo, 1, cfg.esd(), cfg.uce(), cfg.mace(), cfg.sld(),
                fast, fast, 4, 4, 1, false, EvalSplit.VALIDATION), ProgressListener.NONE).run(Map.of("command", "test"));
        assertFalse(Files.exists(val.resolve("data")), "no pairs are made for a baseline");
        assertEquals("validation", Files.readString(val.resolve("split.txt")).strip());
        assertEquals(all.get(2).get("base").standard().counts(), v.get(2).get("base").standard().counts(), "the same sets, on the other half's scenes");
    }

    @Test void breakingPointCountsHeldOutSynonymsAndQualityAgainstTheBase() {
        Scores base = scores(1, 1, 1, 1), good = scores(0.05, 0.08, 0.96, 0.95), blocklistLike = scores(0.0, 1.0, 1, 1), broken = scores(0.0, 0.0, 0.9, 1);
        assertTrue(ScalingReport.holds(good, base));
        assertTrue(!ScalingReport.holds(blocklistLike, base), "held-out synonyms that bring the mark back: not erased");
        assertTrue(!ScalingReport.holds(broken, base), "benign fidelity below 0.95 x base");
        Map<Integer, Map<String, Scores>> byN = Map.of(1, Map.of("base", base, "m", good), 7, Map.of("base", base, "m", good), 14, Map.of("base", base, "m", broken));
        assertEquals(7, ScalingReport.breakingPoint("m", byN));
        assertEquals(7, ScalingReport.holdsThroughout("m", byN));
        // A dip: fails at 7, holds again at 14. N* is 14; it holds throughout only up to 1.
        Map<Integer, Map<String, Scores>> dip = Map.of(1, Map.of("base", base, "m", good), 7, Map.of("base", base, "m", broken), 14, Map.of("base", base, "m", good));
        assertEquals(14, ScalingReport.breakingPoint("m", dip));
        assertEquals(1, ScalingReport.holdsThroughout("m", dip));
        assertEquals(0, ScalingReport.holdsThroughout("m", Map.of(1, Map.of("base", base, "m", broken), 7, Map.of("base", base, "m", good))));
    }

    private static Scores scores(double ip, double held, double benign, double twin) {
        return new Scores(ip, Map.of(), held, Map.of(), Double.NaN, Map.of(), 1, twin, Map.of(), benign, 0, 1, 1, Map.of(), Map.of(), 1);
    }
}
