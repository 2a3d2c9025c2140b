package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher refuses the TornadoVM backend without a usable argfile, before it builds anything:
 * one line naming the step to redo, exit code 2 (the README's argfile step run without JAVA_HOME
 * writes an empty file). A heap size it cannot read is refused the same way, and a heap too small for a
 * job ends in one line naming the setting to raise.
 */
class LauncherTest {
    @TempDir Path dir;

    record Result(int code, String err) {}

    Result launch(String tornadoHome) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "alignguard.sh").toString(), "--backend", "tornado", "world");
        pb.environment().remove("TORNADOVM_HOME");
        if (tornadoHome != null) pb.environment().put("TORNADOVM_HOME", tornadoHome);
        return run(pb);
    }

    static Result run(ProcessBuilder pb) throws Exception {
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), err);
    }

    /** A heap size the launcher cannot read is refused before anything is built or started. */
    @Test void aBadHeapSizeIsOneLineWithExitCode2() throws Exception {
        for (String bad : new String[] {"lots", "12", "10m"}) {
            ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "alignguard.sh").toString(), "world");
            pb.environment().put("ALIGNGUARD_HEAP", bad);
            Result r = run(pb);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("ALIGNGUARD_HEAP=" + bad) && r.err().strip().lines().count() == 1, r.err());
        }
    }

    /** A heap too small for the job ends in one line that names the setting to raise, not a stack trace. */
    @Test void aTooSmallHeapSaysWhichSettingToRaise() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Xmx16m", "-cp", System.getProperty("java.class.path"),
                "org.alignguard.cli.Main", "evaluate", "--per-category", "1", "--benign", "1");
        pb.environment().put("ALIGNGUARD_HOME", Path.of("..").toAbsolutePath().normalize().toString());
        Result r = run(pb);
        String err = r.err().lines().filter(l -> !l.startsWith("WARNING")).reduce("", (a, b) -> a + b + "\n");
        assertEquals(1, r.code(), err);
        assertTrue(err.contains("out of memory") && err.contains("ALIGNGUARD_HEAP") && err.strip().lines().count() == 1, err);
    }

    @Test void anEmptyOrMissingArgfileIsOneLineWithExitCode2() throws Exception {
        Files.writeString(dir.resolve("tornado-argfile"), "");
        Result empty = launch(dir.toString());
        assertEquals(2, empty.code(), empty.err());
        assertTrue(empty.err().contains("tornado-argfile is missing or empty") && empty.err().contains("JAVA_HOME")
                && empty.err().strip().lines().count() == 1, empty.err());
        Result missing = launch(dir.resolve("nowhere").toString());
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("missing or empty"), missing.err());
        Result unset = launch(null);
        assertEquals(2, unset.code(), unset.err());
        assertTrue(unset.err().contains("set TORNADOVM_HOME"), unset.err());
    }
}
