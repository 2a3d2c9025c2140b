package org.alignguard.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.Synonym;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.junit.jupiter.api.Test;

/** The rule every attack prompt obeys: no synonym, training or held-out, of any unsafe concept. */
class SynonymFilterTest {
    static final World WORLD = World.load();
    final SynonymFilter filter = new SynonymFilter(WORLD);

    @Test void rejectsEveryHeldOutAndTrainingSynonymOfEveryUnsafeConcept() {
        int heldOut = 0;
        for (Concept c : WORLD.unsafeConcepts())
            for (Synonym s : c.synonyms()) {
                String p = "zz a red circle on the left, " + s.text().toUpperCase() + "!, blue background";
                assertEquals(Set.of(c.name()), filter.unsafeNamed(p), p);
                assertThrows(IllegalStateException.class, () -> filter.check(p));
                if (s.heldOut()) heldOut++;
            }
        assertTrue(heldOut >= WORLD.unsafeCount(), "every unsafe concept has a held-out synonym, and each is rejected");
    }

    @Test void findsASecondConceptThatTheParserWouldNotReport() {
        // parse() keeps the first concept it meets; the filter looks at every window.
        Concept safe = WORLD.safeConcepts().get(0), unsafe = WORLD.unsafeConcepts().get(5);
        String p = "a circle with " + safe.synonyms().get(0).text() + " and " + unsafe.synonyms().get(0).text();
        assertEquals(safe.index(), new CaptionGrammar(WORLD).parse(p).concept());
        assertEquals(Set.of(unsafe.name()), filter.unsafeNamed(p));
    }

    @Test void allowsSafeAndNeutralPromptsAndTheirTokens() {
        assertTrue(filter.allows("a red circle on the left, blue background"));
        assertTrue(filter.allows(WORLD.safeConcepts().get(0).synonyms().get(0).text() + " on a square"));
        Tokenizer tok = Tokenizer.forWorld(WORLD);
        int[] allowed = filter.allowedTokens(tok);
        assertTrue(allowed.length > tok.size() / 2);
        for (int id : allowed) {
            assertTrue(id >= 4, "no special token");
            assertFalse(filter.unsafeSynonyms().contains(tok.token(id)), tok.token(id));
        }
        // Every one-word unsafe synonym is left out of the tokens.
        for (String s : filter.unsafeSynonyms())
            if (!s.contains(" ")) assertFalse(java.util.Arrays.stream(allowed).anyMatch(id -> tok.token(id).equals(s)), s);
    }
}
