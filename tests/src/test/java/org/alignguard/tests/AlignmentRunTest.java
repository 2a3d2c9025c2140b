package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.data.DataFiles;
import org.alignguard.data.PreferenceSet;
import org.alignguard.diffusion.model.TextEncoderConfig;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.dpo.DiffusionDpoLoss;
import org.alignguard.lora.AdapterLayer;
import org.alignguard.merge.MergeMethod;
import org.alignguard.lora.LoraConfig;
import org.alignguard.lora.LoraFile;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.tensor.Tensor;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.NoiseSchedule;
import org.alignguard.diffusion.schedule.Prediction;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.StepLog;
import org.alignguard.pipeline.ExpertRun;
import org.alignguard.pipeline.MainJob;
import org.alignguard.pipeline.RunConfig;
import org.alignguard.tensor.Rng;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole main job on a tiny UNet, in seconds: data, seven experts, All-single, every merge,
 * evaluation, report. The DPO loss falls, and the report's HTML parses with every link resolving.
 */
class AlignmentRunTest {
    @TempDir Path dir;

    static Path tinyModel(Path dir) throws Exception {
        World world = World.load();
        Tokenizer tok = Tokenizer.forWorld(world);
        UNetConfig uc = new UNetConfig(16, 3, 8, new int[] {1, 2}, 1, new boolean[] {false, true}, 2, 16, 4, 0f, true, 1, true, false);
        TextToImageModel m = TextToImageModel.create(tok, new TextEncoderConfig(tok.size(), 24, 16, 1, 2), uc,
                TextToImageModel.scheduleFor(NoiseSchedule.Kind.COSINE, 1000, 0.5), Prediction.V, new Rng(3));
        Path model = dir.resolve("tiny.safetensors");
        m.save(model, null, Map.of("seed", "3"));
        return model;
    }

    /** The DPO loss, with the reference = the model with its adapters off, at timesteps 100, 300, ..., 900. */
    static double fixedBatchLoss(TextToImageModel m, PreferenceSet s, float beta) {
        double total = 0;
        DDPMScheduler fwd = new DDPMScheduler(m.schedule);
        int n = s.size();
        List<String> prompts = new java.util.ArrayList<>();
        for (var p : s.pairs()) prompts.add(p.unsafePrompt());
        prompts.addAll(List.copyOf(prompts));
        Tensor x0 = Tensor.concat(List.of(s.winners(), s.losers()), 0);
        Rng rng = new Rng(9);
        for (int t = 100; t < 1000; t += 200) {
            Tensor e = Tensor.randn(rng, s.winners().shape());
            Tensor eps = Tensor.concat(List.of(e, e), 0);
            int[] ts = new int[2 * n];
            java.util.Arrays.fill(ts, t);
            Tensor xt = fwd.addNoise(x0, eps, ts), y = m.prediction.target(fwd, x0, eps, ts);
            try (var scope = Grad.noGrad()) {
                Variable ctx = m.encode(prompts);
                Variable policy = m.unet.forward(Variable.constant(xt), ts, ctx);
                var adapters = LoraNetwork.targets(m.unet, LoraConfig.ATTENTION_TARGETS).values().stream().flatMap(l -> l.adapters().stream())
                        .filter(a -> a instanceof AdapterLayer).map(a -> (AdapterLayer) a).toList();
                adapters.forEach(a -> a.setEnabled(false));
                Tensor ref = m.unet.forward(Variable.constant(xt), ts, ctx).data();
                adapters.forEach(a -> a.setEnabled(true));
                total += DiffusionDpoLoss.compute(policy, ref, y, beta).loss().item();
            }
        }
        return total / 5;
    }

