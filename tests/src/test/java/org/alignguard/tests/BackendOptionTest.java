package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.alignguard.tensor.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --backend}: an unknown or unavailable backend is a one-line error with exit code 2. */
class BackendOptionTest {
    @TempDir Path dir;

    private String png(String name) {
        return dir.resolve(name).toString();
    }
    @AfterEach void backToCpu() {
        Backends.use(Backends.named("cpu"));
    }

    @Test void unknownBackendIsOneLineExitTwo() {
        CliTest.Run r = CliTest.run("--backend", "cuda", "world", "--n", "1", "--out", png("a.png"));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("unknown backend 'cuda'"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test void tornadoWhereAbsentIsOneLineExitTwoAndWherePresentRuns() {
        CliTest.Run r = CliTest.run("world", "--backend", "tornado", "--n", "1", "--out", png("b.png"));
        if (Backends.tornadoAvailable()) {
            assertEquals(0, r.code(), r.err());
            assertTrue(Backends.get().name().startsWith("tornado"), Backends.get().name());
        } else {
            assertEquals(2, r.code(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("--backend tornado: backend 'tornado'"), r.err());
        }
    }

    @Test void cpuIsAccepted() {
        CliTest.Run r = CliTest.run("--backend", "cpu", "world", "--n", "1", "--out", png("c.png"));
        assertEquals(0, r.code(), r.err());
    }
}
