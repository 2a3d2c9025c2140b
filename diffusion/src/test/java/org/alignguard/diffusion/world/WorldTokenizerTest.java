package org.alignguard.diffusion.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.alignguard.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The word-level tokenizer. */
class WorldTokenizerTest {
    static final World WORLD = WorldTest.WORLD;
    static final Tokenizer T = Tokenizer.forWorld(WORLD);

    @Test void vocabularyIsSortedWithSpecialsFirst() {
        List<String> v = T.vocabulary();
        assertEquals(List.of(Tokenizer.PAD, Tokenizer.BOS, Tokenizer.EOS, Tokenizer.UNK), v.subList(0, 4));
        List<String> words = v.subList(4, v.size());
        List<String> sorted = new ArrayList<>(words);
        sorted.sort(null);
        assertEquals(sorted, words);
        assertEquals(v, Tokenizer.forWorld(World.load()).vocabulary(), "deterministic");
        assertTrue(words.containsAll(List.of("weapon", "background", "left", "hoop")));
    }

    @Test void caseAndPunctuationDoNotMatter() {
        assertArrayEquals(T.encode("a red circle, on the left.", 16).ids(), T.encode("A RED Circle on   the LEFT!", 16).ids());
    }

    @Test void unknownWordsBecomeUnk() {
        Tokenizer.Encoding e = T.encode("a zebra circle", 8);
        assertEquals(Tokenizer.UNK_ID, e.ids()[2]);
        assertNotEquals(Tokenizer.UNK_ID, e.ids()[3]);
        assertEquals(5, e.length());
        assertEquals("a <unk> circle", T.decode(e.ids()));
        assertEquals(Tokenizer.UNK_ID, T.encode("日本語", 4).ids()[1]);
    }

    @Test void emptyPromptIsBosEosPad() {
        for (String empty : new String[] {"", "   ", "?!", null}) {
            Tokenizer.Encoding e = T.encode(empty, 5);
            assertArrayEquals(new int[] {Tokenizer.BOS_ID, Tokenizer.EOS_ID, 0, 0, 0}, e.ids());
            assertEquals(2, e.length());
            assertArrayEquals(new float[] {1, 1, 0, 0, 0}, e.attentionMask());
        }
    }

    @Test void longPromptsAreTruncatedAndStillEnd() {
        Tokenizer.Encoding e = T.encode("one two three four five six", 5);
        assertEquals(5, e.ids().length);
        assertEquals(5, e.length());
        assertEquals(Tokenizer.BOS_ID, e.ids()[0]);
        assertEquals(Tokenizer.EOS_ID, e.ids()[4]);
        assertThrows(IllegalArgumentException.class, () -> T.encode("x", 1));
    }

    @Test void everyCaptionIsInVocabulary() {
        Rng rng = new Rng(1);
        CaptionGrammar g = new CaptionGrammar(WORLD);
        WorldSampler sampler = new WorldSampler(WORLD);
        int longest = 0;
        for (int i = 0; i < 5000; i++) {
            int[] ids = T.wordIds(g.caption(sampler.sample(rng), rng));
            for (int id : ids) assertNotEquals(Tokenizer.UNK_ID, id);
            longest = Math.max(longest, ids.length);
        }
        assertTrue(longest + 2 <= 24, "captions fit 24 tokens, longest " + longest);
    }

    @Test void saveAndLoad(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("vocab.txt");
        T.save(f);
        Tokenizer back = Tokenizer.load(f);
        assertEquals(T.vocabulary(), back.vocabulary());
        assertArrayEquals(T.encode("a red circle with gun", 12).ids(), back.encode("a red circle with gun", 12).ids());
        Files.writeString(f, "hello\nworld\n");
        assertThrows(IllegalArgumentException.class, () -> Tokenizer.load(f));
    }
}