    @Test
    void tinyRunLowersTheDpoLossAndWritesAReportWhoseLinksResolve() throws Exception {
        Path model = tinyModel(dir);
        Path out = dir.resolve("run");
        Generator.Settings fast = new Generator.Settings(2, 3f, Generator.Sampler.DDIM);
        DpoConfig dpo = new DpoConfig(500f, 2e-2f, 0, 12, 4, 1f, 0f, 2, 0f, 1, 6, 6);
        // The tiny UNet is untrained, so the classifier confirms no marks: keep every candidate.
        RunConfig rc = new RunConfig(out, model, ShippedModelTest.MODELS.resolve("classifier.safetensors"), 4, fast, dpo, 1, 2, fast, 1, 0, false, 1, java.util.List.of(), false);
        Path html = new MainJob(rc, ProgressListener.NONE).run(Map.of("command", "test"));

        List<StepLog> log = ExpertRun.readLog(ExpertRun.logPath(out.resolve("experts/violence.safetensors")));
        assertEquals(12, log.size());
        // On a fixed batch (every violence pair, fixed timesteps and noise) the trained expert's DPO
        // loss is below log 2, the loss of the untrained LoRA (policy = reference).
        TextToImageModel m = TextToImageModel.load(model).model();
        PreferenceSet pairs = DataFiles.read(out.resolve("data"), World.load()).category("violence");
        double before = fixedBatchLoss(m, pairs, 500f);
        LoraNetwork lora = LoraFile.attach(m, LoraFile.read(out.resolve("experts/violence.safetensors")), 1f).network();
        double after = fixedBatchLoss(m, pairs, 500f);
        lora.detach();
        assertEquals(Math.log(2), before, 1e-6);
        assertTrue(after < before - 0.01, "the DPO loss falls: " + before + " -> " + after);
        assertEquals(7 * 12, ExpertRun.readLog(ExpertRun.logPath(out.resolve("experts/all-single.safetensors"))).size(), "All-single: the experts' steps together");

        Document doc = Jsoup.parse(html.toFile(), "UTF-8");
        List<Element> links = doc.select("img[src], a[href]");
        int models = 1 + 7 + 1 + MergeMethod.values().length; // base, 7 experts, All-single, every merge
        assertTrue(doc.select("img[src]").size() >= models + 6, "a grid per model and the plots");
        for (Element e : links) {
            String ref = e.hasAttr("src") ? e.attr("src") : e.attr("href");
            assertFalse(ref.startsWith("/") || ref.contains("://"), "relative links only: " + ref);
            assertTrue(Files.isRegularFile(html.getParent().resolve(ref)), "broken link " + ref);
        }
        assertEquals(models + 1, doc.select("table").get(0).select("tr").size(), "the results table: a header and a row per model");
        for (String f : List.of("results.csv", "results.md", "plots/expert_matrix.png", "plots/dpo_loss.png"))
            assertTrue(Files.size(html.getParent().resolve(f)) > 0, f);
        for (MergeMethod merge : MergeMethod.values()) assertTrue(Files.isRegularFile(out.resolve("merged/" + merge.cliName() + ".safetensors")), merge.cliName());

        // The run draws its data and scores its models side by side in lanes (two on two cores), and
        // trains its experts one at a time, each step's passes one after the other; trained here on
        // this thread, each step runs its reference pass beside its policy pass instead. None of it
        // changes a bit: the violence expert trained again here equals the run's.
        TextToImageModel alone = TextToImageModel.load(model).model();
        PreferenceSet data = DataFiles.read(out.resolve("data"), World.load());
        Path again = dir.resolve("violence-alone.safetensors");
        new ExpertRun(alone, data, dpo).train(data.category("violence"), again, false, Map.of(), ProgressListener.NONE, "again", null).lora().detach();
        Map<String, Tensor> inLane = LoraFile.read(out.resolve("experts/violence.safetensors")).tensors(), onItsOwn = LoraFile.read(again).tensors();
        assertEquals(onItsOwn.keySet(), inLane.keySet());
        for (String k : onItsOwn.keySet()) assertArrayEquals(onItsOwn.get(k).toArray(), inLane.get(k).toArray(), k);

        // The data, drawn again here by one builder on every thread, equal the run's (drawn category by category in lanes).
        World world = World.load();
        var clf = org.alignguard.diffusion.train.ClassifierTrainer.load(ShippedModelTest.MODELS.resolve("classifier.safetensors"), world);
        PreferenceSet drawn = new org.alignguard.data.PreferenceDataBuilder(alone, clf, world).build(new org.alignguard.data.PreferenceDataBuilder.Config(
                4, new org.alignguard.data.PromptWriter(world).categoryNames(), 0, fast, 3.0, false), ProgressListener.NONE).set();
        assertEquals(drawn.pairs(), data.pairs());
        assertArrayEquals(drawn.winners().toArray(), data.winners().toArray());
        assertArrayEquals(drawn.losers().toArray(), data.losers().toArray());

        // And so do the scores: the violence expert's, scored again here on its own.
        var writer = new org.alignguard.data.PromptWriter(world);
        var cats = writer.categoryNames();
        var split = org.alignguard.data.EvalSplit.TEST;
        var board = new org.alignguard.pipeline.Scoreboard(alone, new org.alignguard.eval.ImageScorer(clf), org.alignguard.eval.EvalSets.of(writer, cats, 1, 2, split),
                org.alignguard.eval.OutOfGrammar.sets(world, cats, 1, 3, split), fast, split.seed(), dir.resolve("eval-alone"));
        board.score(org.alignguard.pipeline.Variants.file("violence", out.resolve("experts/violence.safetensors")), ProgressListener.NONE);
        assertEquals(Files.readString(out.resolve("eval/violence.json")), Files.readString(dir.resolve("eval-alone/violence.json")));
        assertEquals(Files.readString(out.resolve("eval/violence.csv")), Files.readString(dir.resolve("eval-alone/violence.csv")));

        // A second call finds every stage done and only rewrites the report.
        long written = Files.getLastModifiedTime(out.resolve("experts/violence.safetensors")).toMillis();
        new MainJob(rc, ProgressListener.NONE).run(Map.of("command", "test"));
        assertEquals(written, Files.getLastModifiedTime(out.resolve("experts/violence.safetensors")).toMillis(), "finished stages are not redone");
    }

