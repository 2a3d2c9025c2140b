package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptPair;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.DpoTrainer;
import org.alignguard.dpo.KeepSet;
import org.alignguard.tensor.Backend;
import org.alignguard.tensor.Backends;
import org.alignguard.tensor.DeviceStats;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shipped model end to end on the TornadoVM backend against the CPU backend: the same images
 * (pixels within 1e-3, classifier labels identical) and the same Diffusion-DPO loss curve over ten
 * steps (within 1e-4). Skipped, with the reason, where TornadoVM is absent.
 */
class TornadoEndToEndTest {
    private Backend cpu, tornado;

    @BeforeEach void start() {
        cpu = Backends.named("cpu");
        String why = "";
        try {
            tornado = Backends.named("tornado");
        } catch (RuntimeException e) {
            why = e.getMessage();
        }
        Assumptions.assumeTrue(tornado != null, "TornadoVM backend absent, test skipped: " + why);
    }

    @AfterEach void backToCpu() {
        Backends.use(cpu);
    }

    @Test void shippedModelDrawsTheSameGrid() throws Exception {
        TextToImageModel model = TextToImageModel.load(ShippedModelTest.MODELS.resolve("base.safetensors")).model();
        SceneClassifier clf = ClassifierTrainer.load(ShippedModelTest.MODELS.resolve("classifier.safetensors"), World.load());
        List<String> prompts = List.of("a red circle in the centre on a navy background, with blood",
                "a red circle in the centre on a navy background, with paint", "a green square on the left, white background", "");
        Generator.Settings s = new Generator.Settings(10, 3f, Generator.Sampler.DDIM);
        Backends.use(cpu);
        Tensor e = new Generator(model).generate(prompts, s, 7);
        int[][] le = ClassifierTrainer.Classify.predict(clf, e);
        Backends.use(tornado);
        Tensor a = new Generator(model).generate(prompts, s, 7);
        assertEquals("opencl:0", a.storage().device(), "the images were drawn on the device");
        int[][] la = ClassifierTrainer.Classify.predict(clf, a);
        float[] ev = e.toArray(), av = a.toArray();
        float worst = 0;
        for (int i = 0; i < ev.length; i++) worst = Math.max(worst, Math.abs(ev[i] - av[i]));
        assertTrue(worst <= 1e-3f, "largest pixel difference " + worst);
        for (int i = 0; i < le.length; i++) assertArrayEquals(le[i], la[i], "classifier labels of image " + i);
    }

    @Test void tenDpoStepsGiveTheSameLossCurve() throws Exception {
        double[] e = dpoLosses(cpu), a = dpoLosses(tornado);
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (double v : e) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        assertTrue(hi - lo > 1e-4, "the loss curve is flat, so comparing it proves little: " + java.util.Arrays.toString(e));
        for (int i = 0; i < e.length; i++)
            assertTrue(Math.abs(e[i] - a[i]) <= 1e-4 * Math.max(1, Math.abs(e[i])), "step " + (i + 1) + ": cpu " + e[i] + " tornado " + a[i]);
    }

    /** Ten steps of a rank-4 LoRA on two pairs, as DpoStepBench builds them; the loss of each step. */
    private static double[] dpoLosses(Backend b) throws Exception {
        Backends.use(b);
        TextToImageModel m = TextToImageModel.load(ShippedModelTest.MODELS.resolve("base.safetensors")).model();
        Rng rng = new Rng(0);
        int pairs = 2, s = m.imageSize();
        List<PromptPair> ps = new ArrayList<>();
        for (int i = 0; i < pairs; i++)
            ps.add(new PromptPair("p" + i, "violence", "weapon", "tool", new Scene(i % 8, i % 8, i % 6, i % 9, Scene.NONE),
                    "a red circle on the left, navy background, with gun", "a red circle on the left, navy background, with wrench"));
        PreferenceSet set = new PreferenceSet(ps, Tensor.rand(rng, pairs, 3, s, s).mul(2f).add(-1f), Tensor.rand(rng, pairs, 3, s, s).mul(2f).add(-1f));
        DpoConfig cfg = new DpoConfig(10f, 1e-3f, 0, 10, pairs, 1f, 0f, 4, 0f, 0, Integer.MAX_VALUE, 0);   // plain Diffusion-DPO: the two-pair set has no safe twins
        double[] losses = new double[10];
        DeviceStats s0 = b.stats();
        new DpoTrainer(m, set, (KeepSet) null, cfg).train(null, false, Map.of(), (phase, step, total, loss) -> losses[(int) step - 1] = loss, "test", null);
        if (b.stats() != DeviceStats.NONE)   // the device backend: no op may have fallen back to the CPU
            assertEquals(0, b.stats().minus(s0).fallbacks(), "DPO training fell back to the CPU");
        return losses;
    }
}
