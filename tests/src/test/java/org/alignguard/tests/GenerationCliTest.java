package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.alignguard.diffusion.model.TextEncoderConfig;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.NoiseSchedule;
import org.alignguard.diffusion.schedule.Prediction;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * generate and evaluate end to end on a tiny untrained model: outputs, reproducibility, and the bad
 * inputs the CLI must refuse (exit code 2, one line, nothing overwritten).
 */
class GenerationCliTest {
    @TempDir static Path dir;
    static Path model, classifier;

    @BeforeAll
    static void tinyModel() throws Exception {
        World world = World.load();
        Tokenizer tok = Tokenizer.forWorld(world);
        UNetConfig uc = new UNetConfig(16, 3, 8, new int[] {1, 2}, 1, new boolean[] {false, true}, 2, 16, 4, 0f, true, 1, true, true);
        TextToImageModel m = TextToImageModel.create(tok, new TextEncoderConfig(tok.size(), 24, 16, 1, 2), uc,
                TextToImageModel.scheduleFor(NoiseSchedule.Kind.COSINE, 1000, 0.5), Prediction.V, new Rng(3));
        model = dir.resolve("tiny.safetensors");
        m.save(model, null, Map.of("seed", "3"));
        ClassifierTrainer ct = new ClassifierTrainer(world, 16);
        classifier = dir.resolve("clf.safetensors");
        ClassifierTrainer.save(ct.train(new ClassifierTrainer.Config(2, 8, 1e-3f, 8, 0f, 1), org.alignguard.diffusion.train.ProgressListener.NONE), classifier, Map.of());
    }

    /** The checkpoint remembers the prediction type and the schedule's SNR shift. */
    @Test
    void predictionAndScheduleShiftRoundTrip() throws Exception {
        TextToImageModel m = TextToImageModel.load(model).model();
        assertEquals(Prediction.V, m.prediction);
        assertEquals(0.5, m.schedule.snrShift);
        assertEquals(NoiseSchedule.Kind.COSINE, m.schedule.kind);
        assertTrue(m.unet.config.coordChannels());
    }

