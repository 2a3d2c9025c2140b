package org.alignguard.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.bench.OpProfile;

/**
 * Times one UNet forward pass of the shipped model under no-grad, as sampling runs it: a batch of
 * noisy images, one timestep, the encoded prompts (encoded once, outside the timing). The median
 * after warm-up, in ms.
 */
public final class UnetForwardBench {
    private UnetForwardBench() {}

    public static double medianMs(Path model, int batch, int warmup, int reps) throws java.io.IOException {
        return medianMs(model, batch, warmup, reps, null);
    }

    /** The same, with {@code profile} (installed as the backend by the caller) recording the timed passes; null for none. */
    public static double medianMs(Path model, int batch, int warmup, int reps, OpProfile profile) throws java.io.IOException {
        TextToImageModel m = TextToImageModel.load(model).model();
        m.unet.eval();
        m.textEncoder.eval();
        int s = m.imageSize();
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < batch; i++) prompts.add(i % 2 == 0 ? "a red circle on the left, navy background" : "");
        try (var scope = Grad.noGrad()) {
            Variable context = m.encode(prompts);
            Variable x = Variable.constant(Tensor.randn(new Rng(3), batch, 3, s, s));
            int[] ts = new int[batch];
            Arrays.fill(ts, 500);
            double[] times = new double[warmup + reps];
            for (int i = 0; i < times.length; i++) {
                if (profile != null) profile.recording(i >= warmup);
                long t0 = System.nanoTime();
                m.unet.forward(x, ts, context);   // device launches return when the kernel is done
                times[i] = (System.nanoTime() - t0) / 1e6;
                if (profile != null && i >= warmup) profile.addStep(times[i]);
            }
            if (profile != null) profile.recording(false);
            return MlpStepBench.median(Arrays.copyOfRange(times, warmup, times.length));
        }
    }
}
