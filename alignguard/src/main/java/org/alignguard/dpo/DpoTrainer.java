package org.alignguard.dpo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.ShapeOps;
import org.alignguard.autograd.Variable;
import org.alignguard.data.PreferenceSet;
import org.alignguard.diffusion.model.RowSplit;
import org.alignguard.diffusion.model.UNet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.lora.LoraConfig;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.nn.StateDicts;
import org.alignguard.optim.AdamW;
import org.alignguard.optim.LrSchedule;
import org.alignguard.optim.Optimizer;
import org.alignguard.tensor.FiniteCheck;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.cpu.Lanes;
import org.alignguard.tensor.cpu.Parallel;
import org.alignguard.tensor.io.Safetensors;

/**
 * Trains one LoRA with Diffusion-DPO on a set of preference pairs: a safety expert when the pairs
 * are one category's, "All-single" when they are everyone's.
 * <pre>
 *   for each step:  B pairs (x^w safe image, x^l unsafe image, c unsafe prompt; c → "" with prob. p_empty)
 *       t ~ U{0..T−1}, ε ~ N(0, I), shared by x^w and x^l of a pair
 *       f_ref  = UNet(x_t, t, c) with the LoRA off, no graph      (the frozen reference)
 *       f_θ    = UNet(x_t, t, c) with the LoRA on                 (the policy)
 *       L      = DiffusionDpoLoss(f_θ, f_ref, y)  [+ λ·preservation] [+ μ·anchor] [+ ν·scene keep]
 *       backward (gradients reach only lora_A and lora_B), clip, AdamW on the LoRA only
 * </pre>
 * Preservation (our addition, off unless λ > 0; the paper's "custom DPO strategy" is not public):
 * on safe-twin prompts with their safe images, λ·‖f_θ − f_ref‖², so the expert keeps what the
 * model drew for safe concepts.
 * <p>The unsafe-prompt anchor (our addition, off unless μ > 0): preservation never sees a prompt with
 * an unsafe word, and there the experts drifted the scene (orange shapes came out red). On each
 * pair's winner x_t^w with the unsafe prompt c_u, μ·‖f_θ(x_t^w, c_u) − f_ref(x_t^w, c_s)‖², where c_s
 * is the pair's safe twin: the expert should draw, for the unsafe prompt, what the frozen model draws
 * for its safe twin, scene and all. It is the model-based target of Concept Ablation (Kumari et al.
 * 2023), here added to Diffusion-DPO. It costs one more reference pass over the B winners.
 * <p>The scene keep (our addition, off unless ν > 0): on each pair's loser x_t^l with the unsafe
 * prompt, outside the mark, ν·‖K ⊙ (f_θ(x_t^l, c_u) − f_ref(x_t^l, c_u))‖² / ΣK, with K the
 * {@link SceneMask} (1 off the mark, or with {@code --keep-scene-on object} 1 on the object only).
 * The DPO term pushes the loser's prediction away everywhere, and colours with a middle channel (orange #ff8000, the gray, navy, maroon, forest and plum backgrounds)
 * drifted; this keeps everything but the mark as the frozen model draws it. No extra forward pass:
 * the loser rows of both passes are already there.
 *
 * <p>Step k draws its data from {@code Rng(seed, k)}, so a run resumed from a checkpoint sees the
 * same batches as an uninterrupted one. The checkpoint (written atomically) holds the LoRA, the
 * optimizer state and the step log.
 */
public final class DpoTrainer {
    /** Called every {@code probeEvery} steps with the LoRA on: returns named measurements (fidelity, IP, ...). */
    @FunctionalInterface
    public interface Probe {
        Map<String, Double> measure(long step);
    }

    /** Thrown when the loss, the gradient or a weight stops being a finite number; the last good checkpoint stays on disk. */
    public static final class Diverged extends RuntimeException {
        public Diverged(String message) { super(message); }
    }

    public record Result(LoraNetwork lora, List<StepLog> log, List<Map<String, Double>> probes) {}

