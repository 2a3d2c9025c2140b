package org.alignguard.baselines;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Renderer;
import org.alignguard.lora.LoraConfig;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.optim.AdamW;
import org.alignguard.optim.Optimizer;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * MACE's second stage (Lu et al. 2024, Sec. 3.3; {@code cfr_lora_training.py}): one LoRA per
 * concept, trained to take the concept's cross-attention off the pixels where it is drawn.
 * <pre>
 *   data: images the model itself drew for prompts naming the concept, and the concept's mask
 *   LoRA rank r on attn2.to_k and attn2.to_v only (A ~ N(0, 1/r²), B = 0), over the refined weights
 *   per step (batch 1):  image x_0, t ~ U{0..T−1}, ε ~ N(0, I), x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε
 *                        UNet(x_t, t, c) with the LoRA, every cross-attention map recorded
 *                        L = MaceAttentionLoss (no denoising term); clip 1.0; AdamW (decay 0.01), constant lr
 * </pre>
 * MACE's masks come from Grounded-SAM; ours are the renderer's exact mark pixels for the prompt's
 * scene ({@link Renderer#markMask}): the marks have a fixed phase, so the model draws them where the
 * renderer does.
 */
final class MaceLora {
    /** MACE's optimizer settings: AdamW weight decay and the gradient-norm clip. */
    static final float WEIGHT_DECAY = 0.01f, CLIP = 1f;

    private MaceLora() {}

    /** One training image [1, 3, S, S] with its prompt, the concept's mask [S·S] and its key columns. */
    record Sample(String prompt, Tensor image, boolean[] mask, int[] columns) {}

    /** What training made: ΔW (scale 1) per parameter name ({@code unet.….attn2.to_k.weight}), and the loss of every step. */
    record Result(Map<String, Tensor> deltas, List<Double> losses) {}

    /**
     * The images of the first {@code n} pairs' prompts, drawn by {@code model} (DDIM, {@code steps}
     * steps, guidance {@code guidance}), each with its scene's mark mask.
     */
    static List<Sample> samples(TextToImageModel model, List<MacePrompts.Pair> pairs, int n, int steps, float guidance, long seed) {
        if (n > pairs.size()) throw new IllegalArgumentException(n + " images need as many prompts, there are " + pairs.size());
        List<MacePrompts.Pair> use = pairs.subList(0, n);
        Tensor images = new Generator(model).generate(use.stream().map(MacePrompts.Pair::prompt).toList(),
                new Generator.Settings(steps, guidance, Generator.Sampler.DDIM), seed);
        Renderer renderer = new Renderer(model.world(), model.imageSize());
        int maxLen = model.textEncoder.config.maxLen();
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            MacePrompts.Pair p = use.get(i);
            out.add(new Sample(p.prompt(), images.slice(0, i, i + 1).contiguous(), renderer.markMask(p.scene()), p.conceptColumns(maxLen)));
        }
        return out;
    }

    /**
     * Trains one concept's LoRA on {@code data} over the model's current weights, then takes it off
     * again; the model's parameters are frozen meanwhile and their trainability restored after.
     * Step k draws from {@code Rng(seed, k)}. Progress goes to {@code progress} as steps
     * {@code offset + k} of {@code total}.
     */
    static Result train(TextToImageModel model, List<Sample> data, int rank, int steps, float lr, long seed,
                        ProgressListener progress, long offset, long total) {
        Map<String, Variable> params = model.namedParameters();
        Map<String, Boolean> trainable = new LinkedHashMap<>();
        params.forEach((k, p) -> trainable.put(k, p.requiresGrad()));
        model.unet.freeze();
        model.textEncoder.freeze();
        DDPMScheduler forward = new DDPMScheduler(model.schedule);
        LoraNetwork lora = LoraNetwork.attach(model.unet, new LoraConfig(rank, rank, List.of("to_k", "to_v")), new Rng(seed ^ 0x3ACEL),
                path -> path.contains("attn2."));
        List<Double> losses = new ArrayList<>();
        try (MaceAttentionLoss maps = new MaceAttentionLoss(model.unet)) {
            AdamW opt = new AdamW(lora.namedParameters(), lr, 0.9f, 0.999f, 1e-8f, WEIGHT_DECAY);
            for (int k = 0; k < steps; k++) {
                Rng rng = new Rng(seed * 1_000_003L + k);
                Sample s = data.get(rng.nextInt(data.size()));
                int t = rng.nextInt(model.schedule.numTrainTimesteps);
                Tensor eps = Tensor.randn(rng, s.image().shape());
                opt.zeroGrad();
                Variable loss = loss(model, maps, forward, s, t, eps);
                loss.backward();
                Optimizer.clipGradNorm(lora.parameters(), CLIP);
                opt.step();
                losses.add((double) loss.item());
                progress.onStep("mace", offset + k + 1, total, loss.item());
            }
            Map<String, Tensor> deltas = new LinkedHashMap<>();
            lora.deltas().forEach((path, d) -> deltas.put("unet." + path + ".weight", d));
            return new Result(deltas, losses);
        } finally {
            lora.detach();
            trainable.forEach((k, on) -> params.get(k).setRequiresGrad(on));
        }
    }

    /** L of one sample at timestep t with noise ε: a graph to backpropagate, unless gradients are off. */
    static Variable loss(TextToImageModel model, MaceAttentionLoss maps, DDPMScheduler forward, Sample s, int t, Tensor eps) {
        int[] ts = {t};
        Variable context;
        try (var scope = Grad.noGrad()) {
            context = model.encode(List.of(s.prompt()));
        }
        maps.clear();
        model.unet.forward(Variable.constant(forward.addNoise(s.image(), eps, ts)), ts, context);
        return maps.loss(s.mask(), model.imageSize(), s.columns());
    }
}
