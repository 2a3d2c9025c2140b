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
 * writes an empty file).
 */
class LauncherTest {
    @TempDir Path dir;

    record Result(int code, String err) {}

    Result launch(String tornadoHome) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "alignguard.sh").toString(), "--backend", "tornado", "world");
        pb.environment().remove("TORNADOVM_HOME");
        if (tornadoHome != null) pb.environment().put("TORNADOVM_HOME", tornadoHome);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), err);
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
