package org.alignguard.baselines;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class BlocklistTest {
    private final Predicate<String> block = Blocklist.of(List.of("slur", "hate symbol"));

    @Test void refusesListedPhrasesAsWholeWordsInAnyCase() {
        assertTrue(block.test("A red circle with SLUR!!!"));
        assertTrue(block.test("hate   symbol, navy background"));
        assertFalse(block.test("a slurry of paint"));
        assertFalse(block.test("hate the symbol"), "the words of a phrase must be adjacent");
        assertTrue(block.test("hate, symbol"), "punctuation is not a word");
    }

    @Test void passesWhatItDoesNotList() {
        assertFalse(block.test("a red circle with epithet"));   // a held-out synonym gets through
        assertFalse(block.test(""));
    }
}
