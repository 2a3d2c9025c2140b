package org.alignguard.attacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptPair;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.Renderer;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adversarial DPO's data: each finding carried into the category's training scenes, as (bare render, marked loser) pairs. */
class AdversarialPairsTest {
    static final World WORLD = World.load();
    static final int S = 16, PER = 3 * S * S;

    /** Eight training pairs of one category; loser i is filled with the value i, so the test can tell which row a pair took. */
    static PreferenceSet data(String category) {
        PromptWriter w = new PromptWriter(WORLD);
        List<PromptPair> pairs = new ArrayList<>();
        float[] losers = new float[8 * PER], winners = new float[8 * PER];
        for (int i = 0; i < 8; i++) {
            pairs.add(w.trainingPair(category, i, 7));
            java.util.Arrays.fill(losers, i * PER, (i + 1) * PER, i);
            java.util.Arrays.fill(winners, i * PER, (i + 1) * PER, -1 - i);
        }
        return new PreferenceSet(pairs, Tensor.of(winners, 8, 3, S, S), Tensor.of(losers, 8, 3, S, S));
    }

    static String file(String attack, String... found) {
        return "{\"model\":\"m\",\"attack\":\"" + attack + "\",\"budget\":{},\"found\":[" + String.join(",", found) + "]}";
    }

    static String found(String concept, long seed, String prompt, String words) {
        return "{\"concept\":\"" + concept + "\",\"seed\":" + seed + ",\"prompt\":\"" + prompt + "\"," + words
                + "\"start\":1.0,\"end\":0.5,\"spent\":10,\"seconds\":0.1}";
    }

    @Test void everyFindingOfTheCategoryBecomesPairsOfBareRenderAndMarkedLoser(@TempDir Path dir) throws Exception {
        PreferenceSet data = data("violence");
        String concept = data.pairs().get(0).unsafeConcept();
        Concept c = WORLD.concept(concept);
        Concept other = WORLD.unsafeConcepts().stream().filter(k -> !k.category().equals("violence")).findFirst().orElseThrow();
        String neutral = AttackCase.of(WORLD, c, 1000).neutralPrompt();
        Files.writeString(dir.resolve("white-box.json"), file("white-box",
                found(concept, 1000, "alpha beta " + neutral, ""),
                found(other.name(), 1000, "gamma " + AttackCase.of(WORLD, other, 1000).neutralPrompt(), "")));   // another category: skipped
        String word = TextualInversion.pseudoWord(c);
        StringBuilder emb = new StringBuilder();
        for (int j = 0; j < 64; j++) emb.append(j == 0 ? "" : ",").append(j / 100.0);
        Files.writeString(dir.resolve("textual-inversion.json"), file("textual-inversion",
                found(concept, 1000, "anything with " + word, "\"pseudo_words\":{\"" + word + "\":[" + emb + "]},")));

        AdversarialPairs adv = AdversarialPairs.build(WORLD, data, AdversarialPairs.files(dir), 5, 3);

        assertEquals(Map.of("white-box", 5, "textual-inversion", 5), adv.perAttack());
        assertEquals(10, adv.pairs().size());
        assertEquals(List.of(word), List.copyOf(adv.pseudoWords().keySet()));
        assertEquals(0.63f, adv.pseudoWords().get(word).toArray()[63], 1e-6);
        Renderer renderer = new Renderer(WORLD, S);
        CaptionGrammar g = new CaptionGrammar(WORLD);
        SynonymFilter filter = new SynonymFilter(WORLD);
        float[] winners = adv.pairs().winners().toArray(), losers = adv.pairs().losers().toArray();
        for (int i = 0; i < adv.pairs().size(); i++) {
            PromptPair p = adv.pairs().pairs().get(i);
            String q = p.unsafePrompt();
            assertTrue(filter.allows(q), q);
            assertEquals(concept, p.unsafeConcept());
            if (p.id().startsWith("adv-white-box")) {
                assertTrue(q.startsWith("alpha beta "), q);
                assertEquals(p.scene().withoutMark(), g.parse(q.substring("alpha beta ".length())).toScene(), q);   // the rest describes the pair's scene
            } else {
                assertTrue(q.contains(word), q);
            }
            // The winner is the bare scene's render; the loser is the marked image of the same training pair.
            assertArrayEquals(renderer.render(p.scene().withoutMark()), java.util.Arrays.copyOfRange(winners, i * PER, (i + 1) * PER), 0f);
            int row = (int) losers[i * PER];
            assertEquals(p.scene(), data.pairs().get(row).scene());
        }
    }

    /** Every attack names a concept's word alike: two rounds' folders must keep both embeddings, each with its own conditions. */
    @Test void twoRoundsOfTextualInversionKeepBothLearnedWords(@TempDir Path dir) throws Exception {
        PreferenceSet data = data("violence");
        String concept = data.pairs().get(0).unsafeConcept();
        String word = TextualInversion.pseudoWord(WORLD.concept(concept));
        Path[] rounds = {dir.resolve("round1"), dir.resolve("round2")};
        for (int r = 0; r < 2; r++) {
            Files.createDirectories(rounds[r]);
            StringBuilder emb = new StringBuilder();
            for (int j = 0; j < 64; j++) emb.append(j == 0 ? "" : ",").append(r + 1);   // round 1: all ones, round 2: all twos
            Files.writeString(rounds[r].resolve("textual-inversion.json"), file("textual-inversion",
                    found(concept, 2000 + 3 * r, "anything with " + word, "\"pseudo_words\":{\"" + word + "\":[" + emb + "]},")));
        }
        List<Path> files = new ArrayList<>(AdversarialPairs.files(rounds[0]));
        files.addAll(AdversarialPairs.files(rounds[1]));

        AdversarialPairs adv = AdversarialPairs.build(WORLD, data, files, 3, 3);

        String second = word + "v2";
        assertEquals(java.util.Set.of(word, second), adv.pseudoWords().keySet());
        assertEquals(1f, adv.pseudoWords().get(word).toArray()[0]);
        assertEquals(2f, adv.pseudoWords().get(second).toArray()[0]);
        assertEquals(6, adv.pairs().size());
        for (PromptPair p : adv.pairs().pairs()) {
            boolean fromRound2 = p.id().contains("@2003");
            List<String> tokens = List.of(p.unsafePrompt().split("[^a-z0-9]+"));
            assertEquals(fromRound2, tokens.contains(second), p.unsafePrompt());
            assertEquals(!fromRound2, tokens.contains(word), p.unsafePrompt());
        }
        // One folder alone keeps the attack's own name, as before.
        assertEquals(java.util.Set.of(word), AdversarialPairs.build(WORLD, data, AdversarialPairs.files(rounds[1]), 3, 3).pseudoWords().keySet());
    }

    @Test void aFolderWithoutFindingsIsAnErrorThatNamesIt(@TempDir Path dir) {
        var e = assertThrows(java.io.IOException.class, () -> AdversarialPairs.files(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertThrows(java.io.IOException.class, () -> AdversarialPairs.files(dir.resolve("missing")));
    }
}
