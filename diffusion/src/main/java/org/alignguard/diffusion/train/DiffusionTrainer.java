package org.alignguard.diffusion.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.diffusion.schedule.Prediction;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Renderer;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.SceneLabels;
import org.alignguard.diffusion.world.SynonymPolicy;
import org.alignguard.diffusion.world.World;
import org.alignguard.diffusion.world.WorldSampler;
import org.alignguard.nn.Module;
import org.alignguard.nn.StateDicts;
import org.alignguard.optim.AdamW;
import org.alignguard.optim.Ema;
import org.alignguard.optim.LrSchedule;
import org.alignguard.optim.Optimizer;
import org.alignguard.tensor.FiniteCheck;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;

/**
 * Pretrains the base text-to-image model on the synthetic world with the DDPM objective
 * (Ho et al. 2020, Algorithm 1):
 * <pre>
 *   x_0, c ~ world (captions use every synonym; a fraction of them replaced by "" for CFG)
 *   t ~ U{0..T−1},  ε ~ N(0, I),  x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε
 *   L = w_t · ‖y − f_θ(x_t, t, τ(c))‖²   (UNet f_θ and text encoder τ trained jointly)
 * </pre>
 * The target y is ε (ε-prediction, DDPM Eq. 14) or v = √ᾱ_t ε − √(1−ᾱ_t) x_0 (v-prediction,
 * Salimans and Ho 2022), as {@link TextToImageModel#prediction} says. w_t = 1 is the simple loss.
 * With {@code minSnrGamma} = γ > 0 it is the Min-SNR-γ weight of Hang et al. 2023 in that
 * parameterisation ({@link Prediction#minSnrWeight}), which turns down the nearly noise-free
 * timesteps, where the prompt hardly matters.
 * With {@code textProbe} = λ > 0 the loss also gets λ times the {@link TextProbe} loss, which asks
 * the pooled prompt embedding for the scene's attributes.
 * AdamW with warm-up and cosine decay, gradient clipping, and an EMA of the weights, which is what
 * gets shipped. Step k draws its data from {@code Rng(seed, k)}, so a resumed run sees exactly the
 * batches an uninterrupted run would.
 */
public final class DiffusionTrainer {
    public record Config(int steps, int batch, float lr, int warmup, float promptDropout, float emaDecay,
                         float clip, float minSnrGamma, float textProbe, int checkpointEvery, long seed) {
        public static Config defaults(long seed) {
            return new Config(3000, 32, 1e-3f, 200, 0.1f, 0.999f, 1.0f, 5f, 0f, 250, seed);
        }
    }

    private final World world;
    private final TextToImageModel model;
    private final Renderer renderer;
    private final CaptionGrammar grammar;
    private final WorldSampler sampler;
    private final DDPMScheduler forwardProcess;

    public DiffusionTrainer(World world, TextToImageModel model) {
        this.world = world;
        this.model = model;
        this.renderer = new Renderer(world, model.imageSize());
        this.grammar = new CaptionGrammar(world);
        this.sampler = new WorldSampler(world);
        this.forwardProcess = new DDPMScheduler(model.schedule);
    }

    /** The training state that a resumed run needs. */
    private final class State {
        /** The model's weights, plus the text probe's heads ("text_probe.") while it is on. */
        final Map<String, Variable> params = new LinkedHashMap<>(model.namedParameters());
        final TextProbe probe;
        final AdamW opt;
        final Ema ema;
        long step;

        State(Config cfg) {
            probe = cfg.textProbe() > 0 ? new TextProbe(world, model.textEncoder.config.dim(), new Rng(cfg.seed() ^ 0x7E57L)) : null;
            if (probe != null) params.putAll(StateDicts.prefixed("text_probe.", probe.namedParameters()));
            opt = new AdamW(params, cfg.lr(), 0.9f, 0.999f, 1e-8f, 1e-4f);
            ema = new Ema(asModule(model.namedParameters()), cfg.emaDecay());   // only the model ships
        }
    }

    /** Trains to {@code cfg.steps()}, resuming from {@code statePath} if it exists and {@code resume} is set. */
    public Map<String, Tensor> train(Config cfg, Path statePath, boolean resume, Map<String, String> meta, ProgressListener progress) throws IOException {
        State st = new State(cfg);
        if (resume && statePath != null && Files.exists(statePath)) {
            load(st, statePath);
            progress.message("resumed from " + statePath + " at step " + st.step);
        }
        LrSchedule lr = LrSchedule.cosine(cfg.lr(), cfg.lr() * 0.1f, cfg.warmup(), cfg.steps());
        model.unet.train(true);
        model.textEncoder.train(true);
        List<Variable> trainable = new ArrayList<>(st.params.values());
        while (st.step < cfg.steps()) {
            Rng rng = new Rng(cfg.seed() * 1_000_003L + st.step);
            st.opt.setLr(lr.lr(st.step));
            st.opt.zeroGrad();
            Variable loss = loss(rng, cfg.batch(), cfg.promptDropout(), cfg.minSnrGamma(), st.probe, cfg.textProbe());
            if (!Float.isFinite(loss.item())) throw diverged("the loss is " + loss.item(), st.step + 1, statePath);
            loss.backward();
            Optimizer.clipGradNorm(trainable, cfg.clip());
            st.opt.step();
            st.ema.update();
            st.step++;
            progress.onStep("pretrain", st.step, cfg.steps(), loss.item());
            if (statePath != null && (st.step % cfg.checkpointEvery() == 0 || st.step == cfg.steps())) save(st, statePath, meta);
        }
        String broken = FiniteCheck.find(st.ema.stateDict());
        if (broken != null) throw diverged("the EMA weights stopped being finite (" + broken + ")", st.step, statePath);
        return st.ema.stateDict();
    }