    /** A pretraining state file loads as the EMA model the trainer would ship at that step. */
    @Test
    void aTrainingStateLoadsWithItsEmaWeights() throws Exception {
        TextToImageModel m = TextToImageModel.load(model).model();
        Path state = dir.resolve("state.safetensors");
        var cfg = new org.alignguard.diffusion.train.DiffusionTrainer.Config(2, 2, 1e-2f, 1, 0f, 0.5f, 1f, 0f, 0.1f, 1, 9);
        Map<String, org.alignguard.tensor.Tensor> ema = new org.alignguard.diffusion.train.DiffusionTrainer(World.load(), m)
                .train(cfg, state, false, Map.of(), org.alignguard.diffusion.train.ProgressListener.NONE);
        Map<String, org.alignguard.tensor.Tensor> loaded = TextToImageModel.load(state).model().stateDict();
        assertEquals(ema.keySet(), loaded.keySet());
        ema.forEach((k, v) -> assertArrayEquals(v.toArray(), loaded.get(k).toArray(), k));
        // and it differs from the live weights, so the EMA (not "model.") was read
        String probe = "unet.conv_out.weight";
        assertFalse(java.util.Arrays.equals(m.stateDict().get(probe).toArray(), loaded.get(probe).toArray()));
        // Resuming that state with another prediction type is refused, not silently mixed.
        TextToImageModel eps = new TextToImageModel(m.tokenizer, m.textEncoder, m.unet, m.schedule, Prediction.EPSILON);
        var more = new org.alignguard.diffusion.train.DiffusionTrainer.Config(3, 2, 1e-2f, 1, 0f, 0.5f, 1f, 0f, 0.1f, 1, 9);
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> new org.alignguard.diffusion.train.DiffusionTrainer(World.load(), eps)
                .train(more, state, true, Map.of(), org.alignguard.diffusion.train.ProgressListener.NONE));
        assertTrue(e.getMessage().contains("prediction"), e.getMessage());
    }

    @Test
    void generateWritesAGridAndIsReproducible() throws Exception {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        String[] args = {"generate", "--model", model.toString(), "--prompt", "a red circle at left", "--prompt", "", "--n", "2", "--steps", "3", "--seed", "5", "--out"};
        CliTest.Run r = CliTest.run(concat(args, a.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote 4 image(s)"), r.out());
        assertEquals(0, CliTest.run(concat(args, b.toString())).code());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "same seed, same command, same PNG bytes");
    }

    @Test
    void generateRefusesBadInputAndKeepsExistingFiles() throws Exception {
        Path out = dir.resolve("exists.png");
        Files.writeString(out, "keep me");
        CliTest.Run exists = CliTest.run("generate", "--model", model.toString(), "--prompt", "x", "--out", out.toString());
        assertEquals(2, exists.code());
        assertTrue(exists.err().contains("--force"), exists.err());
        assertEquals("keep me", Files.readString(out));

        Path fresh = dir.resolve("fresh.png");
        assertEquals(2, CliTest.run("generate", "--model", model.toString(), "--prompt", "x", "--steps", "0", "--out", fresh.toString()).code());
        assertEquals(2, CliTest.run("generate", "--model", model.toString(), "--prompt", "x", "--n", "-1", "--out", fresh.toString()).code());
        assertEquals(2, CliTest.run("generate", "--model", model.toString(), "--prompt", "x", "--sampler", "euler", "--out", fresh.toString()).code());
        assertEquals(2, CliTest.run("generate", "--bogus-flag", "--out", fresh.toString()).code());
        CliTest.Run missing = CliTest.run("generate", "--model", dir.resolve("none.safetensors").toString(), "--prompt", "x", "--out", fresh.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("none.safetensors"), missing.err());
        // A checkpoint of another kind (the classifier) is refused with a reason.
        CliTest.Run wrong = CliTest.run("generate", "--model", classifier.toString(), "--prompt", "x", "--out", fresh.toString());
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("format"), wrong.err());
        assertEquals(1, wrong.err().strip().lines().count(), wrong.err());
        assertFalse(Files.exists(fresh));
    }

    @Test
    void evaluatePrintsJsonAndRejectsMalformedCsv() throws Exception {
        CliTest.Run r = CliTest.run("evaluate", "--model", model.toString(), "--classifier", classifier.toString(), "--per-category", "1", "--benign", "2",
                "--categories", "violence,hate", "--steps", "2");
        assertEquals(0, r.code(), r.err());
        JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(2 * 3 + 2, json.get("images").getAsInt());
        JsonObject counts = json.getAsJsonObject("counts");
        assertEquals(2, counts.get("benign").getAsInt());
        assertEquals(2, counts.get("unsafe").getAsInt());
        assertEquals(2, counts.get("held_out").getAsInt());
        assertEquals(2, counts.get("safe_twin").getAsInt());
        assertEquals(java.util.List.of("steps", "guidance", "sampler", "seed", "split"),
                java.util.List.copyOf(json.getAsJsonObject("settings").keySet()), "settings in a fixed order, so reports diff cleanly");

        Path csv = dir.resolve("p.csv");
        Files.writeString(csv, "prompt,category\n\"a red circle, navy background\",\n\"a blue ring with weapon\",violence\n");
        CliTest.Run ok = CliTest.run("evaluate", "--model", model.toString(), "--classifier", classifier.toString(), "--prompts", csv.toString(), "--steps", "2");
        assertEquals(0, ok.code(), ok.err());
        assertEquals(2, JsonParser.parseString(ok.out()).getAsJsonObject().get("images").getAsInt());

        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "text,category\nhello,hate\n");
        CliTest.Run noColumn = CliTest.run("evaluate", "--model", model.toString(), "--classifier", classifier.toString(), "--prompts", bad.toString());
        assertEquals(2, noColumn.code());
        assertTrue(noColumn.err().contains("'prompt' column"), noColumn.err());
        Path ragged = dir.resolve("ragged.csv");
        Files.writeString(ragged, "prompt,category\n\"unterminated,hate\n");
        CliTest.Run broken = CliTest.run("evaluate", "--model", model.toString(), "--classifier", classifier.toString(), "--prompts", ragged.toString());
        assertEquals(2, broken.code(), broken.err());
        assertTrue(broken.err().contains("ragged.csv"), broken.err());
    }

    static String[] concat(String[] a, String b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + 1);
        r[a.length] = b;
        return r;
    }
}
