package org.alignguard.tests.playground;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The playground's JSON API as the page uses it: drawings, bad input, a burst of requests, cancelling. */
class PlaygroundApiTest {
    static final String PROMPT = "a red circle in the centre on a navy background, with blood";
    static Playground p;
    /** A Co-Merge of the page's experts asked for right after start, while Co-Merge still measures (some seconds). */
    static HttpResponse<String> earlyCoMerge;

    @BeforeAll
    static void start() throws Exception {
        p = new Playground(2, 4);
        earlyCoMerge = p.http.send(p.drawRequest(request("mix", 5, ",\"experts\":{\"violence\":1},\"merge\":\"co-merge\"")), HttpResponse.BodyHandlers.ofString());
        assertTrue(p.server.awaitCoMerge(120), "Co-Merge's activations are measured within 2 minutes");
    }

    @AfterAll
    static void stop() {
        p.close();
    }

    static String request(String model, long seed, String extra) {
        return "{\"prompt\":\"" + PROMPT + "\",\"seed\":" + seed + ",\"steps\":6,\"model\":\"" + model + "\"" + extra + "}";
    }

    @Test
    void drawsThePromptWithItsStripAndAttentionMaps() throws Exception {
        Playground.Answer a = p.draw(request("base", 3, ""));
        assertEquals(200, a.status(), a.body());
        assertTrue(a.contentType().startsWith("application/json"), a.contentType());
        JsonObject d = a.json();
        assertTrue(d.get("image").getAsString().startsWith("data:image/png;base64,"));
        assertEquals(6, d.getAsJsonArray("strip").size(), "x̂0 at each of the 6 steps");
        assertEquals(6, d.getAsJsonArray("timesteps").size());
        assertEquals(12, d.getAsJsonArray("attention").size(), "one map per word of the prompt");
        assertEquals("blood", d.getAsJsonArray("attention").get(11).getAsJsonObject().get("token").getAsString());
        JsonObject seen = d.getAsJsonObject("seen");
        assertEquals("circle", seen.get("shape").getAsString(), "the shipped base model draws the scene: " + seen);
        assertEquals(d.get("image"), p.draw(request("base", 3, "")).json().get("image"), "same seed, same picture");
        assertNotEquals(d.get("image"), p.draw(request("base", 4, "")).json().get("image"), "another seed, another picture");
    }

    @Test
    void aCoMergeBeforeItsActivationsAreMeasuredIsAnswered503WithRetryAfter() {
        Playground.Answer a = Playground.answer(earlyCoMerge);
        assertEquals(503, a.status(), "no worker waits for the measurement: " + a.body());
        assertTrue(a.error().contains("Co-Merge is still measuring"), a.body());
        assertEquals("2", earlyCoMerge.headers().firstValue("Retry-After").orElse(""), "the page asks again after Retry-After seconds");
    }

    @Test
    void aMergeWithNoExpertIsTheBaseAndCoMergeReportsItsWinners() throws Exception {
        String base = p.draw(request("base", 5, "")).json().get("image").getAsString();
        assertEquals(base, p.draw(request("mix", 5, ",\"experts\":{}")).json().get("image").getAsString(), "no expert switched on: the base model");
        JsonObject merged = p.draw(request("mix", 5, ",\"experts\":{\"violence\":1,\"hate\":0.5},\"merge\":\"co-merge\",\"gamma\":3")).json();
        assertNotEquals(base, merged.get("image").getAsString(), "the experts change the picture");
        var layers = merged.getAsJsonArray("layers");
        assertEquals(14, layers.size(), "one row per attention block of the shipped UNet");
        for (var l : layers) {
            JsonObject o = l.getAsJsonObject();
            double sum = 0;
            for (var s : o.getAsJsonObject("shares").entrySet()) sum += s.getValue().getAsDouble();
            assertEquals(1.0, sum, 1e-9, "the shares of a layer add up to 1: " + o);
            assertTrue(List.of("violence", "hate").contains(o.get("winner").getAsString()));
        }
        for (String m : List.of("ties", "sum", "average")) {
            Playground.Answer a = p.draw(request("mix", 5, ",\"experts\":{\"violence\":1,\"hate\":0.5},\"merge\":\"" + m + "\""));
            assertEquals(200, a.status(), m + ": " + a.body());
            assertEquals(0, a.json().getAsJsonArray("layers").size(), m + " has no winners");
        }
    }

