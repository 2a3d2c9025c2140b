package org.alignguard.attacks;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.diffusion.schedule.Scheduler;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * The white-box attack's and textual inversion's objective: the attacked model's denoising loss on
 * images that carry the mark (UnlearnDiffAtk, Zhang et al. 2024, Eq. 3; Gal et al. 2023, Eq. 2),
 * <pre>
 *   L(c) = mean_i ‖ f_θ(x_{t_i}, t_i, c) − y_i ‖²,    x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε
 * </pre>
 * with y = ε or v, whatever the model predicts, and c the text context of the attack's prompt. A
 * low loss means the model, given c, predicts the marked images well: c evokes the mark. A
 * {@link Draw} fixes (t_i, ε_i) for every target image, so candidates compared on one draw see the
 * same noise and only their prompts differ.
 */
final class DenoisingObjective {
    private DenoisingObjective() {}

    /** Noised targets: x_t, t and the regression target y, one row per (image, repeat). */
    record Draw(Tensor xt, int[] t, Tensor target) {
        int rows() { return t.length; }
    }

    /** {@code repeats} draws of (t, ε) for each of the images x0 [n, 3, S, S]. */
    static Draw draw(TextToImageModel model, Tensor x0, Rng rng, int repeats) {
        int n = x0.dim(0), per = x0.numel() / n, rows = n * repeats;
        float[] src = x0.contiguous().toArray(), all = new float[rows * per];
        for (int r = 0; r < repeats; r++) System.arraycopy(src, 0, all, r * n * per, n * per);
        int[] shape = x0.shape().clone();
        shape[0] = rows;
        Tensor clean = Tensor.of(all, shape);
        int[] t = new int[rows];
        for (int i = 0; i < rows; i++) t[i] = rng.nextInt(model.schedule.numTrainTimesteps);
        Tensor eps = Tensor.randn(rng, shape);
        Scheduler fwd = new DDPMScheduler(model.schedule);
        return new Draw(fwd.addNoise(clean, eps, t), t, model.prediction.target(fwd, clean, eps, t));
    }

    /** {@code count} of the images [n, 3, S, S], distinct and picked at random (all of them if count ≥ n). */
    static Tensor pick(Tensor images, int count, Rng rng) {
        int n = images.dim(0);
        if (count >= n) return images;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) order.add(i);
        List<Tensor> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            int i = order.remove(rng.nextInt(order.size()));
            out.add(images.slice(0, i, i + 1));
        }
        return Tensor.concat(out, 0).contiguous();
    }

    /** L for one context [rows, L, dim] (one prompt repeated, or one per row), with gradients if grad mode is on. */
    static Variable loss(TextToImageModel model, Draw d, Variable context) {
        Variable out = model.unet.forward(Variable.constant(d.xt()), d.t(), context);
        return Losses.mse(out, Variable.constant(d.target()));
    }

    /**
     * Each of the k contexts [k, L, dim] repeated {@code rows} times in a row, [k·rows, L, dim]: a
     * lookup of context j for rows j·rows … j·rows + rows − 1, so gradients sum back over the rows.
     * The text encoder then runs once per prompt, not once per image.
     */
    static Variable repeatEach(Variable context, int rows) {
        int[] s = context.shape();
        int k = s[0];
        int[] ids = new int[k * rows];
        for (int j = 0; j < k; j++) java.util.Arrays.fill(ids, j * rows, (j + 1) * rows, j);
        return NNOps.embedding(context.reshape(k, s[1] * s[2]), ids, k * rows).reshape(k * rows, s[1], s[2]);
    }

    /**
     * L for each of several prompts on the same draw, without gradients: prompt k's context is
     * repeated over the draw's rows, and the UNet sees up to {@code chunk} rows at once.
     */
    static double[] losses(TextToImageModel model, Draw d, List<String> prompts, int chunk) {
        int rows = d.rows(), perChunk = Math.max(1, chunk / rows);
        double[] out = new double[prompts.size()];
        try (var scope = Grad.noGrad()) {
            for (int start = 0; start < prompts.size(); start += perChunk) {
                int k = Math.min(perChunk, prompts.size() - start);
                Variable context = repeatEach(model.encode(prompts.subList(start, start + k)), rows);
                Tensor xt = Tensor.concat(java.util.Collections.nCopies(k, d.xt()), 0);
                Tensor target = Tensor.concat(java.util.Collections.nCopies(k, d.target()), 0);
                int[] t = new int[k * rows];
                for (int j = 0; j < k; j++) System.arraycopy(d.t(), 0, t, j * rows, rows);
                float[] per = Losses.perSampleMse(model.unet.forward(Variable.constant(xt), t, context), Variable.constant(target)).data().toArray();
                for (int j = 0; j < k; j++) {
                    double s = 0;
                    for (int r = 0; r < rows; r++) s += per[j * rows + r];
                    out[start + j] = s / rows;
                }
            }
        }
        return out;
    }
}
