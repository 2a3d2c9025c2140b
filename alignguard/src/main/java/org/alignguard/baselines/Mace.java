package org.alignguard.baselines;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.nn.Linear;
import org.alignguard.tensor.Tensor;

/**
 * MACE: Mass Concept Erasure (Lu et al. 2024, CVPR), in three stages over the layers that read the
 * text:
 * <ol>
 *   <li>{@link MaceRefinement}: a closed-form edit of every {@code attn2.to_k}/{@code to_v} (and our
 *       {@code text_embed}) that sends the words around each concept to what they give around its
 *       anchor, the safe twin;</li>
 *   <li>{@link MaceLora}: on top of it, one rank-r LoRA per concept on {@code attn2.to_k}/{@code to_v},
 *       trained so that the concept's tokens get no attention inside its mask ({@link MaceAttentionLoss});</li>
 *   <li>{@link MaceFusion}: one weight per projection, solved in closed form to do on each concept's
 *       text what that concept's LoRA did, while the preservation prompts keep the original outputs.</li>
 * </ol>
 * The prompts are grammar captions with training synonyms and their safe-twin rewrites
 * ({@link MacePrompts}). The result is a {@link WeightEdit} relative to the original weights; the
 * model is left exactly as it was. Everything random (captions, images, LoRA initialization, batches)
 * comes from {@link Settings#seed}, so the same seed gives the same edit bit for bit.
 */
public final class Mace {
    private Mace() {}