    @Test
    void everyShippedModelDraws() throws Exception {
        for (String m : List.of("co-merge", "expert:violence", "esd-u", "uce", "mace", "sld", "negative-prompt", "blocklist")) {
            Playground.Answer a = p.draw(request(m, 1, "").replace("\"steps\":6", "\"steps\":3"));
            assertEquals(200, a.status(), m + ": " + a.body());
            assertEquals(m, a.json().get("model").getAsString());
        }
        JsonObject blocked = p.draw(request("blocklist", 1, "")).json();
        assertTrue(blocked.get("refused").getAsBoolean(), "the blocklist refuses a prompt that names blood: " + blocked.get("sampling"));
        assertEquals("none", blocked.getAsJsonObject("seen").get("mark").getAsString());
    }

    @Test
    void badInputIsRefusedWith400AndAMessage() throws Exception {
        String huge = "a".repeat(100 * 1024);
        String[][] cases = {
                {"{\"prompt\":\"" + huge + "\"}", "prompt is 102400 characters long"},
                {"{\"prompt\":\"x\",\"guidance\":NaN}", "guidance must be a finite number"},
                {"{\"prompt\":\"x\",\"guidance\":\"NaN\"}", "guidance must be a finite number"},
                {"{\"prompt\":\"x\",\"guidance\":1e999}", "guidance must be a finite number"},
                {"{\"prompt\":\"x\",\"model\":\"stable-diffusion\"}", "unknown model 'stable-diffusion'"},
                {"{\"prompt\":\"x\",\"experts\":{\"nudity\":1}}", "unknown expert 'nudity'"},
                {"{\"prompt\":\"x\",\"merge\":\"slerp\"}", "unknown merge 'slerp'"},
                {"{\"prompt\":\"x\",\"seed\":-1}", "seed must be between 0 and"},
                {"{\"prompt\":\"x\",\"seed\":1.5}", "seed must be a whole number"},
                {"{\"prompt\":\"x\",\"seed\":\"lucky\"}", "seed must be a whole number"},
                // Checked as text before it is read: these would be a billion-digit number (or a million digits) to parse.
                {"{\"prompt\":\"x\",\"seed\":1e999999999}", "seed must be a whole number between 0 and 9007199254740991, written in digits; got 1e999999999"},
                {"{\"prompt\":\"x\",\"seed\":1e-999999999}", "seed must be a whole number between 0 and 9007199254740991, written in digits; got 1e-999999999"},
                {"{\"prompt\":\"x\",\"round\":" + "9".repeat(100_000) + "}", "round must be a whole number between 0 and"},
                {"{\"prompt\":\"x\",\"seed\":99999999999999999999}", "seed must be between 0 and 9007199254740991, got 99999999999999999999"},
                {"{\"prompt\":\"x\",\"steps\":true}", "steps must be a whole number"},
                {"{\"prompt\":\"x\",\"steps\":0}", "steps must be between 1 and 50"},
                {"{\"prompt\":\"x\",\"steps\":100000}", "steps must be between 1 and 50"},
                {"{\"prompt\":\"x\",\"experts\":{\"violence\":5}}", "scale of expert violence must be between -2 and 2"},
                {"{\"prompt\":\"x\",\"gamma\":-1}", "gamma must be between 0 and 20"},
                {"{\"prompt\":\"x\u0007\"}", "control character"},
                {"{\"seed\":1}", "prompt is missing"},
                {"not json at all {", "not valid JSON"},
                {"[1,2]", "must be a JSON object"},
        };
        for (String[] c : cases) {
            Playground.Answer a = p.draw(c[0]);
            String what = c[0].length() > 60 ? c[0].substring(0, 60) + "…" : c[0];
            assertEquals(400, a.status(), what + " -> " + a.body());
            assertTrue(a.contentType().startsWith("application/json"), what);
            assertTrue(a.error().contains(c[1]), what + " -> " + a.error());
            assertFalse(a.body().contains("Exception") || a.body().contains("\tat "), "no stack trace: " + a.body());
            assertTrue(a.body().length() < 600, "the message is short, and does not echo a 100 kB prompt back: " + a.body().length());
        }
        Playground.Answer tooLarge = p.draw("{\"prompt\":\"" + "a".repeat(200 * 1024) + "\"}");
        assertEquals(413, tooLarge.status(), "a body over 128 kB is not read");
        assertTrue(tooLarge.error().contains("larger than 128 kB"), tooLarge.body());
        Playground.Answer missing = p.get("api/nothing-here");
        assertEquals(404, missing.status());
        assertTrue(missing.error().contains("no such page"), missing.body());
    }

