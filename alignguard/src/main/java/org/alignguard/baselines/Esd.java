package org.alignguard.baselines;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.model.UNet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.nn.StateDicts;
import org.alignguard.optim.AdamW;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * ESD-u (Gandikota et al. 2023, "Erasing Concepts from Diffusion Models"), as their script
 * {@code train-esd.py} runs it with {@code train_method='noxattn'}: fine-tune θ, a copy of the frozen
 * θ*, so that its prediction for the concept c is θ*'s negatively guided away from c,
 * <pre>
 *   ε_θ(x_t, c, t)  →  ε_θ*(x_t, t) − η·[ε_θ*(x_t, c, t) − ε_θ*(x_t, t)]
 *
 *   each iteration, B draws (B = 1 as published):
 *     c      ~ U(erased concepts), then U(its training synonyms)
 *     t_enc  ~ U{0, …, n−1},   t ~ U[t_enc·T/n, (t_enc+1)·T/n)            n = ddim_steps
 *     x_t    = DDIM with θ from noise to t, prompt c, CFG start_guidance  (no grad, {@link PartialDdim})
 *     e_0    = θ*(x_t, t, ""),   e_p = θ*(x_t, t, c)                     (no grad)
 *     e_n    = θ(x_t, t, c)
 *     L      = mean (e_n − [e_0 − η·(e_p − e_0)])²,   then an Adam step on the ESD-u weights
 * </pre>
 *
 * <p>In v. The shipped model outputs v; ε = √ᾱ_t·v + √(1−ᾱ_t)·x_t is affine in the output, with
 * the same x_t in all three predictions, so
 * <pre>
 *   e_0 − η(e_p − e_0) = (1+η)e_0 − η·e_p = √ᾱ_t·[v_0 − η(v_p − v_0)] + √(1−ᾱ_t)·x_t
 *   e_n − that         = √ᾱ_t·(v_n − [v_0 − η(v_p − v_0)])
 * </pre>
 * ESD's loss is ᾱ_t times the same loss written on v: the loss here is taken on the model's own
 * output, whatever it predicts (as {@link org.alignguard.dpo.DiffusionDpoLoss} does), with the
 * target {@link #target}; the two objectives differ only by the per-timestep weight ᾱ_t.
 *
 * <p>θ is a copy: the base model's weights are never written, and the result lives only in the
 * returned {@link WeightEdit}. Both copies run without dropout (the shipped UNet has none, nor has SD).
 */
public final class Esd {
    /**
     * @param iterations     Adam steps (ESD: 1000 on SD; ours default 300, tuned on the validation split)
     * @param lr             Adam's learning rate (ESD: 1e-5 on SD's 860M weights; ours 1e-4 for a 1.7M UNet)
     * @param eta            η, ESD's negative_guidance (published 1)
     * @param startGuidance  CFG weight of the partial sampling (published 3)
     * @param ddimSteps      n, the DDIM grid of the partial sampling (ESD: 50; our model samples well at 20)
     * @param batch          (concept, t) draws per iteration (published 1)
     * @param seed           every draw of iteration k comes from Rng(seed, k)
     */
    public record Settings(int iterations, float lr, float eta, float startGuidance, int ddimSteps, int batch, long seed) {
        /** The defaults as text, for the command line's options. */
        public static final String ITERATIONS = "300", LR = "1e-4", ETA = "1", START_GUIDANCE = "3", DDIM_STEPS = "20", BATCH = "1";

        public Settings {
            if (iterations < 1) throw new IllegalArgumentException("ESD: iterations must be positive, got " + iterations);
            if (!(lr > 0) || Float.isInfinite(lr)) throw new IllegalArgumentException("ESD: lr must be a positive number, got " + lr);
            if (!(eta >= 0) || Float.isInfinite(eta)) throw new IllegalArgumentException("ESD: eta must be a number >= 0, got " + eta);
            if (!(startGuidance > 0) || Float.isInfinite(startGuidance)) throw new IllegalArgumentException("ESD: start guidance must be a positive number, got " + startGuidance);
            if (ddimSteps < 1) throw new IllegalArgumentException("ESD: ddim steps must be positive, got " + ddimSteps);
            if (batch < 1) throw new IllegalArgumentException("ESD: batch must be positive, got " + batch);
        }

        public static Settings defaults() {
            return new Settings(Integer.parseInt(ITERATIONS), Float.parseFloat(LR), Float.parseFloat(ETA), Float.parseFloat(START_GUIDANCE),
                    Integer.parseInt(DDIM_STEPS), Integer.parseInt(BATCH), 0);
        }

        public Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("train_method", "noxattn");
            m.put("iterations", iterations);
            m.put("lr", lr);
            m.put("negative_guidance", eta);
            m.put("start_guidance", startGuidance);
            m.put("ddim_steps", ddimSteps);
            m.put("batch", batch);
            m.put("seed", seed);
            return m;
        }
    }

    private Esd() {}

    /**
     * The weights ESD-u trains, by UNet parameter name. {@code noxattn} trains everything but the
     * names that start with {@code out.} (SD's final GroupNorm and conv: our {@code norm_out},
     * {@code conv_out}) or contain {@code attn2} (cross-attention, what ESD-x trains instead) or
     * {@code time_embed}. Our {@code text_embed} adds the pooled text to the timestep embedding, so it
     * counts as part of that embedding and stays frozen too; it also reads the text, which ESD-u
     * leaves alone (its edit acts on the image path, whatever the prompt). The ResNet blocks'
     * {@code time_emb_proj} (SD's {@code emb_layers}) are trained, as in ESD.
     */
    static boolean trains(String name) {
        return !(name.startsWith("norm_out.") || name.startsWith("conv_out.") || name.contains("attn2")
                || name.startsWith("time_embed.") || name.startsWith("text_embed."));
    }

    /** ESD's target in the model's own output: out_0 − η·(out_p − out_0). */
    static Tensor target(Tensor out0, Tensor outP, float eta) {
        return out0.sub(outP.sub(out0).mul(eta));
    }

    /**
     * Runs ESD-u on the training synonyms of the erased concepts and returns θ − θ* over the ESD-u
     * weights (full names, {@code unet.down.1.res.0.conv1.weight}); {@code model} is left as it was.
     */
    public static BaselineFile.Made erase(TextToImageModel model, Erasure erasure, Settings s, ProgressListener progress) {
        long t0 = System.nanoTime();
        if (s.ddimSteps() > model.schedule.numTrainTimesteps)
            throw new IllegalArgumentException("ESD: " + s.ddimSteps() + " DDIM steps exceed the model's " + model.schedule.numTrainTimesteps + " timesteps");
        Prompts prompts = Prompts.encode(model, erasure);
        model.unet.eval();
        UNet theta = copy(model.unet);
        Map<String, Variable> trained = trainable(theta);
        AdamW adam = new AdamW(trained, s.lr(), 0.9f, 0.999f, 1e-8f, 0f);   // no decay: ESD uses torch.optim.Adam
        for (int it = 1; it <= s.iterations(); it++) {
            Draw d = draw(model, theta, prompts, s, new Rng(s.seed() * 1_000_003L + it));
            adam.zeroGrad();
            Variable loss = loss(model, theta, d, s.eta());
            if (!Float.isFinite(loss.item())) throw new IllegalStateException("ESD: the loss is " + loss.item() + " at iteration " + it + "; lower the learning rate");
            loss.backward();
            adam.step();
            progress.onStep("esd-u", it, s.iterations(), loss.item());
        }
        Map<String, Tensor> before = new LinkedHashMap<>(), after = new LinkedHashMap<>();
        Map<String, Variable> base = model.unet.namedParameters();
        trained.forEach((name, p) -> {
            before.put("unet." + name, base.get(name).data());
            after.put("unet." + name, p.data());
        });
        return new BaselineFile.Made("esd-u", erasure, WeightEdit.between(before, after), GuardSpec.NONE, s.describe(), (System.nanoTime() - t0) / 1e9);
    }

    /** A UNet with the same config and its own copy of every weight. */
    static UNet copy(UNet unet) {
        UNet c = new UNet(unet.config, new Rng(0));
        Map<String, Tensor> w = new LinkedHashMap<>();
        unet.stateDict().forEach((k, v) -> w.put(k, Tensor.of(v.toArray(), v.shape())));
        c.loadStateDict(w, true);
        c.eval();
        return c;
    }

    /** Freezes {@code unet} but for the ESD-u weights, and returns those by name. */
    static Map<String, Variable> trainable(UNet unet) {
        unet.freeze();
        Map<String, Variable> out = new LinkedHashMap<>();
        unet.namedParameters().forEach((name, p) -> {
            if (trains(name)) {
                p.setRequiresGrad(true);
                out.put(name, p);
            }
        });
        return out;
    }

    /** The text encodings: each erased concept's training synonyms ([1, L, D] each), and the empty prompt. */
    record Prompts(List<List<Tensor>> concepts, Tensor empty) {
        static Prompts encode(TextToImageModel model, Erasure erasure) {
            List<String> all = new ArrayList<>();
            for (Concept c : erasure.erased()) all.addAll(Erasure.trainingPhrases(c));
            all.add("");
            Tensor enc;
            model.textEncoder.eval();
            try (var scope = Grad.noGrad()) {
                enc = model.encode(all).data();
            }
            List<List<Tensor>> out = new ArrayList<>();
            int at = 0;
            for (Concept c : erasure.erased()) {
                List<Tensor> phrases = new ArrayList<>();
                for (int k = 0; k < Erasure.trainingPhrases(c).size(); k++, at++) phrases.add(enc.slice(0, at, at + 1).contiguous());
                out.add(phrases);
            }
            return new Prompts(out, enc.slice(0, at, at + 1).contiguous());
        }
    }

    /** One iteration's batch: x_t [B, C, S, S] at timesteps t, the prompts c and B empty prompts [B, L, D]. */
    record Draw(Tensor xt, int[] t, Tensor cond, Tensor uncond) {}

    /** B draws of (c, t, x_t); x_t is sampled with θ, the network being trained, as ESD's code does. */
    static Draw draw(TextToImageModel model, UNet theta, Prompts p, Settings s, Rng rng) {
        int n = s.ddimSteps(), r = model.schedule.numTrainTimesteps / n, size = model.imageSize();
        int[] t = new int[s.batch()];
        List<Tensor> xs = new ArrayList<>(), conds = new ArrayList<>();
        for (int b = 0; b < s.batch(); b++) {
            List<Tensor> synonyms = p.concepts().get(rng.nextInt(p.concepts().size()));
            Tensor c = synonyms.get(rng.nextInt(synonyms.size()));
            int tEnc = rng.nextInt(n);
            t[b] = tEnc * r + rng.nextInt(r);
            Tensor noise = Tensor.randn(rng, 1, model.unet.config.inChannels(), size, size);
            Variable context = Variable.constant(Tensor.concat(List.of(c, p.empty()), 0));
            xs.add(PartialDdim.sampleTill(model, theta, context, t[b], n, s.startGuidance(), noise));
            conds.add(c);
        }
        return new Draw(Tensor.concat(xs, 0), t, Tensor.concat(conds, 0), Tensor.concat(Collections.nCopies(s.batch(), p.empty()), 0));
    }

    /** ESD's loss on one batch: θ*'s two predictions in one call without a graph, then θ's with one. */
    static Variable loss(TextToImageModel model, UNet theta, Draw d, float eta) {
        int b = d.t().length;
        int[] tt = new int[2 * b];
        System.arraycopy(d.t(), 0, tt, 0, b);
        System.arraycopy(d.t(), 0, tt, b, b);
        Tensor target;
        try (var scope = Grad.noGrad()) {
            Tensor x = Tensor.concat(List.of(d.xt(), d.xt()), 0), c = Tensor.concat(List.of(d.uncond(), d.cond()), 0);
            Tensor frozen = model.unet.forward(Variable.constant(x), tt, Variable.constant(c)).data();
            target = target(frozen.slice(0, 0, b).contiguous(), frozen.slice(0, b, 2 * b).contiguous(), eta);
        }
        Variable en = theta.forward(Variable.constant(d.xt()), d.t(), Variable.constant(d.cond()));
        return Losses.mse(en, Variable.constant(target));
    }
}