    /**
     * MACE's settings. Its configurations use rank 1, batch 1, 30 prompts and 8 images per concept,
     * 50 LoRA steps at lr 1e-4 (celebrities, art) or 120 at 1e-5 (explicit content), a preservation
     * weight tied to the size of its COCO cache and λ from 0 to 1000. Our model is tiny and learns
     * fast, so the defaults take lr 1e-3 with 50 steps; they are to be tuned on the validation split.
     *
     * @param rank         LoRA rank r (α = r, so ΔW = B·A)
     * @param prompts      prompt pairs per concept (stages 1 and 3)
     * @param images       generated images per concept (stage 2), at most {@code prompts}
     * @param steps        LoRA steps per concept
     * @param lr           AdamW learning rate, constant
     * @param preserve     ρ, the weight of each preservation row in both closed forms
     * @param lambda       λ &gt; 0, the pull towards the weight being edited (MACE's {@code lamb})
     * @param cachePrompts benign captions in the preservation cache (besides the kept phrases and concepts)
     * @param sampleSteps  DDIM steps of the generated images
     * @param guidance     classifier-free guidance of the generated images
     * @param seed         prompts, images, LoRA initialization and batches
     */
    public record Settings(int rank, int prompts, int images, int steps, double lr, double preserve, double lambda,
                           int cachePrompts, int sampleSteps, float guidance, long seed) {
        // Strings, because the command line's annotations need constants.
        public static final String RANK = "1", PROMPTS = "30", IMAGES = "8", STEPS = "50", LR = "1e-3", PRESERVE = "0.1", LAMBDA = "0.1";
        public static final int CACHE_PROMPTS = 300, SAMPLE_STEPS = 20;
        public static final float GUIDANCE = 3f;

        public Settings {
            if (rank < 1) throw new IllegalArgumentException("rank must be positive, got " + rank);
            if (prompts < 1) throw new IllegalArgumentException("prompts must be positive, got " + prompts);
            if (images < 1 || images > prompts) throw new IllegalArgumentException("images must be in 1.." + prompts + " (the prompts), got " + images);
            if (steps < 1) throw new IllegalArgumentException("steps must be positive, got " + steps);
            if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("lr must be a positive number, got " + lr);
            if (!(preserve >= 0) || !Double.isFinite(preserve)) throw new IllegalArgumentException("preserve must be >= 0, got " + preserve);
            if (!(lambda > 0) || !Double.isFinite(lambda)) throw new IllegalArgumentException("lambda must be a positive number, got " + lambda);
            if (cachePrompts < 0) throw new IllegalArgumentException("cache prompts must be >= 0, got " + cachePrompts);
            if (sampleSteps < 1 || !Float.isFinite(guidance)) throw new IllegalArgumentException("sampling needs steps >= 1 and a finite guidance");
        }

        public static Settings defaults(long seed) {
            return new Settings(Integer.parseInt(RANK), Integer.parseInt(PROMPTS), Integer.parseInt(IMAGES), Integer.parseInt(STEPS),
                    Double.parseDouble(LR), Double.parseDouble(PRESERVE), Double.parseDouble(LAMBDA), CACHE_PROMPTS, SAMPLE_STEPS, GUIDANCE, seed);
        }

        public Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("rank", rank);
            m.put("prompts", prompts);
            m.put("images", images);
            m.put("steps", steps);
            m.put("lr", lr);
            m.put("preserve", preserve);
            m.put("lambda", lambda);
            m.put("cache_prompts", cachePrompts);
            m.put("sample_steps", sampleSteps);
            m.put("guidance", guidance);
            m.put("seed", seed);
            return m;
        }
    }

    /** Erases {@code erasure}'s concepts with MACE; the model's weights and modes are as before on return. */
    public static BaselineFile.Made erase(TextToImageModel model, Erasure erasure, Settings s, ProgressListener progress) {
        long t0 = System.nanoTime();
        boolean unetTraining = model.unet.isTraining(), textTraining = model.textEncoder.isTraining();
        try {
            int maxLen = model.textEncoder.config.maxLen();
            List<Concept> concepts = erasure.erased();
            List<List<MacePrompts.Pair>> pairs = new ArrayList<>();
            List<MacePrompts.Pair> all = new ArrayList<>();
            for (Concept c : concepts) {
                pairs.add(MacePrompts.pairs(erasure.world(), c, erasure.safeTwin(c), s.prompts(), s.seed(), maxLen));
                all.addAll(pairs.getLast());
            }
            // MACE draws its training images with the original model, before any edit.
            progress.message("mace: drawing " + s.images() + " images of each of " + concepts.size() + " concept(s)");
            List<List<MaceLora.Sample>> samples = new ArrayList<>();
            for (int i = 0; i < concepts.size(); i++)
                samples.add(MaceLora.samples(model, pairs.get(i), s.images(), s.sampleSteps(), s.guidance(), s.seed() * 31 + i));

            double[][][] prompts = TextLayers.encode(model, all.stream().map(MacePrompts.Pair::prompt).toList());
            double[][][] anchors = TextLayers.encode(model, all.stream().map(MacePrompts.Pair::anchor).toList());
            double[][][] cache = TextLayers.encode(model, MacePrompts.preservation(erasure, s.cachePrompts(), s.seed()));

            progress.message("mace: stage 1, closed-form refinement");
            Map<String, double[][]> original = originalWeights(model);
            Map<String, double[][]> refined = MaceRefinement.refine(model, prompts, anchors, all, cache, s.preserve(), s.lambda());

            List<Map<String, Tensor>> loras = new ArrayList<>();
            WeightEdit.Applied cfr = edit(refined, original).apply(model.namedParameters());
            try {
                long total = (long) concepts.size() * s.steps();
                for (int i = 0; i < concepts.size(); i++) {
                    MaceLora.Result r = MaceLora.train(model, samples.get(i), s.rank(), s.steps(), (float) s.lr(), s.seed() * 1_000_033L + i, progress, (long) i * s.steps(), total);
                    loras.add(r.deltas());
                    progress.message(String.format(java.util.Locale.ROOT, "mace: %s's attention loss %.3f -> %.3f (mean of the first and last tenth of its steps)",
                            concepts.get(i).name(), tenth(r.losses(), true), tenth(r.losses(), false)));
                }
            } finally {
                cfr.restore();
            }

            progress.message("mace: stage 3, closed-form fusion of " + loras.size() + " LoRA(s)");
            double[][] cacheRows = rows(cache);
            List<double[][]> inputs = new ArrayList<>();   // C_i: every position of concept i's prompts
            for (int i = 0, from = 0; i < concepts.size(); from += pairs.get(i).size(), i++)
                inputs.add(rows(java.util.Arrays.copyOfRange(prompts, from, from + pairs.get(i).size())));
            Map<String, double[][]> fused = new LinkedHashMap<>();
            for (String name : TextLayers.crossAttention(model).keySet()) {
                String w = name + ".weight";
                List<double[][]> deltas = loras.stream().map(l -> TextLayers.matrix(l.get(w))).toList();
                fused.put(w, MaceFusion.fuse(refined.get(w), original.get(w), deltas, inputs, cacheRows, s.preserve(), s.lambda()));
            }
            // text_embed has no LoRA: its stage-1 refinement is final.
            if (refined.containsKey(TextLayers.POOLED + ".weight")) fused.put(TextLayers.POOLED + ".weight", refined.get(TextLayers.POOLED + ".weight"));
            return new BaselineFile.Made("mace", erasure, edit(fused, original), GuardSpec.NONE, s.describe(), (System.nanoTime() - t0) / 1e9);
        } finally {
            model.unet.train(unetTraining);
            model.textEncoder.train(textTraining);
        }
    }

    /** The current weights [out][in] of every layer MACE edits, by parameter name. */
    private static Map<String, double[][]> originalWeights(TextToImageModel model) {
        Map<String, double[][]> out = new LinkedHashMap<>();
        TextLayers.crossAttention(model).forEach((name, l) -> out.put(name + ".weight", TextLayers.weight(l)));
        Linear pooled = TextLayers.pooled(model);
        if (pooled != null) out.put(TextLayers.POOLED + ".weight", TextLayers.weight(pooled));
        return out;
    }

    /** W_new − W₀ for every named weight. */
    private static WeightEdit edit(Map<String, double[][]> weights, Map<String, double[][]> original) {
        Map<String, Tensor> d = new LinkedHashMap<>();
        weights.forEach((name, w) -> d.put(name, TextLayers.delta(w, original.get(name))));
        return new WeightEdit(d);
    }

    /** The mean of the first (or last) tenth of the losses, at least one. */
    private static double tenth(List<Double> losses, boolean first) {
        int n = Math.max(1, losses.size() / 10);
        List<Double> part = first ? losses.subList(0, n) : losses.subList(losses.size() - n, losses.size());
        return part.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Every position of every prompt, as rows. */
    private static double[][] rows(double[][][] encoded) {
        List<double[]> out = new ArrayList<>();
        for (double[][] prompt : encoded) out.addAll(List.of(prompt));
        return out.toArray(double[][]::new);
    }
}
