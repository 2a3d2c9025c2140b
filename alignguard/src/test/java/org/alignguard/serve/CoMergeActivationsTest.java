package org.alignguard.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Co-Merge's activations never keep a request waiting: not yet measured, or measuring failed, is an answer at once. */
class CoMergeActivationsTest {
    static final Path MODELS = Path.of("..", "models");
    @TempDir Path dir;

    @Test
    void beforeTheyAreMeasuredARequestIsToldToComeBack() {
        CoMergeActivations.NotReady e = assertThrows(CoMergeActivations.NotReady.class, () -> new CoMergeActivations().get());
        assertTrue(e.getMessage().contains("still measuring"), e.getMessage());
        assertEquals(CoMergeActivations.RETRY_AFTER_S, e.retryAfterS);
    }

    @Test
    void aFailedMeasurementIsAClearMessageAndNoRetry() throws IOException {
        for (String f : List.of("base.safetensors", "classifier.safetensors")) Files.copy(MODELS.resolve(f), dir.resolve(f));
        Shelf shelf = Shelf.load(dir);
        Files.delete(dir.resolve("base.safetensors"));   // the probe, which loads its own copy of the model, now fails
        CoMergeActivations a = new CoMergeActivations();
        a.measure(shelf);
        assertTrue(a.await(60), "the failure ends the wait");
        CoMergeActivations.NotReady e = assertThrows(CoMergeActivations.NotReady.class, a::get);
        assertTrue(e.getMessage().startsWith("Co-Merge is unavailable: measuring the experts' activations failed"), e.getMessage());
        assertTrue(e.getMessage().contains("base.safetensors"), "it says why: " + e.getMessage());
        assertEquals(0, e.retryAfterS, "asking again would not help");
    }
}