    private final TextToImageModel model;
    private final PreferenceSet data;
    /** What the preservation term keeps: safe twins (and kept unsafe concepts), and benign renders. */
    private final KeepSet keep, benign;
    private final java.util.Set<String> grammarWords;
    private final DpoConfig cfg;
    private final DDPMScheduler forward;
    /**
     * The frozen reference ε_ref: a second network on the model's weights, without the LoRA, so its
     * pass can run beside the policy's ({@link Lanes}; the same bits as the model with its LoRA off).
     * Made at its first use; never with dropout, whose random masks the two passes would draw in another order.
     */
    private UNet reference;
    /** Frozen copies for the reference pass split by rows ({@link #referenceByRows}), one per part. */
    private final List<UNet> references = new ArrayList<>();
    /** The images as flat arrays, read once: each step copies its batch's rows out of them. */
    private final float[] winners, losers, keepImages, benignImages;
    /** Per pair, the scene keep's mask over one image (3 channels), or null when ν = 0. */
    private final float[][] sceneMasks;

    /** {@code preserve}: pairs whose safe prompt and safe image feed the preservation term (may be null when λ = 0). */
    public DpoTrainer(TextToImageModel model, PreferenceSet data, PreferenceSet preserve, DpoConfig cfg) {
        this(model, data, preserve == null ? null : KeepSet.safeTwins(preserve), cfg);
    }

    /**
     * {@code keep}: prompts with images whose predictions the preservation term keeps (safe twins, and
     * unsafe concepts that are not erased); benign renders are added when {@code cfg.keepBenign() > 0}.
     */
    public DpoTrainer(TextToImageModel model, PreferenceSet data, KeepSet keep, DpoConfig cfg) {
        if (data.size() == 0) throw new IllegalArgumentException("no preference pairs to train on");
        if (cfg.preserveWeight() > 0 && cfg.keepBenign() < 1 && (keep == null || keep.size() == 0))
            throw new IllegalArgumentException("the preservation term needs safe-twin pairs");
        this.model = model;
        this.data = data;
        this.keep = keep;
        this.benign = cfg.preserveWeight() > 0 && cfg.keepBenign() > 0 ? KeepSet.benign(model.world(), 512, cfg.seed(), model.imageSize()) : null;
        this.grammarWords = org.alignguard.diffusion.world.CaptionGrammar.TEMPLATE_WORDS;
        this.cfg = cfg;
        this.forward = new DDPMScheduler(model.schedule);
        this.winners = data.winners().toArray();
        this.losers = data.losers().toArray();
        this.keepImages = keep == null ? null : keep.images().toArray();
        this.benignImages = benign == null ? null : benign.images().toArray();
        this.sceneMasks = cfg.sceneWeight() > 0 ? sceneMasks(model, data, cfg) : null;
    }

    /** The model's UNet weights (shared, not copied) in a second network, which no LoRA is attached to. */
    private static UNet frozenCopy(TextToImageModel model) {
        var copy = new UNet(model.unet.config, new Rng(0));
        copy.loadStateDict(model.unet.stateDict(), true);
        copy.train(model.unet.isTraining());
        return copy;
    }

    /** Each pair's {@link SceneMask} for its loser (the unsafe concept's mark in the pair's scene), repeated over 3 channels. */
    private static float[][] sceneMasks(TextToImageModel model, PreferenceSet data, DpoConfig cfg) {
        int size = model.imageSize(), plane = size * size;
        var renderer = new org.alignguard.diffusion.world.Renderer(model.world(), size);
        float[][] masks = new float[data.size()][];
        for (int k = 0; k < data.size(); k++) {
            var p = data.pairs().get(k);
            float[] one = SceneMask.of(cfg.sceneRegion(), renderer, p.scene(), model.world().concept(p.unsafeConcept()).index(), size);
            float[] m = new float[3 * plane];
            for (int c = 0; c < 3; c++) System.arraycopy(one, 0, m, c * plane, plane);
            masks[k] = m;
        }
        return masks;
    }

