package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.alignguard.tensor.io.Safetensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The baselines from the command line on a tiny model: each sampling-time and closed-form baseline
 * makes a file that evaluate and generate apply, and bad input is one line with exit code 2.
 */
class BaselineCliTest {
    @TempDir static Path dir;
    static Path model, clf;

    @BeforeAll
    static void tinyModel() throws Exception {
        model = AlignmentRunTest.tinyModel(dir);
        clf = ShippedModelTest.MODELS.resolve("classifier.safetensors");
    }

    private static Path make(String method, String... more) {
        Path out = dir.resolve(method + ".safetensors");
        String[] base = {"baseline", "--method", method, "--model", model.toString(), "--out", out.toString(), "--concepts", "slur,weapon"};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        CliTest.Run r = CliTest.run(all);
        assertEquals(0, r.code(), r.err());
        return out;
    }

    @Test void baselinesAreFilesThatEvaluateAndGenerateApply() throws Exception {
        for (String m : new String[] {"uce", "sld", "negative-prompt", "blocklist"}) {
            Path f = make(m);
            Map<String, String> meta = Safetensors.readHeader(f).metadata();
            assertEquals("alignguard-baseline-1", meta.get("format"));
            assertEquals(m, meta.get("method"));
            assertEquals("[\"slur\",\"weapon\"]", meta.get("erased"));
            CliTest.Run e = CliTest.run("evaluate", "--model", model.toString(), "--classifier", clf.toString(), "--baseline", f.toString(),
                    "--per-category", "1", "--benign", "2", "--categories", "hate,violence", "--steps", "2");
            assertEquals(0, e.code(), m + ": " + e.err());
            assertTrue(e.out().contains("\"baseline\": \"" + m + ".safetensors\""), e.out());
        }
        // The blocklist refuses its words: a refused prompt is drawn black and counted.
        CliTest.Run refused = CliTest.run("evaluate", "--model", model.toString(), "--classifier", clf.toString(), "--baseline", dir.resolve("blocklist.safetensors").toString(),
                "--per-category", "3", "--benign", "2", "--categories", "hate", "--steps", "2");
        assertTrue(refused.out().contains("\"refused\": {\n    \"unsafe\": 1"), "slur (one of hate's three concepts) is refused: " + refused.out());
        CliTest.Run g = CliTest.run("generate", "--model", model.toString(), "--baseline", dir.resolve("blocklist.safetensors").toString(), "--prompt", "a red circle with slur",
                "--steps", "2", "--out", dir.resolve("g.png").toString());
        assertEquals(0, g.code(), g.err());
        assertTrue(g.err().contains("refused"), g.err());
        CliTest.Run sld = CliTest.run("generate", "--model", model.toString(), "--sld", "strong", "--prompt", "a red circle with slur", "--steps", "2", "--out", dir.resolve("s.png").toString());
        assertEquals(0, sld.code(), sld.err());
    }

    @Test void badInputIsOneLineWithExitCode2() throws Exception {
        Path out = dir.resolve("never.safetensors");
        CliTest.Run unknown = CliTest.run("baseline", "--method", "uce", "--model", model.toString(), "--out", out.toString(), "--concepts", "slur,nonsense");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown concept 'nonsense'") && unknown.err().strip().lines().count() == 1, unknown.err());
        CliTest.Run method = CliTest.run("baseline", "--method", "esd-x", "--model", model.toString(), "--out", out.toString());
        assertEquals(2, method.code());
        assertTrue(method.err().contains("esd-x"), method.err());
        CliTest.Run tooMany = CliTest.run("baseline", "--method", "uce", "--model", model.toString(), "--out", out.toString(), "--first", "22");
        assertEquals(2, tooMany.code());
        assertTrue(tooMany.err().contains("N = 22"), tooMany.err());
        CliTest.Run scaling = CliTest.run("scaling", "--model", model.toString(), "--classifier", clf.toString(), "--out", dir.resolve("sc").toString(), "--n", "1,99");
        assertEquals(2, scaling.code());
        assertTrue(scaling.err().contains("N = 99") && scaling.err().contains("21 unsafe concepts"), scaling.err());
        assertFalse(Files.exists(out) || Files.exists(dir.resolve("sc")));

        // A baseline where a LoRA is expected, and the reverse.
        Path uce = Files.isRegularFile(dir.resolve("uce.safetensors")) ? dir.resolve("uce.safetensors") : make("uce");
        CliTest.Run asLora = CliTest.run("generate", "--model", model.toString(), "--lora", uce.toString(), "--prompt", "x", "--out", dir.resolve("a.png").toString());
        assertEquals(2, asLora.code());
        assertTrue(asLora.err().contains("is a baseline file (method uce), not a LoRA: pass it with --baseline"), asLora.err());
        Path lora = dir.resolve("lora.safetensors");
        CliTest.Run made = CliTest.run("merge", "--method", "sum", uce.toString(), "--out", lora.toString(), "--model", model.toString());
        assertEquals(2, made.code(), "merge refuses a baseline as an expert: " + made.err());
        Path data = dir.resolve("data");
        assertEquals(0, CliTest.run("data", "--model", model.toString(), "--classifier", clf.toString(), "--out", data.toString(), "--pairs", "2",
                "--categories", "violence", "--test-prompts", "1", "--steps", "2", "--no-filter").code());
        assertEquals(0, CliTest.run("train-expert", "--category", "violence", "--data", data.toString(), "--model", model.toString(), "--out", lora.toString(),
                "--dpo-steps", "2", "--batch", "2", "--rank", "2").code());
        CliTest.Run asBaseline = CliTest.run("evaluate", "--model", model.toString(), "--classifier", clf.toString(), "--baseline", lora.toString(), "--per-category", "1", "--benign", "2");
        assertEquals(2, asBaseline.code());
        assertTrue(asBaseline.err().contains("is a LoRA, not a baseline: pass it with --lora"), asBaseline.err());
        CliTest.Run twoRules = CliTest.run("generate", "--model", model.toString(), "--sld", "weak", "--negative-prompt", "slur", "--prompt", "x", "--out", dir.resolve("a.png").toString());
        assertEquals(2, twoRules.code());
        CliTest.Run badSld = CliTest.run("generate", "--model", model.toString(), "--sld", "extreme", "--prompt", "x", "--out", dir.resolve("a.png").toString());
        assertEquals(2, badSld.code());
        assertTrue(badSld.err().contains("extreme"), badSld.err());
    }
}
