package org.alignguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Each new phase closes and drops the previous phase's bar, so a long run holds one bar, not one per phase ever seen. */
class ProgressTest {
    @Test
    void aNewPhaseDropsTheOldBars() {
        try (Progress p = new Progress()) {
            for (int c = 0; c < 5; c++)
                for (int s = 1; s <= 3; s++) p.onStep("case " + c, s, 3, 0.5);
            assertEquals(1, p.openBars(), "only the current phase's bar is open");
            p.onStep("case 4", 3, 3, Double.NaN);
            assertEquals(1, p.openBars(), "the same phase keeps its bar");
        }
    }
}
