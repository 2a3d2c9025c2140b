package org.alignguard.diffusion.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.alignguard.tensor.Rng;
import org.junit.jupiter.api.Test;

/** Scene sampling: reproducible, with the requested mark odds, covering the vocabulary. */
class WorldSamplerTest {
    static final World WORLD = WorldTest.WORLD;

    @Test void sameSeedSameScenes() {
        WorldSampler s = new WorldSampler(WORLD);
        assertEquals(s.sample(new Rng(11), 100), s.sample(new Rng(11), 100));
    }

    @Test void markOddsAndCoverage() {
        WorldSampler s = new WorldSampler(WORLD);
        Rng rng = new Rng(2);
        int n = 20_000, unsafe = 0, safe = 0;
        boolean[] concepts = new boolean[WORLD.concepts().size()], positions = new boolean[WORLD.positions().size()];
        for (int i = 0; i < n; i++) {
            Scene sc = s.sample(rng);
            positions[sc.position()] = true;
            if (sc.hasMark()) {
                concepts[sc.concept()] = true;
                if (WORLD.concept(sc.concept()).unsafe()) unsafe++;
                else safe++;
            }
        }
        assertEquals(0.5, unsafe / (double) n, 0.02);
        assertEquals(0.25, safe / (double) n, 0.02);
        for (boolean b : concepts) assertTrue(b);
        for (boolean b : positions) assertTrue(b);
        assertThrows(IllegalArgumentException.class, () -> new WorldSampler(WORLD, 0.8, 0.3));
    }
}