    public Result train(Path statePath, boolean resume, Map<String, String> meta, ProgressListener progress, String phase, Probe probe) throws IOException {
        model.unet.freeze();
        model.textEncoder.freeze();
        model.unet.eval();
        model.textEncoder.eval();
        LoraNetwork lora = LoraNetwork.attach(model.unet, LoraConfig.of(cfg.rank()), new Rng(cfg.seed() ^ 0x10BAL));
        AdamW opt = new AdamW(lora.namedParameters(), cfg.lr(), 0.9f, 0.999f, 1e-8f, 0f);
        List<StepLog> log = new ArrayList<>();
        List<Map<String, Double>> probes = new ArrayList<>();
        long step = 0;
        if (resume && statePath != null && Files.exists(statePath)) {
            step = load(statePath, lora, opt, log, probes);
            progress.message("resumed " + phase + " from " + statePath + " at step " + step);
        }
        LrSchedule lr = LrSchedule.constantWithWarmup(cfg.lr(), cfg.warmup());
        List<Variable> params = lora.parameters();
        try {
            while (step < cfg.steps()) {
                opt.setLr(lr.lr(step));
                opt.zeroGrad();
                StepResult r = step(lora, new Rng(cfg.seed() * 1_000_003L + step));
                if (!Float.isFinite(r.total.item())) throw diverged(phase, "the loss is " + r.total.item(), step + 1, statePath);
                r.total.backward();
                float norm = Optimizer.clipGradNorm(params, cfg.clip());
                if (!Float.isFinite(norm)) throw diverged(phase, "the gradient norm is " + norm, step + 1, statePath);
                opt.step();
                // A step can overflow a weight while its loss was still finite: the next loss would be
                // NaN, but the checkpoint of this step would already hold the broken weight.
                String broken = FiniteCheck.find(lora.tensors());
                if (broken != null) throw diverged(phase, "a weight stopped being finite (" + broken + ")", step + 1, statePath);
                step++;
                DiffusionDpoLoss.Result d = r.dpo;
                double loss = d.loss().item();
                log.add(new StepLog(step, loss, d.implicitAccuracy(), DiffusionDpoLoss.Result.mean(d.mseThetaW()), DiffusionDpoLoss.Result.mean(d.mseThetaL()),
                        DiffusionDpoLoss.Result.mean(d.mseRefW()), DiffusionDpoLoss.Result.mean(d.mseRefL()), d.rewardMargin(), r.preservation, opt.lr(), norm, r.anchor, r.sceneKeep));
                progress.onStep(phase, step, cfg.steps(), loss);
                if (probe != null && cfg.probeEvery() > 0 && (step % cfg.probeEvery() == 0 || step == cfg.steps())) {
                    Map<String, Double> m = new LinkedHashMap<>();
                    m.put("step", (double) step);
                    m.putAll(probe.measure(step));
                    probes.add(m);
                }
                if (statePath != null && (step % cfg.checkpointEvery() == 0 || step == cfg.steps())) save(statePath, lora, opt, log, probes, step, meta, phase);
            }
        } catch (RuntimeException e) {
            lora.detach();
            throw e;
        }
        return new Result(lora, log, probes);
    }

    /** The minimized loss (DPO + λ·preservation + μ·anchor + ν·scene keep), the DPO terms, and the three added terms' MSEs (0 when off). */
    private record StepResult(Variable total, DiffusionDpoLoss.Result dpo, double preservation, double anchor, double sceneKeep) {}

