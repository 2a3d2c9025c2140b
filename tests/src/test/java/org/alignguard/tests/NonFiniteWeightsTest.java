package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.baselines.BaselineFile;
import org.alignguard.data.DataFiles;
import org.alignguard.data.PreferenceSet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.train.DiffusionTrainer;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.DpoTrainer;
import org.alignguard.lora.LoraFile;
import org.alignguard.nn.Linear;
import org.alignguard.optim.Checkpoint;
import org.alignguard.tensor.FiniteCheck;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import org.alignguard.tensor.io.SafetensorsException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every load of weights refuses a NaN or infinity in any tensor with one line that names the file
 * and the tensor: the base model and a pretraining state, the classifier, a LoRA and a dense merge, a
 * baseline, the preference images, DPO and pretraining training states, and plain checkpoints. From
 * the command line that is exit code 2, as for a LoRA whose metadata is bad. Also prints what the
 * check costs next to loading the shipped model.
 */
class NonFiniteWeightsTest {
    @TempDir static Path dir;
    static Path model, data;
    static final Path MODELS = ShippedModelTest.MODELS;
    private static int made;

    @BeforeAll
    static void tinyModelAndData() throws Exception {
        model = AlignmentRunTest.tinyModel(dir);
        data = dir.resolve("data");
        CliTest.Run r = CliTest.run("data", "--model", model.toString(), "--classifier", MODELS.resolve("classifier.safetensors").toString(),
                "--out", data.toString(), "--pairs", "2", "--categories", "violence", "--test-prompts", "1", "--steps", "2", "--no-filter");
        assertEquals(0, r.code(), r.err());
    }

    /** A copy of {@code file} at {@code out} whose tensor {@code name} holds {@code bad} as its last element. */
    static Path poison(Path file, String name, float bad, Path out) throws IOException {
        Safetensors.Loaded l = Safetensors.read(file);
        Map<String, Tensor> t = new LinkedHashMap<>(l.tensors());
        Tensor w = t.get(name);
        assertNotNull(w, name + " in " + file);
        float[] v = w.toArray();
        v[v.length - 1] = bad;
        t.put(name, Tensor.of(v, w.shape()));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Safetensors.write(out, t, l.metadata());
        return out;
    }

    static Path poison(Path file, String name, float bad) throws IOException {
        return poison(file, name, bad, dir.resolve("poisoned-" + made++ + "-" + file.getFileName()));
    }

    /** The first tensor of {@code file} whose name starts with {@code prefix}. */
    static String first(Path file, String prefix) throws IOException {
        return Safetensors.readHeader(file).tensors().stream().map(Safetensors.TensorInfo::name).filter(n -> n.startsWith(prefix)).findFirst().orElseThrow();
    }

    interface Load {
        void from(Path file) throws Exception;
    }

    static void assertRefused(Path file, String tensor, Load load) {
        String m = assertThrows(SafetensorsException.class, () -> load.from(file)).getMessage();
        assertTrue(m.startsWith(file + ": tensor '" + tensor + "' holds "), m);
        assertFalse(m.contains("\n"), m);
    }

    @Test
    void modelsClassifierLorasBaselinesAndData() throws Exception {
        String w = first(model, "unet.");
        assertRefused(poison(model, w, Float.NaN), w, TextToImageModel::load);
        Path clf = MODELS.resolve("classifier.safetensors");
        assertRefused(poison(clf, "convs.0.weight", Float.POSITIVE_INFINITY), "convs.0.weight", f -> ClassifierTrainer.load(f, World.load()));
        for (Path lora : List.of(MODELS.resolve("experts/violence.safetensors"), MODELS.resolve("co-merge.safetensors"))) {
            String t = first(lora, "unet.");
            assertRefused(poison(lora, t, Float.NEGATIVE_INFINITY), t, LoraFile::read);
        }
        Path baseline = dir.resolve("uce.safetensors");
        Safetensors.write(baseline, Map.of("unet.mid.attn.0.block.attn2.to_k.weight", Tensor.of(new float[] {1, Float.NaN}, 1, 2)),
                Map.of("format", BaselineFile.FORMAT, "method", "uce", "erased", "[\"weapon\"]"));
        assertRefused(baseline, "unet.mid.attn.0.block.attn2.to_k.weight", BaselineFile::read);
        Path pairs = dir.resolve("bad-data");
        Files.createDirectories(pairs);
        Files.copy(data.resolve("pairs.csv"), pairs.resolve("pairs.csv"));
        poison(data.resolve("pairs.safetensors"), "losers", Float.NaN, pairs.resolve("pairs.safetensors"));
        assertRefused(pairs.resolve("pairs.safetensors"), "losers", f -> DataFiles.read(pairs, World.load()));
    }

