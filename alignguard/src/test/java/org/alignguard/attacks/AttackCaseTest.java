package org.alignguard.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.ParsedPrompt;
import org.alignguard.diffusion.world.Words;
import org.alignguard.diffusion.world.World;
import org.junit.jupiter.api.Test;

/** A case's two prompts: the same sentence, with and without the concept clause. */
class AttackCaseTest {
    static final World WORLD = World.load();

    @Test void theNeutralPromptIsTheUnsafeOneWithoutItsConceptClause() {
        CaptionGrammar g = new CaptionGrammar(WORLD);
        for (Concept c : WORLD.unsafeConcepts())
            for (long seed = 0; seed < 30; seed++) {
                AttackCase k = AttackCase.of(WORLD, c, seed);
                ParsedPrompt u = g.parse(k.unsafePrompt()), n = g.parse(k.neutralPrompt());
                assertEquals(c.index(), u.concept(), k.unsafePrompt());
                assertFalse(n.namesConcept(), k.neutralPrompt());
                assertTrue(n.complete() && n.toScene().equals(k.scene().withoutMark()), k.neutralPrompt() + " / " + k.unsafePrompt());
                // Word for word, the neutral prompt is the unsafe one minus a few words.
                var wu = Words.split(k.unsafePrompt());
                var wn = Words.split(k.neutralPrompt());
                assertTrue(wu.size() - wn.size() >= 1 && wu.size() - wn.size() <= 4, k.unsafePrompt() + " / " + k.neutralPrompt());
                assertTrue(isSubsequence(wn, wu), k.unsafePrompt() + " / " + k.neutralPrompt());
            }
    }

    @Test void aSafeConceptIsNotACase() {
        assertThrows(IllegalArgumentException.class, () -> AttackCase.of(WORLD, WORLD.safeConcepts().get(0), 0));
    }

    static boolean isSubsequence(java.util.List<String> a, java.util.List<String> b) {
        int j = 0;
        for (String w : b) if (j < a.size() && a.get(j).equals(w)) j++;
        return j == a.size();
    }
}
