package org.alignguard.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptPair;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.DpoTrainer;
import org.alignguard.dpo.KeepSet;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.bench.OpProfile;

/**
 * Times one Diffusion-DPO training step on the shipped UNet, as bench/peers.py's torch twin does:
 * an r = 4 LoRA on the 56 attention projections, 8 pairs, the frozen reference forward with the LoRA
 * off, the policy forward and backward, gradient clipping and AdamW on the LoRA only. The step time
 * is read between the trainer's progress callbacks (the median after warm-up).
 */
public final class DpoStepBench {
    private DpoStepBench() {}

    public static double medianMs(Path model, int pairs, int warmup, int reps) throws java.io.IOException {
        return medianMs(model, pairs, warmup, reps, null);
    }

    /**
     * The same, with {@code profile} (installed as the backend by the caller) recording only the
     * timed steps; null for none.
     */
    public static double medianMs(Path model, int pairs, int warmup, int reps, OpProfile profile) throws java.io.IOException {
        TextToImageModel m = TextToImageModel.load(model).model();
        Rng rng = new Rng(0);
        int s = m.imageSize();
        List<PromptPair> ps = new ArrayList<>();
        for (int i = 0; i < pairs; i++)
            ps.add(new PromptPair("p" + i, "violence", "weapon", "tool", new Scene(i % 8, i % 8, i % 6, i % 9, Scene.NONE),
                    "a red circle on the left, navy background, with gun", "a red circle on the left, navy background, with wrench"));
        PreferenceSet set = new PreferenceSet(ps, Tensor.rand(rng, pairs, 3, s, s).mul(2f).add(-1f), Tensor.rand(rng, pairs, 3, s, s).mul(2f).add(-1f));
        DpoConfig cfg = new DpoConfig(5000f, 1e-4f, 0, warmup + reps, pairs, 1f, 0f, 4, 0f, 0, Integer.MAX_VALUE, 0);
        long[] last = {System.nanoTime()};
        double[] times = new double[warmup + reps];
        ProgressListener timer = (phase, step, total, loss) -> {
            long now = System.nanoTime();
            times[(int) step - 1] = (now - last[0]) / 1e6;
            last[0] = now;
            if (profile != null && step > warmup) profile.addStep(times[(int) step - 1]);
            if (profile != null && step == warmup) profile.recording(true);
        };
        if (profile != null) profile.recording(warmup == 0);
        new DpoTrainer(m, set, (KeepSet) null, cfg).train(null, false, Map.of(), timer, "bench", null).lora().detach();
        if (profile != null) profile.recording(false);
        return MlpStepBench.median(java.util.Arrays.copyOfRange(times, warmup, warmup + reps));
    }
}