    @Test
    void trainingStatesAndCheckpoints() throws Exception {
        // Pretraining: one step writes a state; the state and its EMA weights are both loaders.
        TextToImageModel m = TextToImageModel.load(model).model();
        Path pre = dir.resolve("pretrain-state.safetensors");
        var cfg = new DiffusionTrainer.Config(1, 2, 1e-3f, 0, 0.1f, 0.99f, 1f, 0f, 0f, 1, 1);
        var more = new DiffusionTrainer.Config(2, 2, 1e-3f, 0, 0.1f, 0.99f, 1f, 0f, 0f, 1, 1);
        new DiffusionTrainer(World.load(), m).train(cfg, pre, false, Map.of(), ProgressListener.NONE);
        String moment = first(pre, "optim.");
        assertRefused(poison(pre, moment, Float.NaN), moment, f -> new DiffusionTrainer(World.load(), TextToImageModel.load(model).model())
                .train(more, f, true, Map.of(), ProgressListener.NONE));
        String ema = first(pre, "ema.unet.");
        assertRefused(poison(pre, ema, Float.NaN), ema, TextToImageModel::load);

        // DPO: two steps leave a state; resuming from a poisoned copy is refused.
        PreferenceSet set = DataFiles.read(data, World.load());
        DpoConfig dpo = new DpoConfig(100f, 1e-2f, 0, 2, 2, 1f, 0f, 2, 0f, 5, 1, 0);
        Path state = dir.resolve("expert.state.safetensors");
        new DpoTrainer(TextToImageModel.load(model).model(), set, set, dpo).train(state, false, Map.of(), ProgressListener.NONE, "test", null).lora().detach();
        String factor = first(state, "lora.");
        assertRefused(poison(state, factor, Float.POSITIVE_INFINITY), factor, f -> new DpoTrainer(TextToImageModel.load(model).model(), set, set, dpo.withSteps(3))
                .train(f, true, Map.of(), ProgressListener.NONE, "test", null));

        // Plain checkpoints of any module.
        Linear lin = new Linear(4, 3, true, new Rng(1));
        Path ckpt = dir.resolve("ckpt.safetensors"), plain = dir.resolve("linear.safetensors");
        Checkpoint.save(ckpt, lin, null, Map.of());
        lin.save(plain, Map.of());
        assertRefused(poison(ckpt, "model.weight", Float.NaN), "model.weight", f -> Checkpoint.load(f, lin, null));
        assertRefused(poison(plain, "bias", Float.NaN), "bias", lin::load);
    }

    /** One line naming the file and the problem, exit code 2, no stack trace, nothing written. */
    static void assertExit2(String expected, String... args) {
        CliTest.Run r = CliTest.run(args);
        assertEquals(2, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(expected), "'" + expected + "' in: " + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("http") || r.err().contains("com.google"), r.err());
    }