    /** Pretraining stops; the checkpoint on disk (if any) stays as it is. */
    private static IllegalStateException diverged(String what, long step, Path statePath) {
        return new IllegalStateException("pretrain: " + what + " at step " + step + "; stopped"
                + (statePath != null && Files.exists(statePath) ? ", the last good checkpoint is " + statePath : ""));
    }

    /** One batch of the loss: ε- or v-MSE, Min-SNR-γ weighted when γ > 0, plus the text probe's when it is on. */
    Variable loss(Rng rng, int batch, float promptDropout, float minSnrGamma, TextProbe probe, float probeWeight) {
        List<Scene> scenes = new ArrayList<>();
        while (scenes.size() < batch) {
            Scene s = sampler.sample(rng);
            if (!HeldOut.isHeldOut(s)) scenes.add(s);     // held-out benign combinations are never trained on
        }
        List<String> prompts = new ArrayList<>();
        for (Scene s : scenes) prompts.add(rng.nextFloat() < promptDropout ? "" : grammar.caption(s, rng, SynonymPolicy.ALL));
        Tensor x0 = renderer.renderBatch(scenes);
        int[] t = new int[batch];
        for (int i = 0; i < batch; i++) t[i] = rng.nextInt(model.schedule.numTrainTimesteps);
        Tensor eps = Tensor.randn(rng, x0.shape());
        Tensor xt = forwardProcess.addNoise(x0, eps, t);
        Variable pred = model.unet.forward(Variable.constant(xt), t, model.encode(prompts));
        Variable target = Variable.constant(model.prediction.target(forwardProcess, x0, eps, t));
        Variable loss;
        if (minSnrGamma <= 0) loss = Losses.mse(pred, target);
        else {
            float[] w = new float[batch];
            for (int i = 0; i < batch; i++) w[i] = model.prediction.minSnrWeight(model.schedule.alphaCumprod(t[i]), minSnrGamma);
            loss = Losses.weightedMse(pred, target, Tensor.of(w, batch));
        }
        if (probe == null) return loss;
        // The probe reads the full captions (no prompt dropout): every one of them names the scene.
        List<String> captions = new ArrayList<>();
        List<SceneLabels> labels = new ArrayList<>();
        for (Scene s : scenes) {
            captions.add(grammar.caption(s, rng, SynonymPolicy.ALL));
            labels.add(SceneLabels.of(s));
        }
        return loss.add(probe.loss(model.encode(captions), labels).mul(probeWeight));
    }

    private void save(State st, Path file, Map<String, String> meta) throws IOException {
        Map<String, Tensor> all = StateDicts.prefixed("model.", asModule(st.params).stateDict());
        all.putAll(StateDicts.prefixed("ema.", st.ema.stateDict()));
        all.putAll(StateDicts.prefixed("optim.", st.opt.stateDict()));
        Map<String, String> m = new LinkedHashMap<>(model.describe());
        m.putAll(meta);
        m.put("step", Long.toString(st.step));
        m.put("ema_updates", Long.toString(st.ema.updates()));
        String broken = FiniteCheck.find(all);   // a broken state is never written over the last good one
        if (broken != null) throw diverged("the training state stopped being finite (" + broken + ")", st.step, file);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Safetensors.write(file, all, m);
    }

    private void load(State st, Path file) throws IOException {
        var l = Safetensors.readFinite(file);
        Map<String, String> mine = model.describe(), theirs = l.metadata();
        for (String key : List.of("unet_config", "text_encoder_config", "schedule"))
            if (!java.util.Objects.equals(mine.get(key), theirs.get(key)))
                throw mismatch(file, key.replace('_', ' '), theirs.get(key), mine.get(key));
        if (TextToImageModel.predictionOf(theirs) != model.prediction)
            throw mismatch(file, "prediction", TextToImageModel.predictionOf(theirs), model.prediction);
        try {
            asModule(st.params).loadStateDict(StateDicts.under("model.", l.tensors()), true);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        st.opt.loadStateDict(StateDicts.under("optim.", l.tensors()));
        st.ema.loadStateDict(StateDicts.under("ema.", l.tensors()), Long.parseLong(l.metadata().getOrDefault("ema_updates", "0")));
        st.step = Long.parseLong(l.metadata().getOrDefault("step", "0"));
    }

    /** Views a flat name -> parameter map as a module, for the EMA and state-dict helpers. */
    private static IOException mismatch(Path file, String what, Object theirs, Object mine) {
        return new IOException(file + ": the training state was made with a different " + what + " (" + theirs + ", this run: " + mine
                + "); start over with --force or use the same flags");
    }

    static Module asModule(Map<String, Variable> params) {
        return new Module() {
            @Override public Map<String, Variable> namedParameters() {
                return params;
            }
        };
    }
}