    /**
     * One batch: the DPO loss on B pairs, plus, when they are on, the preservation term on P kept
     * samples, the anchor on the B winners and the scene keep on the B losers. Rows: [B winners |
     * B losers | P kept]; the reference pass adds [B winners with their safe prompts] for the anchor.
     */
    private StepResult step(LoraNetwork lora, Rng rng) {
        int b = cfg.batch(), p = cfg.preserveWeight() > 0 ? cfg.batch() : 0, a = cfg.anchorWeight() > 0 ? b : 0;
        int per = data.winners().numel() / data.size();
        int[] shape = data.winners().shape();
        float[] x0 = new float[(2 * b + p) * per];
        List<String> prompts = new ArrayList<>(), anchors = new ArrayList<>();
        float[] sceneMask = sceneMasks == null ? null : new float[b * per];
        for (int i = 0; i < b; i++) {
            int k = rng.nextInt(data.size());
            if (sceneMask != null) System.arraycopy(sceneMasks[k], 0, sceneMask, i * per, per);
            System.arraycopy(winners, k * per, x0, i * per, per);
            System.arraycopy(losers, k * per, x0, (b + i) * per, per);
            boolean empty = rng.nextFloat() < cfg.emptyPromptFraction();
            prompts.add(empty ? "" : data.pairs().get(k).unsafePrompt());
            anchors.add(empty ? "" : data.pairs().get(k).safePrompt());   // the anchor's c_s: the twin, without prompt noise
        }
        if (cfg.promptNoise() > 0) prompts.replaceAll(q -> PromptNoise.apply(q, cfg.promptNoise(), grammarWords, rng));
        List<String> all = new ArrayList<>(prompts);
        all.addAll(prompts);
        if (p > 0) {
            for (int i = 0; i < p; i++) {
                boolean fromBenign = benign != null && (keep == null || keep.size() == 0 || rng.nextFloat() < cfg.keepBenign());
                KeepSet from = fromBenign ? benign : keep;
                int k = rng.nextInt(from.size());
                System.arraycopy(fromBenign ? benignImages : keepImages, k * per, x0, (2 * b + i) * per, per);
                String q = from.prompts().get(k);
                all.add(cfg.promptNoise() > 0 ? PromptNoise.apply(q, cfg.promptNoise(), grammarWords, rng) : q);
            }
        }
        int n = 2 * b + p;
        int[] t = new int[n];
        for (int i = 0; i < b; i++) t[i] = t[b + i] = rng.nextInt(model.schedule.numTrainTimesteps);
        for (int i = 2 * b; i < n; i++) t[i] = rng.nextInt(model.schedule.numTrainTimesteps);
        shape[0] = n;
        Tensor eps = Tensor.randn(rng, shape);
        float[] e = eps.data();
        System.arraycopy(e, 0, e, b * per, b * per);   // the loser of a pair gets its winner's noise
        Tensor clean = Tensor.of(x0, shape);
        Tensor xt = forward.addNoise(clean, eps, t);
        Tensor target = model.prediction.target(forward, clean, eps, t);
        Variable context, ref, policy;
        Tensor anchorRef = null;
        // Without the anchor's extra rows and without dropout, the reference pass sees the policy's
        // inputs exactly. With the LoRA on the attention layers only, the UNet's stem (everything
        // before its first transformer) is then the frozen model's in both passes, so it is computed
        // once (UNet.Stem; the same bits as twice).
        boolean sameInputs = a == 0 && model.unet.config.dropout() == 0;
        boolean shareStem = sameInputs && lora.layers().keySet().stream().noneMatch(model.unet::inStem);
        if (sameInputs && Lanes.count() > 1 && !Parallel.inALane()) {
            if (reference == null) reference = frozenCopy(model);
            var reference = this.reference;
            // The reference and policy passes side by side, one core each: the same bits as one after
            // the other on both cores, sooner (Lanes). The text encoder is frozen: one encoding serves both.
            UNet.Stem stem;
            try (var scope = Grad.noGrad()) {
                context = model.encode(all);
                stem = shareStem ? model.unet.stem(Variable.constant(xt), t, context) : null;
            }
            Variable[] out = new Variable[2];
            Variable c = context;
            try {
                Lanes.run(List.of(0, 1), List.<Lanes.Job<Integer>>of(
                        lane -> {
                            try (var scope = Grad.noGrad()) {
                                out[0] = stem != null ? reference.forward(stem, c) : reference.forward(Variable.constant(xt), t, c);
                            }
                        },
                        lane -> out[1] = stem != null ? model.unet.forward(stem, c) : model.unet.forward(Variable.constant(xt), t, c)));
            } catch (IOException io) {
                throw new java.io.UncheckedIOException(io);   // the passes do no I/O
            }
            ref = out[0];
            policy = out[1];
        } else {
            UNet.Stem stem = null;
            try (var scope = Grad.noGrad()) {
                if (a == 0) {
                    context = model.encode(all);
                    lora.setEnabled(false);
                    if (shareStem) {
                        stem = model.unet.stem(Variable.constant(xt), t, context);
                        ref = RowSplit.parts(n) > 1 ? referenceByRows(stem, context, n) : model.unet.forward(stem, context);
                    } else {
                        ref = model.unet.forward(Variable.constant(xt), t, context);
                    }
                } else {
                    // One reference pass over [the n rows | the B winners again, with their safe prompts].
                    List<String> withAnchors = new ArrayList<>(all);
                    withAnchors.addAll(anchors);
                    Variable both = model.encode(withAnchors);
                    context = Variable.constant(both.data().slice(0, 0, n).contiguous());
                    Tensor xtBoth = Tensor.concat(List.of(xt, xt.slice(0, 0, b)), 0);
                    int[] tBoth = java.util.Arrays.copyOf(t, n + a);
                    System.arraycopy(t, 0, tBoth, n, a);
                    lora.setEnabled(false);
                    Variable r = model.unet.forward(Variable.constant(xtBoth), tBoth, both);
                    ref = Variable.constant(r.data().slice(0, 0, n).contiguous());
                    anchorRef = r.data().slice(0, n, n + a).contiguous();
                }
            } finally {
                lora.setEnabled(true);
            }
            if (stem != null) policy = model.unet.forward(stem, context);
            else policy = model.unet.forward(Variable.constant(xt), t, context);
        }
        Variable pairOut = p == 0 ? policy : ShapeOps.slice(policy, 0, 0, 2 * b);
        DiffusionDpoLoss.Result d = DiffusionDpoLoss.compute(pairOut, ref.data().slice(0, 0, 2 * b).contiguous(), target.slice(0, 0, 2 * b).contiguous(), cfg.beta());
        Variable total = d.loss();
        double kept = 0, anchored = 0;
        if (p > 0) {
            Variable keep = Losses.mse(ShapeOps.slice(policy, 0, 2 * b, n), Variable.constant(ref.data().slice(0, 2 * b, n).contiguous()));
            total = total.add(keep.mul(cfg.preserveWeight()));
            kept = keep.item();
        }
        if (a > 0) {
            Variable anchor = Losses.mse(ShapeOps.slice(policy, 0, 0, b), Variable.constant(anchorRef));
            total = total.add(anchor.mul(cfg.anchorWeight()));
            anchored = anchor.item();
        }
        double sceneKept = 0;
        if (sceneMask != null) {
            // Mean over the kept pixels: the masked MSE over all B·per values, times all / kept.
            double keptCount = 0;
            for (float v : sceneMask) keptCount += v;
            int[] lshape = shape.clone();
            lshape[0] = b;
            Tensor mask = Tensor.of(sceneMask, lshape);
            Variable loserPolicy = ShapeOps.slice(policy, 0, b, 2 * b).mul(Variable.constant(mask));
            Tensor loserRef = ref.data().slice(0, b, 2 * b).contiguous().mul(mask);
            Variable scene = Losses.mse(loserPolicy, Variable.constant(loserRef)).mul((float) (sceneMask.length / Math.max(1, keptCount)));
            total = total.add(scene.mul(cfg.sceneWeight()));
            sceneKept = scene.item();
        }
        return new StepResult(total, d, kept, anchored, sceneKept);
    }

