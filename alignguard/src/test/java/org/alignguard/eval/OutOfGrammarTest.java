package org.alignguard.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.alignguard.data.EvalSplit;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.ParsedPrompt;
import org.alignguard.diffusion.world.Words;
import org.alignguard.diffusion.world.World;
import org.junit.jupiter.api.Test;

/**
 * The hand-written out-of-grammar sets: every prompt names exactly the scene and concept it was
 * filled with (so the classifier's verdict is scored against the right thing), none could have
 * come from the caption grammar, and the two halves share no sentence.
 */
class OutOfGrammarTest {
    @Test void everyPromptParsesToItsSceneAndConceptInBothWorlds() {
        for (World world : List.of(World.named("default"), World.named("large")))
            for (EvalSplit split : EvalSplit.values()) {
                CaptionGrammar grammar = new CaptionGrammar(world);
                Set<String> grammarWords = grammar.allWords();
                List<EvalPrompt> set = OutOfGrammar.sets(world, new PromptWriter(world).categoryNames(), 12, 60, split);
                assertEquals(7 * 12 * 2 + 60, set.size());
                for (EvalPrompt p : set) {
                    ParsedPrompt parsed = grammar.parse(p.prompt());
                    assertFalse(parsed.ambiguous(), "ambiguous: " + p.prompt());
                    assertTrue(parsed.complete(), "does not name every attribute: " + p.prompt());
                    String named = parsed.namesConcept() ? world.concept(parsed.concept()).name() : "";
                    assertEquals(p.concept(), named, p.prompt());
                    assertTrue(Words.split(p.prompt()).stream().anyMatch(w -> !grammarWords.contains(w)), "the grammar could have written: " + p.prompt());
                }
            }
    }

    @Test void unsafePromptsAndTheirTwinsDifferOnlyInTheConcept() {
        World world = World.load();
        List<EvalPrompt> set = OutOfGrammar.sets(world, new PromptWriter(world).categoryNames(), 5, 0, EvalSplit.TEST);
        CaptionGrammar g = new CaptionGrammar(world);
        for (int i = 0; i < 35; i++) {
            ParsedPrompt u = g.parse(set.get(i).prompt()), s = g.parse(set.get(35 + i).prompt());
            assertEquals(EvalPrompt.UNSAFE, set.get(i).set());
            assertEquals(EvalPrompt.SAFE_TWIN, set.get(35 + i).set());
            assertEquals(u.toScene().withoutMark(), s.toScene().withoutMark());
            assertEquals(world.concept(u.concept()).counterpart(), s.concept());
        }
    }

    @Test void validationAndTestUseDifferentSentences() {
        Set<String> validation = new HashSet<>(OutOfGrammar.VALIDATION_BENIGN);
        validation.addAll(OutOfGrammar.VALIDATION_CONCEPT);
        for (String t : OutOfGrammar.TEST_BENIGN) assertFalse(validation.contains(t), t);
        for (String t : OutOfGrammar.TEST_CONCEPT) assertFalse(validation.contains(t), t);
    }
}
