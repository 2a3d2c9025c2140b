package org.alignguard.tests.playground;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.alignguard.cli.Main;
import org.junit.jupiter.api.Test;

/** `alignguard serve` refuses bad options in one line with exit code 2, before it loads anything. */
class PlaygroundCliTest {
    record Run(int code, String err) {}

    static Run run(String... args) {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(Main.execute(args), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(oldErr);
        }
    }

    static void refused(String expected, String... args) {
        Run r = run(args);
        assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void badOptionsAreOneLineErrors() {
        refused("--port must be between 0 and 65535", "serve", "--port", "70000");
        refused("--port must be between 0 and 65535", "serve", "--port", "-1");
        refused("--host must be an IP address", "serve", "--host", "example.com");
        refused("--host must be an IP address", "serve", "--host", "127.0.0.300");
        refused("--queue must be positive", "serve", "--queue", "0");
        refused("--workers must be 0", "serve", "--workers", "-3");
        int most = Math.max(16, 2 * Runtime.getRuntime().availableProcessors());
        refused("--workers must be 0 (one per core) up to " + most, "serve", "--workers", Integer.toString(most + 1));
        refused("--workers must be 0 (one per core) up to " + most, "serve", "--workers", "5000");
        refused("--queue must be at most 1000", "serve", "--queue", "1001");
        refused("no base.safetensors in", "serve", "--models", "/nonexistent-models-folder", "--port", "0");
        Run notANumber = run("serve", "--port", "eighty");
        assertEquals(2, notANumber.code(), notANumber.err());
    }

    @Test
    void aPortInUseIsAOneLineError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refused("cannot listen on 127.0.0.1:" + taken.getLocalPort(), "serve", "--port", Integer.toString(taken.getLocalPort()), "--workers", "1", "--models", "../models");
        }
    }
}