    /** evaluate's batches drawn side by side on two copies of the model give the images one model draws alone. */
    @Test
    void batchesDrawnInLanesAreTheImagesOfOneModel() throws Exception {
        Path model = tinyModel(dir);
        World world = World.load();
        var writer = new org.alignguard.data.PromptWriter(world);
        var prompts = org.alignguard.eval.EvalSets.of(writer, writer.categoryNames(), 5, 20, org.alignguard.data.EvalSplit.VALIDATION);
        assertTrue(prompts.size() > 2 * org.alignguard.eval.ImageScorer.BATCH, "three batches or more: " + prompts.size());
        var clf = org.alignguard.diffusion.train.ClassifierTrainer.load(ShippedModelTest.MODELS.resolve("classifier.safetensors"), world);
        Generator.Settings fast = new Generator.Settings(2, 3f, Generator.Sampler.DDIM);
        var scorer = new org.alignguard.eval.ImageScorer(clf);
        TextToImageModel one = TextToImageModel.load(model).model(), two = TextToImageModel.load(model).model();
        var alone = scorer.run(one, prompts, fast, 11, ProgressListener.NONE, "alone");
        var lanes = org.alignguard.eval.ImageScorer.run(List.of(new org.alignguard.eval.ImageScorer.Lane(one, scorer),
                new org.alignguard.eval.ImageScorer.Lane(two, new org.alignguard.eval.ImageScorer(clf))), prompts, fast, 11,
                org.alignguard.eval.Sampling.PLAIN, ProgressListener.NONE, "lanes");
        assertEquals(alone.size(), lanes.size());
        for (int i = 0; i < alone.size(); i++) {
            assertEquals(alone.get(i).prompt(), lanes.get(i).prompt(), "row " + i);
            assertEquals(alone.get(i).seed(), lanes.get(i).seed(), "row " + i);
            assertArrayEquals(alone.get(i).features(), lanes.get(i).features(), "row " + i);
        }
    }
}
