package org.alignguard.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.ParsedPrompt;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.Synonym;
import org.alignguard.diffusion.world.World;
import org.alignguard.eval.EvalPrompt;
import org.alignguard.eval.EvalSets;
import org.junit.jupiter.api.Test;

/** The train/test split: no scene and no prompt shared (CoProV2's official split shares ~700 prompts). */
class DataSplitTest {
    static final World WORLD = World.load();
    static final PromptWriter WRITER = new PromptWriter(WORLD);
    static final CaptionGrammar GRAMMAR = new CaptionGrammar(WORLD);

    /** What the benign part of a prompt names, as a scene without a mark. */
    static Scene sceneOf(String prompt) {
        ParsedPrompt p = GRAMMAR.parse(prompt);
        assertTrue(p.complete(), "the prompt names every attribute: " + prompt);
        return p.toScene().withoutMark();
    }

    @Test
    void noSceneAndNoPromptIsSharedBetweenTrainingPairsAndTestPrompts() {
        Set<Scene> trainScenes = new HashSet<>();
        Set<String> trainPrompts = new HashSet<>();
        for (String c : WRITER.categoryNames())
            for (int i = 0; i < 300; i++) {
                PromptPair p = WRITER.trainingPair(c, i, 0);
                assertEquals(p.scene(), sceneOf(p.unsafePrompt()), "the pair's scene is what its prompt says");
                trainScenes.add(p.scene());
                trainPrompts.add(p.unsafePrompt());
                trainPrompts.add(p.safePrompt());
            }
        List<EvalPrompt> tests = EvalSets.standard(WRITER, WRITER.categoryNames(), 150, 300, 0);
        int checked = 0;
        for (EvalPrompt t : tests) {
            assertFalse(trainPrompts.contains(t.prompt()), "test prompt also in training: " + t.prompt());
            assertFalse(trainScenes.contains(sceneOf(t.prompt())), "test scene also in training: " + t.prompt());
            checked++;
        }
        assertEquals(7 * 150 * 3 + 300, checked);
        assertTrue(trainScenes.size() > 1000, "training covers many scenes: " + trainScenes.size());
    }

    @Test
    void heldOutSynonymsNeverAppearInTrainingPairsButDoInTheHeldOutSet() {
        Set<String> heldOut = new HashSet<>();
        for (Concept c : WORLD.concepts()) for (Synonym s : c.synonyms()) if (s.heldOut()) heldOut.add(s.text());
        for (String c : WRITER.categoryNames())
            for (int i = 0; i < 200; i++) {
                PromptPair p = WRITER.trainingPair(c, i, 3);
                for (String h : heldOut) {
                    assertFalse(containsPhrase(p.unsafePrompt(), h), h + " in " + p.unsafePrompt());
                    assertFalse(containsPhrase(p.safePrompt(), h), h + " in " + p.safePrompt());
                }
            }
        int seen = 0;
        for (EvalPrompt t : EvalSets.standard(WRITER, WRITER.categoryNames(), 20, 0, 0))
            if (t.set().equals(EvalPrompt.HELD_OUT)) {
                assertTrue(heldOut.stream().anyMatch(h -> containsPhrase(t.prompt(), h)), t.prompt());
                seen++;
            }
        assertEquals(140, seen);
    }

    static boolean containsPhrase(String prompt, String phrase) {
        String words = " " + String.join(" ", org.alignguard.diffusion.world.Words.split(prompt)) + " ";
        return words.contains(" " + phrase + " ");
    }

    @Test
    void theSafePromptIsTheUnsafeOneWithTheConceptSwapped() {
        for (String c : WRITER.categoryNames())
            for (int i = 0; i < 30; i++) {
                PromptPair p = WRITER.trainingPair(c, i, 1);
                ParsedPrompt u = GRAMMAR.parse(p.unsafePrompt()), s = GRAMMAR.parse(p.safePrompt());
                Concept uc = WORLD.concept(u.concept()), sc = WORLD.concept(s.concept());
                assertTrue(uc.unsafe() && !sc.unsafe() && uc.counterpart() == sc.index(), p.toString());
                assertEquals(c, uc.category());
                assertEquals(u.toScene().withoutMark(), s.toScene().withoutMark());
                assertNotEquals(p.unsafePrompt(), p.safePrompt());
                List<String> uw = org.alignguard.diffusion.world.Words.split(p.unsafePrompt()), sw = org.alignguard.diffusion.world.Words.split(p.safePrompt());
                int same = 0;
                while (same < Math.min(uw.size(), sw.size()) && uw.get(same).equals(sw.get(same))) same++;
                int tail = 0;
                while (tail < Math.min(uw.size(), sw.size()) - same && uw.get(uw.size() - 1 - tail).equals(sw.get(sw.size() - 1 - tail))) tail++;
                assertTrue(uw.size() - same - tail <= 3 && sw.size() - same - tail <= 3, "only the concept phrase differs: " + p);
            }
    }

    @Test
    void sameSeedSamePromptsAndUnknownCategoriesAreRefused() {
        assertEquals(WRITER.trainingPair("violence", 5, 9), WRITER.trainingPair("violence", 5, 9));
        assertNotEquals(WRITER.trainingPair("violence", 5, 9), WRITER.trainingPair("violence", 5, 10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WRITER.trainingPair("violense", 0, 0));
        assertTrue(e.getMessage().contains("violense") && e.getMessage().contains("violence"), e.getMessage());
    }

    @Test
    void splitIsAboutOneInFiveOfTheNonBenignScenes() {
        int test = 0, train = 0;
        for (int s = 0; s < WORLD.shapes().size(); s++)
            for (int c = 0; c < WORLD.colours().size(); c++)
                for (int b = 0; b < WORLD.backgrounds().size(); b++)
                    for (int p = 0; p < WORLD.positions().size(); p++) {
                        DataSplit d = DataSplit.of(new Scene(s, c, b, p, Scene.NONE));
                        if (d == DataSplit.TEST) test++;
                        if (d == DataSplit.TRAIN) train++;
                    }
        double share = (double) test / (test + train);
        assertTrue(share > 0.15 && share < 0.25, "test share " + share);
    }
}
