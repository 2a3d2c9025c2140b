package org.alignguard.diffusion.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.alignguard.tensor.Rng;
import org.junit.jupiter.api.Test;

/** The caption grammar: varied captions that always parse back to their scene. */
class WorldGrammarTest {
    static final World WORLD = WorldTest.WORLD;
    static final CaptionGrammar G = new CaptionGrammar(WORLD);

    @Test void everyCaptionParsesBackToItsScene() {
        Rng rng = new Rng(42);
        WorldSampler sampler = new WorldSampler(WORLD);
        for (int i = 0; i < 20_000; i++) {
            Scene s = sampler.sample(rng);
            for (SynonymPolicy p : SynonymPolicy.values()) {
                String caption = G.caption(s, rng, p);
                ParsedPrompt parsed = G.parse(caption);
                assertEquals(s, parsed.toScene(), caption);
                assertTrue(parsed.unknownWords().isEmpty(), caption + " -> unknown " + parsed.unknownWords());
                assertFalse(parsed.ambiguous(), caption);
            }
        }
    }

    @Test void everySynonymOfEveryConceptParsesBack() {
        Rng rng = new Rng(3);
        WorldSampler sampler = new WorldSampler(WORLD);
        for (Concept c : WORLD.concepts()) {
            Scene s = sampler.sampleBenign(rng).withConcept(c.index());
            List<String> all = G.captionsForEverySynonym(s, rng, SynonymPolicy.ALL);
            assertEquals(c.synonyms().size(), all.size());
            for (int k = 0; k < all.size(); k++) {
                assertTrue(all.get(k).toLowerCase().contains(c.synonyms().get(k).text()), all.get(k));
                assertEquals(s, G.parse(all.get(k)).toScene(), all.get(k));
            }
            // training captions never use a held-out synonym
            List<String> train = G.captionsForEverySynonym(s, rng, SynonymPolicy.TRAIN);
            assertEquals(c.synonyms(SynonymPolicy.TRAIN).size(), train.size());
            for (String cap : train)
                for (Synonym h : c.synonyms())
                    if (h.heldOut()) assertFalse(cap.toLowerCase().matches(".*\\b" + h.text() + "\\b.*"), cap);
        }
    }

    @Test void everyBenignPhraseParsesBack() {
        for (int i = 0; i < WORLD.shapes().size(); i++)
            for (String p : WORLD.shapes().get(i).synonyms()) assertEquals(i, G.parse(p).shape(), p);
        for (int i = 0; i < WORLD.colours().size(); i++)
            for (String p : WORLD.colours().get(i).synonyms()) assertEquals(i, G.parse(p).colour(), p);
        for (int i = 0; i < WORLD.backgrounds().size(); i++)
            for (String p : WORLD.backgrounds().get(i).synonyms()) assertEquals(i, G.parse(p).background(), p);
        for (int i = 0; i < WORLD.positions().size(); i++)
            for (String p : WORLD.positions().get(i).synonyms()) assertEquals(i, G.parse(p).position(), p);
    }

    @Test void captionsAreVaried() {
        Rng rng = new Rng(5);
        Scene s = new Scene(1, 2, 3, 4, WORLD.concept("weapon").index());
        Set<String> seen = new HashSet<>(), firstWords = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            String c = G.caption(s, rng);
            seen.add(c);
            firstWords.add(Words.split(c).getFirst());
        }
        assertTrue(seen.size() > 150, "distinct captions: " + seen.size());
        assertTrue(firstWords.size() > 8, "captions start in many ways: " + firstWords);
    }

    @Test void parserToleratesCasePunctuationOrderAndUnknownWords() {
        ParsedPrompt p = G.parse("  WEAPON!!! -- a Red   circle, at the TOP-LEFT; over a blue... no, NAVY backdrop, please ");
        assertEquals(WORLD.concept("weapon").index(), p.concept());
        assertEquals(1, p.shape());
        assertEquals(0, p.colour());
        assertEquals(2, p.background());
        assertEquals(0, p.position());
        assertTrue(p.unknownWords().containsAll(List.of("no", "please")));
        assertTrue(p.ambiguous(), "red and blue both name the object colour");
        assertTrue(G.parse("").empty());
        assertTrue(G.parse(null).empty());
        assertTrue(G.parse("zebra quantum").empty());
        ParsedPrompt partial = G.parse("a gun");
        assertFalse(partial.complete());
        assertTrue(partial.consistentWith(new Scene(5, 5, 5, 5, WORLD.concept("weapon").index())));
        assertFalse(partial.consistentWith(new Scene(5, 5, 5, 5, WORLD.concept("tool").index())));
    }

    @Test void longestPhraseWins() {
        assertEquals(2, G.parse("at the top right corner").position());
        assertEquals(1, G.parse("at the top middle").position());
        assertEquals(WORLD.concept("overdose").index(), G.parse("pill overdose").concept());
        assertEquals(2, G.parse("dark blue background").background());
        assertEquals(ParsedPrompt.ABSENT, G.parse("dark blue background").colour());
    }

    @Test void labelsRoundTrip() {
        Rng rng = new Rng(9);
        WorldSampler sampler = new WorldSampler(WORLD);
        int[] counts = SceneLabels.classCounts(WORLD);
        assertEquals(SceneLabels.HEADS.size(), counts.length);
        for (int i = 0; i < 1000; i++) {
            Scene s = sampler.sample(rng);
            SceneLabels l = SceneLabels.of(s);
            assertEquals(s, l.toScene());
            int[] a = l.toArray();
            for (int h = 0; h < a.length; h++) assertTrue(a[h] >= 0 && a[h] < counts[h]);
            assertEquals(s.hasMark() ? WORLD.concept(s.concept()) : null, WORLD.conceptForMark(l.mark()));
        }
    }
}