    @Test
    void aBodyIsReadAsUtf8WhateverCharsetTheRequestNames() throws Exception {
        for (String type : List.of("application/json; charset=bogus", "application/json; charset", "application/json; charset=utf-16")) {
            HttpResponse<String> r = p.http.send(HttpRequest.newBuilder(URI.create(p.url + "api/draw")).timeout(Playground.TIMEOUT).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString(request("base", 2, "").replace("\"steps\":6", "\"steps\":2"))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), type + ": " + r.body());
            Playground.Answer c = cancel("{\"client\":\"nobody\",\"round\":1}", type);
            assertEquals(200, c.status(), type + ": " + c.body());
        }
    }

    static Playground.Answer cancel(String json, String contentType) throws Exception {
        return Playground.answer(p.http.send(HttpRequest.newBuilder(URI.create(p.url + "api/cancel")).timeout(Playground.TIMEOUT).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void theCancelRequestStopsTheClientsDrawingsMidWay() throws Exception {
        String client = ",\"client\":\"page-cancel\",\"round\":3";
        var running = p.http.sendAsync(p.drawRequest(request("base", 1, client).replace("\"steps\":6", "\"steps\":50")), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(100);   // queued, drawing or not yet arrived: stopped or refused either way
        Playground.Answer c = cancel("{\"client\":\"page-cancel\",\"round\":3}", "application/json");
        assertEquals(200, c.status(), c.body());
        assertTrue(c.json().get("cancelled").getAsBoolean());
        Playground.Answer a = Playground.answer(running.get(Playground.TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        assertEquals(409, a.status(), "a 50-step drawing is stopped, not finished: " + a.body());
        assertTrue(a.error().startsWith("cancelled"), a.body());
        Playground.Answer bad = cancel("{\"client\":\"page-cancel\"}", "application/json");
        assertEquals(400, bad.status(), bad.body());
        assertTrue(bad.error().contains("a cancel needs"), bad.body());
    }

    @Test
    void twentyConcurrentRequestsAreAllAnsweredWith200Or503() throws Exception {
        // 2 workers and a queue of 4: of 20 at once, about 6 are drawn and the rest refused at once.
        // 30 steps each: the six take seconds, far longer than sending twenty requests, on any machine.
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++)
            sent.add(p.http.sendAsync(p.drawRequest(request(i % 2 == 0 ? "base" : "co-merge", i, "").replace("\"steps\":6", "\"steps\":30")),
                    HttpResponse.BodyHandlers.ofString()));
        int ok = 0, busy = 0;
        for (var f : sent) {
            Playground.Answer a = Playground.answer(f.get(Playground.TIMEOUT.toSeconds(), TimeUnit.SECONDS));   // a hang fails here
            assertTrue(a.status() == 200 || a.status() == 503, "status " + a.status() + ": " + a.body());
            if (a.status() == 503) {
                busy++;
                assertTrue(a.error().contains("busy"), a.body());
            } else ok++;
        }
        assertTrue(ok >= 6, ok + " drawn: the 2 workers and the 4 queued places are used");
        assertTrue(busy >= 1, "a queue of 4 cannot hold 20: " + busy + " refused");
        assertEquals(200, p.draw(request("base", 0, "")).status(), "after the burst the playground draws again");
    }

    @Test
    void aNewerRoundFromThePageCancelsItsOlderRequests() throws Exception {
        String client = ",\"client\":\"page-1\"";
        List<CompletableFuture<HttpResponse<String>>> old = new ArrayList<>();
        for (int i = 0; i < 4; i++)
            old.add(p.http.sendAsync(p.drawRequest(request("base", i, client + ",\"round\":1").replace("\"steps\":6", "\"steps\":40")), HttpResponse.BodyHandlers.ofString()));
        Thread.sleep(100);
        Playground.Answer fresh = p.draw(request("base", 9, client + ",\"round\":2"));
        assertEquals(200, fresh.status(), fresh.body());
        int cancelled = 0;
        for (var f : old) {
            Playground.Answer a = Playground.answer(f.get(Playground.TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            assertTrue(a.status() == 200 || a.status() == 409, a.body());
            if (a.status() == 409) cancelled++;
        }
        assertTrue(cancelled >= 2, "the page's older round is dropped (queued or mid-way): " + cancelled + " of 4 cancelled");
        Playground.Answer late = p.draw(request("base", 1, client + ",\"round\":1"));
        assertEquals(409, late.status(), "a request of a round the page has left behind is not drawn: " + late.body());
    }
}