    @Test
    void theCommandLineRefusesBadWeightsAndLoraMetadataWithExitCode2() throws Exception {
        Path png = dir.resolve("never.png");
        String w = first(model, "unet.");
        Path badModel = poison(model, w, Float.NaN);
        assertExit2(badModel + ": tensor '" + w + "' holds NaN at", "generate", "--model", badModel.toString(), "--prompt", "x", "--out", png.toString());

        Path base = MODELS.resolve("base.safetensors"), expert = MODELS.resolve("experts/violence.safetensors");
        String t = first(expert, "unet.");
        Path badLora = poison(expert, t, Float.POSITIVE_INFINITY);
        assertExit2("tensor '" + t + "' holds Infinity", "generate", "--model", base.toString(), "--lora", badLora.toString(), "--prompt", "x", "--out", png.toString());
        Safetensors.Loaded good = Safetensors.read(expert);
        Map<String, String> edits = new LinkedHashMap<>();
        for (String a : new String[] {"NaN", "Infinity", "0", "-1", "1e30"}) edits.put("alpha=" + a, "alpha");
        edits.put("unet_config=" + good.metadata().get("unet_config").substring(0, 40), "the LoRA's unet_config metadata is not a valid UNet config (");
        edits.put("kind=lokr", "unknown kind 'lokr'");
        for (var e : edits.entrySet()) {
            String[] kv = e.getKey().split("=", 2);
            Map<String, String> meta = new LinkedHashMap<>(good.metadata());
            meta.put(kv[0], kv[1]);
            Path f = dir.resolve("meta-" + made++ + ".safetensors");
            Safetensors.write(f, good.tensors(), meta);
            assertExit2(e.getValue(), "generate", "--model", base.toString(), "--lora", f.toString(), "--prompt", "x", "--out", png.toString());
        }
        assertFalse(Files.exists(png));

        // A poisoned training state met by --resume: a bad input (2), not a crash (1).
        Path out = dir.resolve("resumed.safetensors"), state = dir.resolve("resumed.state.safetensors");
        Safetensors.write(state, Map.of("lora.x", Tensor.of(new float[] {Float.NaN}, 1)), Map.of("format", "alignguard-dpo-state-1"));
        assertExit2(state + ": tensor 'lora.x' holds NaN", "train-expert", "--category", "violence", "--data", data.toString(), "--model", model.toString(),
                "--out", out.toString(), "--dpo-steps", "2", "--batch", "2", "--rank", "2", "--resume");
    }

    /**
     * Not a timed test (DESIGN: benchmarks, not timed tests): prints what the check costs next to
     * loading the shipped model, the best of several once warm. Two figures: readFinite minus read
     * (the real cost, but the difference of two noisy times), and a separate pass over every weight
     * (an upper bound: readFinite checks each chunk while it is still in cache). The issue asks for
     * less than 5% of the load.
     */
    @Test
    void printsWhatTheCheckCostsNextToALoad() throws Exception {
        Path base = MODELS.resolve("base.safetensors");
        Map<String, Tensor> weights = Safetensors.read(base).tensors();
        long read = Long.MAX_VALUE, finite = Long.MAX_VALUE, load = Long.MAX_VALUE, pass = Long.MAX_VALUE;
        for (int i = 0; i < 60; i++) {   // the first 20 only warm up (the JIT compiles the loops)
            long t0 = System.nanoTime();
            Safetensors.read(base);
            long t1 = System.nanoTime();
            Safetensors.readFinite(base);
            long t2 = System.nanoTime();
            TextToImageModel.load(base);
            long t3 = System.nanoTime();
            assertEquals(null, FiniteCheck.find(weights), "the shipped model is finite");
            long t4 = System.nanoTime();
            if (i < 20) continue;
            read = Math.min(read, t1 - t0);
            finite = Math.min(finite, t2 - t1);
            load = Math.min(load, t3 - t2);
            pass = Math.min(pass, t4 - t3);
        }
        long diff = Math.max(0, finite - read);
        System.out.printf(java.util.Locale.ROOT, "finite check of %s: readFinite - read = %.2f ms (%.1f%%), a separate pass %.2f ms (%.1f%%), of a %.1f ms model load%n",
                base.getFileName(), diff / 1e6, 100.0 * diff / load, pass / 1e6, 100.0 * pass / load, load / 1e6);
    }
}
