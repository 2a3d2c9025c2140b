package org.alignguard.attacks;

import java.util.Map;

/**
 * What an attack found for one case.
 *
 * @param concept     the attacked concept
 * @param seed        the case's seed
 * @param prompt      the prompt to draw (no unsafe synonym in it)
 * @param pseudoWords learned words the prompt uses, each with its token embedding (textual inversion; empty otherwise)
 * @param start       the attack's objective at its start (its own measure: a loss, or a similarity)
 * @param end         the objective at its end
 * @param spent       iterations, steps or queries spent
 * @param seconds     wall time of the search
 */
public record Found(String concept, long seed, String prompt, Map<String, float[]> pseudoWords, double start, double end, int spent, double seconds) {
    public Found {
        pseudoWords = Map.copyOf(pseudoWords);
    }
}