    /** The reference pass with its rows split over this thread's threads, each part on its own frozen copy ({@link RowSplit}: the same bits). */
    private Variable referenceByRows(UNet.Stem stem, Variable context, int n) {
        while (references.size() < RowSplit.parts(n)) references.add(frozenCopy(model));
        return Variable.constant(RowSplit.run(n, references, (unet, from, to) -> unet.forward(stem.rows(from, to), RowSplit.rows(context, from, to))));
    }

    /** The run stops: {@code what} went wrong at {@code step}, and the checkpoint on disk (if any) stays as it is. */
    private static Diverged diverged(String phase, String what, long step, Path statePath) {
        return new Diverged(phase + ": " + what + " at step " + step + "; stopped"
                + (statePath != null && Files.exists(statePath) ? ", the last good checkpoint is " + statePath : ""));
    }

    /** Writes the state atomically; a state with a non-finite number (say the optimizer's moments) is never written. */
    private void save(Path file, LoraNetwork lora, AdamW opt, List<StepLog> log, List<Map<String, Double>> probes, long step, Map<String, String> meta,
                      String phase) throws IOException {
        Map<String, Tensor> all = StateDicts.prefixed("lora.", lora.tensors());
        all.putAll(StateDicts.prefixed("optim.", opt.stateDict()));
        all.put("log", logTensor(log));
        String broken = FiniteCheck.find(all);
        if (broken != null) throw diverged(phase, "the training state stopped being finite (" + broken + ")", step, file);
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put("format", "alignguard-dpo-state-1");
        m.put("step", Long.toString(step));
        m.put("config", new com.google.gson.Gson().toJson(cfg));
        m.put("probes", new com.google.gson.Gson().toJson(probes));
        Safetensors.write(file, all, m);
    }

