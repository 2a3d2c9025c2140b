package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.cli.Main;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end: exit codes, output, and one-line errors without stack traces. */
class CliTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void versionAndHelp() {
        Run v = run("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("alignguard "), v.out());
        Run h = run("--help");
        assertEquals(0, h.code());
        assertTrue(h.out().contains("inspect") && h.out().contains("bench"), h.out());
    }

    @Test
    void inspectListsTensorsAndMetadata() throws Exception {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("down.0.attn.to_q.weight", Tensor.randn(new Rng(1), 8, 4));
        t.put("down.0.attn.to_out.bias", Tensor.zeros(8));
        Path f = dir.resolve("m.safetensors");
        Safetensors.write(f, t, Map.of("seed", "42"));
        Run r = run("inspect", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("down.0.attn.to_q.weight") && r.out().contains("F32") && r.out().contains("[8, 4]"), r.out());
        assertTrue(r.out().contains("40 parameters"), r.out());
        assertTrue(r.out().contains("seed = 42"), r.out());
    }

    @Test
    void inspectOfCorruptFileIsOneLineWithoutStackTrace() throws Exception {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, '{'});
        Run r = run("inspect", f.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("bad.safetensors"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        Run verbose = run("inspect", "--verbose", f.toString());
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the stack trace");
    }

    @Test
    void inspectOfMissingFileAndUnknownFlag() {
        Run r = run("inspect", dir.resolve("nope.safetensors").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no such file"), r.err());
        Run u = run("inspect", "--bogus", "x");
        assertEquals(2, u.code());
        assertTrue(u.err().contains("--bogus"), u.err());
    }

    @Test
    void esdURefusesBadSettingsInOneLineAndRunsGoodOnes() throws Exception {
        Path model = AlignmentRunTest.tinyModel(dir), out = dir.resolve("esd.safetensors");
        String[] base = {"baseline", "--method", "esd-u", "--model", model.toString(), "--out", out.toString(), "--concepts", "weapon"};
        for (String[] bad : List.of(new String[] {"--esd-iterations", "0"}, new String[] {"--esd-lr", "NaN"}, new String[] {"--esd-eta", "-1"},
                new String[] {"--esd-start-guidance", "0"}, new String[] {"--esd-ddim-steps", "-2"}, new String[] {"--esd-batch", "0"})) {
            Run r = run(concat(base, bad));
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(bad[0]), r.err());
            assertFalse(Files.exists(out));
        }
        Run ok = run(concat(base, new String[] {"--esd-iterations", "2", "--esd-ddim-steps", "4"}));
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("esd-u erasing 1 concept(s)"), ok.out());
        Map<String, String> meta = Safetensors.readHeader(out).metadata();
        assertEquals("esd-u", meta.get("method"));
        assertTrue(meta.get("settings").contains("\"iterations\":2"), meta.get("settings"));
    }

    static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void benchRejectsUnknownNames() {
        Run r = run("bench", "--only", "nope");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown benchmark 'nope'"), r.err());
    }

    @Test
    void benchProfilesOnlyTheDpoStep() {
        Run r = run("bench", "--only", "mlp", "--profile");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--profile works with --only dpo or --only unet") && r.err().strip().lines().count() == 1, r.err());
    }

    @Test
    void benchPrintsJsonLines() {
        Run r = run("bench", "--only", "mlp", "--reps", "3");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        for (String l : lines) assertTrue(l.startsWith("{") && l.endsWith("}"), l);
        assertTrue(lines[1].contains("\"unit\": \"ms\"") && lines[1].contains("\"threads\""), lines[1]);
    }
}
