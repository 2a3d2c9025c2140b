package org.alignguard.tests.playground;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.alignguard.serve.PlaygroundServer;
import org.alignguard.serve.Shelf;

/** A playground on the shipped models, in this JVM, on a free port of 127.0.0.1, and a client for it. */
final class Playground implements AutoCloseable {
    static final Path MODELS = Path.of("..", "models");
    /** No request of a test waits longer than this: a hang fails the test instead of stalling the build. */
    static final Duration TIMEOUT = Duration.ofSeconds(90);

    final PlaygroundServer server;
    final String url;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    Playground(int workers, int queue) throws Exception {
        server = PlaygroundServer.start(Shelf.load(MODELS), new PlaygroundServer.Options("127.0.0.1", 0, workers, queue));
        url = "http://127.0.0.1:" + server.port() + "/";
    }

    record Answer(int status, String contentType, String body) {
        JsonObject json() { return JsonParser.parseString(body).getAsJsonObject(); }

        String error() { return json().get("error").getAsString(); }
    }

    HttpRequest drawRequest(String json) {
        return HttpRequest.newBuilder(URI.create(url + "api/draw")).timeout(TIMEOUT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    Answer draw(String json) throws Exception {
        return answer(http.send(drawRequest(json), HttpResponse.BodyHandlers.ofString()));
    }

    Answer get(String path) throws Exception {
        return answer(http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString()));
    }

    static Answer answer(HttpResponse<String> r) {
        return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    @Override public void close() {
        server.close();
    }
}
