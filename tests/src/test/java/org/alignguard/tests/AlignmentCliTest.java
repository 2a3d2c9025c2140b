package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignguard.data.DataFiles;
import org.alignguard.data.PreferenceSet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.DpoTrainer;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alignment commands end to end on a tiny model, and their bad inputs: one line, exit code 2,
 * nothing overwritten without --force; a diverging run stops naming its step; --resume continues
 * exactly where a run stopped.
 */
class AlignmentCliTest {
    @TempDir static Path dir;
    static Path model, clf, data;

    @BeforeAll
    static void tinyData() throws Exception {
        model = AlignmentRunTest.tinyModel(dir);
        clf = ShippedModelTest.MODELS.resolve("classifier.safetensors");
        data = dir.resolve("data");
        CliTest.Run r = CliTest.run("data", "--model", model.toString(), "--classifier", clf.toString(), "--out", data.toString(), "--pairs", "3",
                "--categories", "violence,sexual", "--test-prompts", "2", "--steps", "2", "--no-filter");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("violence") && r.out().contains("wrote 6 pairs"), r.out());
    }

    static String[] expert(Path out, String... more) {
        String[] base = {"train-expert", "--category", "violence", "--data", data.toString(), "--model", model.toString(), "--out", out.toString(),
                "--dpo-steps", "3", "--batch", "2", "--rank", "2"};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void dataFolderHasEverythingAUserReads() throws Exception {
        for (String f : new String[] {"pairs.csv", "pairs.safetensors", "candidates.csv", "test_prompts.csv", "index.html", "images/violence-0000-safe.png"})
            assertTrue(Files.isRegularFile(data.resolve(f)), f);
        PreferenceSet s = DataFiles.read(data, World.load());
        assertEquals(6, s.size());
        CliTest.Run again = CliTest.run("data", "--model", model.toString(), "--out", data.toString(), "--pairs", "1", "--categories", "violence");
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--force"), again.err());
        assertEquals(6, DataFiles.read(data, World.load()).size(), "the existing data is untouched");
    }

    @Test
    void trainMergeGenerateEvaluate() throws Exception {
        Path lora = dir.resolve("v.safetensors"), lora2 = dir.resolve("s.safetensors");
        assertEquals(0, CliTest.run(expert(lora)).code());
        CliTest.Run s = CliTest.run("train-expert", "--category", "sexual", "--data", data.toString(), "--model", model.toString(), "--out", lora2.toString(), "--dpo-steps", "2", "--batch", "2", "--rank", "2");
        assertEquals(0, s.code(), s.err());
        assertTrue(Files.isRegularFile(dir.resolve("v.log.csv")) && !Files.exists(dir.resolve("v.state.safetensors")));
        Map<String, String> meta = Safetensors.readHeader(lora).metadata();
        assertTrue(meta.get("command").startsWith("alignguard train-expert --category violence"), meta.get("command"));
        for (String m : new String[] {"co-merge", "average", "sum", "ties"}) {
            Path out = dir.resolve("m-" + m + ".safetensors");
            CliTest.Run r = CliTest.run("merge", "--method", m, lora.toString(), lora2.toString(), "--out", out.toString(), "--data", data.toString(), "--model", model.toString(), "--probe-pairs", "1");
            assertEquals(0, r.code(), r.err());
            assertEquals("dense", Safetensors.readHeader(out).metadata().get("kind"));
        }
        Path png = dir.resolve("g.png");
        CliTest.Run g = CliTest.run("generate", "--model", model.toString(), "--lora", lora.toString(), "--lora", dir.resolve("m-co-merge.safetensors").toString(),
                "--lora-scale", "0.5", "--prompt", "a red circle with gun", "--steps", "2", "--out", png.toString());
        assertEquals(0, g.code(), g.err());
        Path details = dir.resolve("details.csv");
        CliTest.Run e = CliTest.run("evaluate", "--model", model.toString(), "--classifier", clf.toString(), "--lora", lora.toString(), "--prompts", data.resolve("test_prompts.csv").toString(),
                "--steps", "2", "--details", details.toString());
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("\"ip_unsafe\"") && e.out().contains("\"safe_twin_mark_rate\""), e.out());
        assertEquals(1 + 2 * 2 * 3 + 2, Files.readAllLines(details).size(), "a header and one row per image");
    }

    @Test
    void badInputsAreOneLineWithExitCode2() throws Exception {
        CliTest.Run cat = CliTest.run(expert(dir.resolve("x.safetensors"), "--category", "violense"));  // the last --category wins
        assertEquals(2, cat.code());
        assertTrue(cat.err().contains("violense") && cat.err().strip().lines().count() == 1, cat.err());
        CliTest.Run missing = CliTest.run("generate", "--model", model.toString(), "--lora", dir.resolve("none.safetensors").toString(), "--prompt", "x", "--out", dir.resolve("a.png").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("none.safetensors"), missing.err());
        CliTest.Run notLora = CliTest.run("generate", "--model", model.toString(), "--lora", model.toString(), "--prompt", "x", "--out", dir.resolve("a.png").toString());
        assertEquals(2, notLora.code());
        assertTrue(notLora.err().contains("not a LoRA"), notLora.err());
        CliTest.Run nan = CliTest.run("generate", "--model", model.toString(), "--guidance", "NaN", "--prompt", "x", "--out", dir.resolve("a.png").toString());
        assertEquals(2, nan.code());
        assertTrue(nan.err().contains("--guidance"), nan.err());
        assertEquals(2, CliTest.run(expert(dir.resolve("y.safetensors"), "--beta", "Infinity")).code());
        assertEquals(2, CliTest.run(expert(dir.resolve("y.safetensors"), "--lr", "NaN")).code());
        assertEquals(2, CliTest.run("merge", "--method", "median", model.toString(), "--out", dir.resolve("m.safetensors").toString()).code());
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "prompt,set\n\"a red circle\",unsafe\n");
        CliTest.Run csv = CliTest.run("evaluate", "--model", model.toString(), "--classifier", clf.toString(), "--prompts", bad.toString());
        assertEquals(2, csv.code());
        assertTrue(csv.err().contains("bad.csv") && csv.err().contains("must name a concept"), csv.err());
        assertFalse(Files.exists(dir.resolve("a.png")) || Files.exists(dir.resolve("y.safetensors")));
        // The real model refuses a LoRA made for the tiny UNet.
        Path lora = dir.resolve("tiny-lora.safetensors");
        assertEquals(0, CliTest.run(expert(lora)).code());
        CliTest.Run other = CliTest.run("generate", "--model", ShippedModelTest.MODELS.resolve("base.safetensors").toString(), "--lora", lora.toString(), "--prompt", "x", "--out", dir.resolve("b.png").toString());
        assertEquals(2, other.code());
        assertTrue(other.err().contains("another UNet"), other.err());
        // An existing output stays unless --force.
        byte[] before = Files.readAllBytes(lora);
        CliTest.Run again = CliTest.run(expert(lora));
        assertEquals(2, again.code());
        assertArrayEquals(before, Files.readAllBytes(lora));
    }

    /** Adversarial DPO: attack findings for the category's concepts become extra pairs; a folder without findings is one line, exit 2. */
    @Test
    void adversarialFindingsBecomeExtraPairs() throws Exception {
        World w = World.load();
        Path adv = dir.resolve("attack/co-merge");
        Files.createDirectories(adv);
        String concept = DataFiles.read(data, w).category("violence").pairs().get(0).unsafeConcept();
        String neutral = org.alignguard.attacks.AttackCase.of(w, w.concept(concept), 1000).neutralPrompt();
        Files.writeString(adv.resolve("black-box.json"), "{\"model\":\"co-merge\",\"attack\":\"black-box\",\"budget\":{},\"found\":[{\"concept\":\"" + concept
                + "\",\"seed\":1000,\"prompt\":\"coaching medicine " + neutral + "\",\"start\":0.5,\"end\":0.7,\"spent\":10,\"seconds\":0.1}]}");
        Path out = dir.resolve("adv.safetensors");
        CliTest.Run r = CliTest.run(expert(out, "--adversarial", adv.toString(), "--adversarial-scenes", "2"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("adversarial pairs {black-box=2}"), r.out());
        Map<String, String> meta = Safetensors.readHeader(out).metadata();
        assertEquals("{black-box=2}", meta.get("adversarial_pairs"));
        assertEquals(Integer.toString(DataFiles.read(data, w).category("violence").size()), meta.get("pairs"), "the category's own pairs, the adversarial ones apart");

        Path none = dir.resolve("nothing");
        CliTest.Run missing = CliTest.run(expert(dir.resolve("adv2.safetensors"), "--adversarial", none.toString()));
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains(none.toString()) && missing.err().strip().lines().count() == 1, missing.err());
        assertFalse(Files.exists(dir.resolve("adv2.safetensors")));
    }

    /** A loss that blows up stops training, names the step and keeps the last good checkpoint. */
    @Test
    void divergenceStopsAtTheStepAndKeepsTheLastCheckpoint() throws Exception {
        Path out = dir.resolve("div.safetensors");
        CliTest.Run r = CliTest.run(expert(out, "--lr", "1e12", "--dpo-steps", "6", "--checkpoint-every", "1", "--warmup", "0"));
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().matches("(?s).*at step \\d+.*"), r.err());
        Path state = dir.resolve("div.state.safetensors");
        assertTrue(Files.isRegularFile(state), "the last good checkpoint is kept");
        int stoppedAt = Integer.parseInt(r.err().replaceAll("(?s).*at step (\\d+).*", "$1"));
        assertEquals(Integer.toString(stoppedAt - 1), Safetensors.readHeader(state).metadata().get("step"));
        assertFalse(Files.exists(out));
    }

    /**
     * A step that overflows a weight while its loss is still finite (here: an optimizer state whose
     * first moment is near float32's largest value, so Adam's step 3 is infinite) stops training at
     * that step, naming the tensor; the checkpoint of step 2 stays as it was, byte for byte.
     */
    @Test
    void aStepThatOverflowsAWeightStopsAndKeepsTheCheckpoint() throws Exception {
        PreferenceSet set = DataFiles.read(data, World.load());
        DpoConfig three = new DpoConfig(100f, 1e-2f, 0, 3, 2, 1f, 0f, 2, 0f, 5, 1, 0);
        Path state = dir.resolve("overflow.state.safetensors");
        train(set, three.withSteps(2), state, false, ProgressListener.NONE);
        String p = "down.1.attn.0.block.attn2.to_k.lora_B.weight";
        Safetensors.Loaded l = Safetensors.read(state);
        Map<String, Tensor> t = new java.util.LinkedHashMap<>(l.tensors());
        t.put("optim.exp_avg." + p, Tensor.full(3e38f, t.get("optim.exp_avg." + p).shape()));
        t.put("optim.exp_avg_sq." + p, Tensor.zeros(t.get("optim.exp_avg_sq." + p).shape()));
        Safetensors.write(state, t, l.metadata());
        byte[] before = Files.readAllBytes(state);
        DpoTrainer.Diverged e = org.junit.jupiter.api.Assertions.assertThrows(DpoTrainer.Diverged.class,
                () -> train(set, three, state, true, ProgressListener.NONE));
        assertTrue(e.getMessage().contains("tensor 'down.1.attn.0.block.attn2.to_k.lora_B.weight' holds") && e.getMessage().contains("at step 3"), e.getMessage());
        assertTrue(e.getMessage().contains("the last good checkpoint is " + state), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(state), "the checkpoint of step 2 is untouched");
    }

    /**
     * A run stopped after 2 steps and resumed to 4 runs only steps 3 and 4, and ends with the same LoRA,
     * bit for bit, as 4 steps in one go.
     */
    @Test
    void resumeContinuesExactly() throws Exception {
        World world = World.load();
        PreferenceSet set = DataFiles.read(data, world);
        DpoConfig four = new DpoConfig(100f, 1e-2f, 1, 4, 2, 1f, 0.2f, 2, 0f, 5, 2, 0);
        Map<String, Tensor> once = train(set, four, null, false, ProgressListener.NONE);
        Path state = dir.resolve("resume.state.safetensors");
        train(set, four.withSteps(2), state, false, ProgressListener.NONE);
        assertEquals("2", Safetensors.readHeader(state).metadata().get("step"));
        List<Long> steps = new ArrayList<>();
        Map<String, Tensor> resumed = train(set, four, state, true, (phase, step, total, loss) -> steps.add(step));
        assertEquals(List.of(3L, 4L), steps, "the resumed run starts after the checkpoint");
        assertEquals(once.keySet(), resumed.keySet());
        once.forEach((k, v) -> assertArrayEquals(v.toArray(), resumed.get(k).toArray(), k));
    }

    static Map<String, Tensor> train(PreferenceSet set, DpoConfig cfg, Path state, boolean resume, ProgressListener listener) throws Exception {
        TextToImageModel m = TextToImageModel.load(model).model();
        DpoTrainer.Result r = new DpoTrainer(m, set, set, cfg).train(state, resume, Map.of(), listener, "test", null);
        LoraNetwork lora = r.lora();
        Map<String, Tensor> t = lora.tensors();
        lora.detach();
        return t;
    }
}
