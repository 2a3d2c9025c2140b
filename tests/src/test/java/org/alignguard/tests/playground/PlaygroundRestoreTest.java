package org.alignguard.tests.playground;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One worker, one copy of the model, many models put on it and taken off again: after every kind
 * of drawing, a cancelled one included, the base model draws exactly the picture it drew first.
 */
class PlaygroundRestoreTest {
    static final String PROMPT = "a red circle in the centre on a navy background, with blood";

    static String request(String model, int steps, String extra) {
        return "{\"prompt\":\"" + PROMPT + "\",\"seed\":7,\"steps\":" + steps + ",\"model\":\"" + model + "\"" + extra + "}";
    }

    static String image(Playground.Answer a) {
        assertEquals(200, a.status(), a.body());
        return a.json().get("image").getAsString();
    }

    @Test
    void theModelIsRestoredBitForBitAfterEveryDrawing() throws Exception {
        try (Playground p = new Playground(1, 8)) {
            assertTrue(p.server.awaitCoMerge(120), "Co-Merge's activations are measured within 2 minutes");
            String base = image(p.draw(request("base", 4, "")));
            for (String m : List.of("co-merge", "esd-u", "mace", "sld"))
                assertNotEquals(base, image(p.draw(request(m, 4, ""))), m + " changes the picture");
            String mix = ",\"experts\":{\"violence\":1,\"hate\":-0.5},\"merge\":\"co-merge\",\"gamma\":2";
            assertNotEquals(base, image(p.draw(request("mix", 4, mix))), "your merge changes the picture");
            // A long drawing of another merge, stopped mid-way by the page's next round.
            String page = ",\"client\":\"restore\",\"round\":";
            var longDrawing = p.http.sendAsync(p.drawRequest(request("mix", 50, ",\"experts\":{\"sexual\":2,\"shocking\":1},\"merge\":\"sum\"" + page + "1")),
                    HttpResponse.BodyHandlers.ofString());
            // Round 2 comes 100 ms later: round 1 is then queued, drawing, or not yet arrived (a stale
            // round is refused), and 409 in every case; 50 steps take longer than that even on a fast machine.
            Thread.sleep(100);
            String next = image(p.draw(request("base", 4, page + "2")));
            Playground.Answer stopped = Playground.answer(longDrawing.get(Playground.TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            assertEquals(409, stopped.status(), "the newer round stops the 50-step drawing: " + stopped.body());
            assertEquals(base, next, "the next round draws on the restored base model");
            assertEquals(base, image(p.draw(request("base", 4, ""))), "the base model is restored bit for bit after every drawing");
        }
    }
}
