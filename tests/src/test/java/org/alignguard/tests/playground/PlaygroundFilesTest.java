package org.alignguard.tests.playground;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server writes nothing outside its own folder. `alignguard serve` runs as its own process, in an
 * empty folder of its own, with its temporary folder and home inside it; every kind of request is
 * made; then that folder, its temporary folder, its home and the whole repository (build outputs
 * aside) must be exactly as they were: the playground writes nothing at all.
 */
class PlaygroundFilesTest {
    @TempDir Path own;

    @Test
    void theServerWritesNothing() throws Exception {
        Path repo = Path.of("..").toRealPath(), tmp = Files.createDirectory(own.resolve("tmp")), home = Files.createDirectory(own.resolve("home"));
        Map<String, String> before = snapshot(repo);
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-Djava.io.tmpdir=" + tmp, "-Duser.home=" + home,
                "-cp", System.getProperty("java.class.path"), "org.alignguard.cli.Main", "serve", "--port", "0", "--workers", "1",
                "--models", repo.resolve("models").toString());
        pb.directory(own.toFile()).redirectErrorStream(true);
        pb.environment().put("HOME", home.toString());
        pb.environment().put("TMPDIR", tmp.toString());
        Process server = pb.start();
        try {
            String url = awaitUrl(server);
            assertTrue(url.startsWith("http://127.0.0.1:"), "it listens on the loopback address unless --host says otherwise: " + url);
            HttpClient http = HttpClient.newHttpClient();
            for (String path : List.of("", "playground.js", "playground.css", "api/setup"))
                assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(url + path)).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode(), path);
            String p = "\"prompt\":\"a red circle in the centre on a navy background, with blood\",\"steps\":3";
            for (String body : List.of("{" + p + ",\"model\":\"base\"}", "{" + p + ",\"model\":\"mix\",\"experts\":{\"violence\":1,\"hate\":1},\"merge\":\"co-merge\"}",
                    "{" + p + ",\"model\":\"mix\",\"experts\":{\"violence\":1},\"merge\":\"ties\"}", "{" + p + ",\"model\":\"co-merge\"}",
                    "{" + p + ",\"model\":\"esd-u\"}", "{" + p + ",\"model\":\"sld\"}", "{" + p + ",\"model\":\"blocklist\"}", "{\"prompt\":\"" + "x".repeat(1000) + "\"}")) {
                HttpResponse<String> r;
                // As the page does: a 503 with Retry-After (Co-Merge still measuring, just after start) is asked again.
                for (int tries = 0; ; tries++) {
                    r = http.send(HttpRequest.newBuilder(URI.create(url + "api/draw")).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    var retryAfter = r.headers().firstValue("Retry-After");
                    if (r.statusCode() != 503 || retryAfter.isEmpty() || tries == 60) break;
                    Thread.sleep(1000L * Long.parseLong(retryAfter.get()));
                }
                assertTrue(r.statusCode() == 200 || r.statusCode() == 400, r.statusCode() + " for " + body + ": " + r.body());
            }
        } finally {
            server.destroy();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server stops on SIGTERM");
        }
        assertEquals(List.of("home", "tmp"), list(own), "nothing new in the server's own folder");
        assertEquals(List.of(), list(tmp), "nothing in its temporary folder");
        assertEquals(List.of(), list(home), "nothing in its home");
        assertEquals(before, snapshot(repo), "the repository (models included) is unchanged");
    }

    /** Reads the server's output until it says where it listens. */
    static String awaitUrl(Process server) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        Pattern at = Pattern.compile("playground at (http://\\S+/)");
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = at.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) { }
                    } catch (IOException ignored) {
                        // the process ended
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return m.group(1);
            }
        }
        throw new AssertionError("the server ended without listening:\n" + seen);
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Every file below {@code root} but build outputs (target/), with its size and modification time. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(f -> !root.relativize(f).toString().contains("target") && !root.relativize(f).startsWith(".git")).filter(Files::isRegularFile).forEach(files::add);
        }
        for (Path f : files) out.put(root.relativize(f).toString(), Files.size(f) + "@" + Files.getLastModifiedTime(f).toMillis());
        return out;
    }
}