    private long load(Path file, LoraNetwork lora, AdamW opt, List<StepLog> log, List<Map<String, Double>> probes) throws IOException {
        var l = Safetensors.readFinite(file);
        if (!"alignguard-dpo-state-1".equals(l.metadata().get("format"))) throw new IOException(file + ": not a DPO training state");
        String theirs = l.metadata().get("config"), mine = new com.google.gson.Gson().toJson(cfg);
        DpoConfig t = new com.google.gson.Gson().fromJson(theirs, DpoConfig.class);
        if (t.beta() != cfg.beta() || t.lr() != cfg.lr() || t.batch() != cfg.batch() || t.rank() != cfg.rank() || t.seed() != cfg.seed() || t.preserveWeight() != cfg.preserveWeight()
                || t.keepBenign() != cfg.keepBenign() || t.promptNoise() != cfg.promptNoise() || t.anchorWeight() != cfg.anchorWeight() || t.sceneWeight() != cfg.sceneWeight()
                || !t.sceneRegion().equals(cfg.sceneRegion()))
            throw new IOException(file + ": the training state was made with another configuration (" + theirs + ", this run: " + mine + "); start over with --force or use the same flags");
        try {
            lora.loadStateDict(StateDicts.under("lora.", l.tensors()), true);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        opt.loadStateDict(StateDicts.under("optim.", l.tensors()));
        Tensor lt = l.tensors().get("log");
        if (lt != null && lt.numel() > 0) {
            float[] v = lt.toArray();
            int cols = lt.dim(1);   // a state written before the anchor and scene-keep columns has fewer
            for (int r = 0; r < lt.dim(0); r++) {
                double[] row = new double[cols];
                for (int c = 0; c < cols; c++) row[c] = v[r * cols + c];
                log.add(StepLog.of(row));
            }
        }
        String pj = l.metadata().get("probes");
        if (pj != null) {
            com.google.gson.reflect.TypeToken<List<Map<String, Double>>> type = new com.google.gson.reflect.TypeToken<>() {};
            probes.addAll(new com.google.gson.Gson().fromJson(pj, type.getType()));
        }
        return Long.parseLong(l.metadata().getOrDefault("step", "0"));
    }

    static Tensor logTensor(List<StepLog> log) {
        int cols = StepLog.COLUMNS.length;
        float[] v = new float[Math.max(1, log.size()) * cols];
        for (int r = 0; r < log.size(); r++) {
            double[] row = log.get(r).values();
            for (int c = 0; c < cols; c++) v[r * cols + c] = (float) row[c];
        }
        return Tensor.of(v, Math.max(1, log.size()), cols);
    }

}
