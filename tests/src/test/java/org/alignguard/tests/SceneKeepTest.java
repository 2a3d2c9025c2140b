package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptPair;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Renderer;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.DpoTrainer;
import org.alignguard.dpo.SceneMask;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scene keep ν·‖K ⊙ (f_θ − f_ref)‖²/ΣK on the losers (DpoTrainer): its mask cuts out exactly the
 * mark grown by one pixel and never the object, and training with it leaves the loser's prediction
 * off the mark closer to the frozen model's than training without it.
 */
class SceneKeepTest {
    @TempDir static Path dir;
    static TextToImageModel model;
    static PreferenceSet pairs;

    @BeforeAll
    static void tinyModelAndPairs() throws Exception {
        model = TextToImageModel.load(AlignmentRunTest.tinyModel(dir)).model();
        PromptWriter writer = new PromptWriter(model.world());
        List<PromptPair> list = new ArrayList<>();
        for (int i = 0; i < 4; i++) list.add(writer.trainingPair("violence", i, 7));
        int s = model.imageSize();
        // Losers: the renders of the pairs' unsafe scenes, winners: the same scenes with the twin's mark.
        Renderer r = new Renderer(model.world(), s);
        List<Scene> w = new ArrayList<>(), l = new ArrayList<>();
        for (PromptPair p : list) {
            w.add(p.scene().withConcept(model.world().concept(p.safeConcept()).index()));
            l.add(p.scene().withConcept(model.world().concept(p.unsafeConcept()).index()));
        }
        pairs = new PreferenceSet(list, r.renderBatch(w), r.renderBatch(l));
    }

    @Test
    void theMaskCutsOutTheGrownMarkAndNeverTheObject() {
        World world = World.load();
        int size = 32;
        Renderer r = new Renderer(world, size);
        int checked = 0;
        for (var c : world.concepts()) {
            Scene scene = new Scene(1, 1, 0, 4 % world.positions().size(), Scene.NONE);
            boolean[] mark = r.markMask(scene.withConcept(c.index())), object = r.objectMask(scene);
            float[] keep = SceneMask.keep(r, scene, c.index(), size);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++) {
                    boolean near = false;
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++) {
                            int yy = y + dy, xx = x + dx;
                            if (yy >= 0 && yy < size && xx >= 0 && xx < size && mark[yy * size + xx]) near = true;
                        }
                    assertEquals(near ? 0f : 1f, keep[y * size + x], c.name() + " at " + x + "," + y);
                    if (object[y * size + x]) assertEquals(1f, keep[y * size + x], "the object is always kept: " + c.name());
                }
            float[] onObject = SceneMask.of(SceneMask.OBJECT, r, scene, c.index(), size);
            for (int i = 0; i < size * size; i++) assertEquals(object[i] ? 1f : 0f, onObject[i], "the object region is the object's pixels");
            checked++;
        }
        assertTrue(checked >= 2);
        float[] first = SceneMask.keep(r, new Scene(1, 1, 0, 0, Scene.NONE), world.concepts().get(0).index(), size);
        assertTrue(sum(first) < size * size, "a mark is cut out");
    }

    @Test
    void itHoldsTheLosersSceneAsTheFrozenModelDrawsIt() throws Exception {
        double without = drift(0f), with = drift(50f);
        System.out.printf("loser prediction off the mark, mean squared change from the frozen model: ν = 0 %.3e, ν = 50 %.3e%n", without, with);
        assertTrue(with < 0.5 * without, "ν = 50: " + with + " against ν = 0: " + without);
    }

    /** Trains with weight ν, then the masked mean squared gap between LoRA on and off on fixed noisy losers. */
    static double drift(float nu) throws Exception {
        DpoConfig cfg = new DpoConfig(2000f, 1e-2f, 0, 30, 4, 1f, 0f, 4, 0f, 5, 50, 0, 0f, 0f, 0f, nu, SceneMask.OFF_MARK);
        var r = new DpoTrainer(model, pairs, (PreferenceSet) null, cfg).train(null, false, Map.of(), ProgressListener.NONE, "test", null);
        try {
            int n = pairs.size(), s = model.imageSize(), plane = s * s;
            Renderer renderer = new Renderer(model.world(), s);
            float[] mask = new float[n * 3 * plane];
            for (int i = 0; i < n; i++) {
                var p = pairs.pairs().get(i);
                float[] one = SceneMask.keep(renderer, p.scene(), model.world().concept(p.unsafeConcept()).index(), s);
                for (int c = 0; c < 3; c++) System.arraycopy(one, 0, mask, (i * 3 + c) * plane, plane);
            }
            DDPMScheduler fwd = new DDPMScheduler(model.schedule);
            int[] t = new int[n];
            Arrays.fill(t, 400);
            Tensor xt = fwd.addNoise(pairs.losers(), Tensor.randn(new Rng(21), pairs.losers().shape()), t);
            List<String> prompts = pairs.pairs().stream().map(PromptPair::unsafePrompt).toList();
            float[] on, off;
            try (var scope = Grad.noGrad()) {
                Variable ctx = model.encode(prompts);
                on = model.unet.forward(Variable.constant(xt), t, ctx).data().toArray();
                r.lora().setEnabled(false);
                off = model.unet.forward(Variable.constant(xt), t, ctx).data().toArray();
                r.lora().setEnabled(true);
            }
            double num = 0, den = 0;
            for (int i = 0; i < on.length; i++) {
                num += mask[i] * (on[i] - off[i]) * (on[i] - off[i]);
                den += mask[i];
            }
            return num / den;
        } finally {
            r.lora().detach();
        }
    }

    static float sum(float[] v) {
        float s = 0;
        for (float x : v) s += x;
        return s;
    }
}
