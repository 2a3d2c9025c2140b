package org.alignguard.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.alignguard.data.DataSplit;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.SynonymPolicy;
import org.alignguard.diffusion.world.Words;
import org.alignguard.diffusion.world.World;
import org.junit.jupiter.api.Test;

/** MACE's prompt pairs and the token positions each stage uses. */
class MacePromptsTest {
    private static final Scene SCENE = new Scene(0, 0, 0, 0, Scene.NONE);

    @Test
    void aOneWordConceptAgainstATwoWordAnchorKeepsPrefixAndRightAlignedSuffix() {
        // tokens: 0 <bos> 1 a 2 red 3 circle 4 with 5 gun 6 on 7 the 8 left 9 <eos> 10 11 <pad>
        // anchor: 0 <bos> 1 a 2 red 3 circle 4 with 5 peace 6 sign 7 on 8 the 9 left 10 <eos> 11 <pad>
        MacePrompts.Pair p = MacePrompts.Pair.of("A red circle with gun on the left.", "gun", "a red circle with peace sign on the left", "peace sign", SCENE);
        assertEquals(5, p.start());
        assertEquals(6, p.end());
        assertEquals(7, p.anchorEnd());
        assertEquals(10, p.length());
        int[][] want = {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}, {6, 7}, {7, 8}, {8, 9}, {9, 10}, {10, 11}};   // 11 -> 12 is past the end
        assertArrayEquals(want, p.surrounding(12));
        assertArrayEquals(new int[] {5, 9, 10, 11}, p.conceptColumns(12), "the phrase, <eos> and the padding");
    }

    @Test
    void aTwoWordConceptAgainstAOneWordAnchorShiftsTheSuffixLeft() {
        // tokens: 0 <bos> 1 hate 2 symbol 3 on 4 a 5 navy 6 backdrop 7 <eos> 8 9 <pad>; anchor: 0 <bos> 1 news 2 on ... 6 <eos> 7 8 9 <pad>
        // "symbol" is the concept's, although a shorter anchor ("peace symbol") would share it: the phrase is found whole.
        MacePrompts.Pair p = MacePrompts.Pair.of("hate symbol on a navy backdrop", "hate symbol", "news on a navy backdrop", "news", SCENE);
        assertEquals(1, p.start());
        assertEquals(3, p.end());
        assertEquals(2, p.anchorEnd());
        int[][] want = {{0, 0}, {3, 2}, {4, 3}, {5, 4}, {6, 5}, {7, 6}, {8, 7}, {9, 8}};
        assertArrayEquals(want, p.surrounding(10));
        assertArrayEquals(new int[] {1, 2, 7, 8, 9}, p.conceptColumns(10));
        MacePrompts.Pair shared = MacePrompts.Pair.of("a hate symbol", "hate symbol", "a peace symbol", "peace symbol", SCENE);
        assertArrayEquals(new int[][] {{0, 0}, {1, 1}, {4, 4}}, shared.surrounding(5), "'symbol' is not a surrounding word");
    }

    @Test
    void captionsThatDifferElsewhereAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> MacePrompts.Pair.of("a red circle with gun", "gun", "a blue circle with tool", "tool", SCENE));
    }

    @Test
    void pairsUseTrainingSynonymsOnTrainScenesAndDifferOnlyInThePhrase() {
        World world = World.load();
        Concept weapon = world.concepts().stream().filter(c -> c.name().equals("weapon")).findFirst().orElseThrow();
        Concept twin = world.concept(weapon.counterpart());
        List<MacePrompts.Pair> pairs = MacePrompts.pairs(world, weapon, twin, 30, 7, 24);
        assertEquals(30, pairs.size());
        String heldOut = weapon.synonyms(SynonymPolicy.HELD_OUT).getFirst().text();
        for (MacePrompts.Pair p : pairs) {
            assertEquals(DataSplit.TRAIN, DataSplit.of(p.scene()), p.prompt());
            assertEquals(weapon.index(), p.scene().concept(), "the scene carries the concept's mark");
            List<String> w = Words.split(p.prompt());
            String phrase = String.join(" ", w.subList(p.start() - 1, p.end() - 1));
            assertTrue(Erasure.trainingPhrases(weapon).contains(phrase), phrase);
            assertFalse(w.contains(heldOut), p.prompt());
            assertTrue(p.length() <= 24 && p.length() + p.anchorEnd() - p.end() <= 24, "fits the encoder: " + p.prompt());
        }
        assertEquals(pairs, MacePrompts.pairs(world, weapon, twin, 30, 7, 24), "deterministic from the seed");
        assertTrue(pairs.stream().map(MacePrompts.Pair::prompt).distinct().count() > 25, "varied captions");
    }

    @Test
    void thePreservationCacheNeverNamesAnErasedConcept() {
        World world = World.load();
        Erasure e = Erasure.named(world, List.of("weapon", "nudity"));
        List<String> cache = MacePrompts.preservation(e, 50, 3);
        assertTrue(cache.size() > 50 + e.kept().size(), "benign captions, kept phrases and kept concepts' captions: " + cache.size());
        for (String prompt : cache)
            for (Concept c : e.erased())
                for (var s : c.synonyms()) assertFalse((" " + Words.normalize(prompt) + " ").contains(" " + s.text() + " "), prompt + " names " + s.text());
        assertTrue(cache.stream().anyMatch(p -> Words.split(p).contains("tool")), "the safe twin is kept");
    }
}
