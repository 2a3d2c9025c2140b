package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptPair;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.DpoTrainer;
import org.alignguard.dpo.StepLog;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unsafe-prompt anchor μ·‖f_θ(x_t^w, c_u) − f_ref(x_t^w, c_s)‖² (DpoTrainer). At the first step
 * the LoRA's B is zero, so f_θ is the reference: the logged anchor is then exactly the gap between the
 * frozen model's predictions for the unsafe prompt and for its safe twin on the same noisy winner.
 * With the twin's prompt equal to the unsafe one that gap must vanish, which checks that the extra
 * reference rows line up with the policy's rows (same x_t, same t); with real twins it must not.
 */
class AnchorTermTest {
    @TempDir static Path dir;
    static TextToImageModel model;
    static PreferenceSet twins, same;

    @BeforeAll
    static void tinyModelAndPairs() throws Exception {
        model = TextToImageModel.load(AlignmentRunTest.tinyModel(dir)).model();
        PromptWriter writer = new PromptWriter(model.world());
        List<PromptPair> real = new ArrayList<>(), alike = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            PromptPair p = writer.trainingPair("violence", i, 7);
            real.add(p);
            alike.add(new PromptPair(p.id(), p.category(), p.unsafeConcept(), p.safeConcept(), p.scene(), p.unsafePrompt(), p.unsafePrompt()));
        }
        int s = model.imageSize();
        Rng rng = new Rng(11);
        Tensor w = Tensor.randn(rng, 3, 3, s, s).mul(0.5f), l = Tensor.randn(rng, 3, 3, s, s).mul(0.5f);
        twins = new PreferenceSet(real, w, l);
        same = new PreferenceSet(alike, w, l);
    }

    static List<StepLog> train(PreferenceSet set, float anchor, int steps) throws Exception {
        DpoConfig cfg = new DpoConfig(10f, 1e-2f, 0, steps, 2, 1f, 0f, 2, 0f, 5, 50, 0, 0f, 0f, anchor, 0f, "off-mark");
        var r = new DpoTrainer(model, set, (PreferenceSet) null, cfg).train(null, false, Map.of(), ProgressListener.NONE, "test", null);
        r.lora().detach();
        return r.log();
    }

    @Test
    void atTheFirstStepTheAnchorIsTheGapBetweenTheTwinsPredictions() throws Exception {
        double gap = train(twins, 1f, 1).get(0).anchor();
        double none = train(same, 1f, 1).get(0).anchor();
        System.out.printf("anchor at step 1: twins %.3e, same prompt %.3e%n", gap, none);
        // The untrained tiny model's text barely moves its output, so the gap is small, but far from 0.
        assertTrue(gap > 1e-6, "unsafe prompt and safe twin predict alike: " + gap);
        assertTrue(none < 1e-4 * gap, "the same prompt on the same x_t and t must predict the same: " + none + " against " + gap);
    }

    @Test
    void offMeansNotComputedAndTheDpoStepUnchanged() throws Exception {
        List<StepLog> off = train(twins, 0f, 2), on = train(twins, 1f, 2);
        assertEquals(0.0, off.get(1).anchor());
        // The first step sees the same batch and the same reference either way: the DPO loss agrees.
        assertEquals(off.get(0).loss(), on.get(0).loss(), 1e-6);
        // With the anchor on, the reference runs on extra rows in the same pass: its predictions on
        // the pairs' rows must be the ones the plain pass gives.
        assertEquals(off.get(0).mseRefW(), on.get(0).mseRefW(), 1e-9 * Math.max(1, off.get(0).mseRefW()));
        assertEquals(off.get(0).mseRefL(), on.get(0).mseRefL(), 1e-9 * Math.max(1, off.get(0).mseRefL()));
        // The anchor's gradient changes the second step's weights, hence its loss.
        assertTrue(Math.abs(off.get(1).loss() - on.get(1).loss()) > 1e-7, "the anchor does not reach the LoRA");
    }

    @Test
    void trainingOnTheAnchorAloneClosesTheGap() throws Exception {
        // With β tiny the DPO term's gradient is tiny too, so the steps follow the anchor.
        DpoConfig cfg = new DpoConfig(1e-6f, 3e-2f, 0, 40, 3, 10f, 0f, 4, 0f, 5, 50, 0, 0f, 0f, 100f, 0f, "off-mark");
        var r = new DpoTrainer(model, twins, (PreferenceSet) null, cfg).train(null, false, Map.of(), ProgressListener.NONE, "test", null);
        r.lora().detach();
        List<StepLog> log = r.log();
        double first = 0, last = 0;
        for (int i = 0; i < 10; i++) {
            first += log.get(i).anchor();
            last += log.get(log.size() - 1 - i).anchor();
        }
        assertTrue(last < 0.7 * first, "anchor over the first 10 steps " + first + ", over the last 10 " + last);
    }
}
