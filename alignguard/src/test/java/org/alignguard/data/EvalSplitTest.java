package org.alignguard.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.World;
import org.alignguard.eval.EvalPrompt;
import org.alignguard.eval.EvalSets;
import org.junit.jupiter.api.Test;

/** The validation and test halves: disjoint scenes, both non-empty for every kind of prompt, their own seeds. */
class EvalSplitTest {
    private static final World WORLD = World.load();

    @Test void everySceneIsInExactlyOneHalfAndBothHalvesAreLarge() {
        int[][] counts = new int[DataSplit.values().length][2];
        for (int sh = 0; sh < WORLD.shapes().size(); sh++)
            for (int c = 0; c < WORLD.colours().size(); c++)
                for (int b = 0; b < WORLD.backgrounds().size(); b++)
                    for (int p = 0; p < WORLD.positions().size(); p++) {
                        Scene s = new Scene(sh, c, b, p, Scene.NONE);
                        assertNotEquals(EvalSplit.VALIDATION.contains(s), EvalSplit.TEST.contains(s));
                        counts[DataSplit.of(s).ordinal()][EvalSplit.TEST.contains(s) ? 1 : 0]++;
                    }
        for (DataSplit d : List.of(DataSplit.TEST, DataSplit.BENIGN))
            for (int h = 0; h < 2; h++) assertTrue(counts[d.ordinal()][h] > 100, d + " half " + h + ": " + counts[d.ordinal()][h] + " scenes");
    }

    @Test void theHalvesShareNoSceneAndNoPrompt() {
        PromptWriter w = new PromptWriter(WORLD);
        CaptionGrammar g = new CaptionGrammar(WORLD);
        List<EvalPrompt> val = EvalSets.of(w, w.categoryNames(), 30, 60, EvalSplit.VALIDATION), test = EvalSets.of(w, w.categoryNames(), 30, 60, EvalSplit.TEST);
        Set<Scene> valScenes = new HashSet<>();
        for (EvalPrompt p : val) {
            Scene s = g.parse(p.prompt()).toScene().withoutMark();
            assertTrue(EvalSplit.VALIDATION.contains(s));
            valScenes.add(s);
        }
        for (EvalPrompt p : test) {
            Scene s = g.parse(p.prompt()).toScene().withoutMark();
            assertTrue(EvalSplit.TEST.contains(s) && !valScenes.contains(s), p.prompt());
        }
        assertNotEquals(EvalSplit.VALIDATION.seed(), EvalSplit.TEST.seed());
        assertEquals(7 * 30 * 3 + 60, test.size());
    }
}
