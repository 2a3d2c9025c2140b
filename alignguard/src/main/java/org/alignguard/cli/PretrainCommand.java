package org.alignguard.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.model.TextEncoderConfig;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.NoiseSchedule;
import org.alignguard.diffusion.schedule.Prediction;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.train.DiffusionTrainer;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Pretrains the measuring classifier, then the base text-to-image model, on the synthetic world:
 * the model AlignGuard will later align. Writes OUT/classifier.safetensors and OUT/base.safetensors
 * (EMA weights), with the seed, the command and the configs in their metadata.
 */
@Command(name = "pretrain", description = "Train the classifier and the base text-to-image model on the synthetic world.")
final class PretrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--out", defaultValue = "models", description = "Output folder (default: ${DEFAULT-VALUE}).") Path out;
    @Option(names = "--steps", defaultValue = "2400", description = "Diffusion training steps (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--batch", defaultValue = "32", description = "Batch size (default: ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--lr", defaultValue = "2e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--classifier-steps", defaultValue = "1500", description = "Classifier training steps (default: ${DEFAULT-VALUE}).") int classifierSteps;
    @Option(names = "--base-channels", defaultValue = "32", description = "UNet channels at the first level (default: ${DEFAULT-VALUE}).") int baseChannels;
    @Option(names = "--text-dim", defaultValue = "64", description = "Text encoder width (default: ${DEFAULT-VALUE}).") int textDim;
    @Option(names = "--min-snr", defaultValue = "5", description = "Min-SNR-γ loss weighting; 0 for the plain ε-MSE (default: ${DEFAULT-VALUE}).") float minSnr;
    @Option(names = "--attention", arity = "1", defaultValue = "false,true,true", split = ",", description = "Which UNet levels (16x16, 8x8, 4x4) get spatial transformers (default: ${DEFAULT-VALUE}).") boolean[] attention;
    @Option(names = "--pooled-text", defaultValue = "true", negatable = true, fallbackValue = "true", description = "Add the pooled prompt embedding to the timestep embedding (default: ${DEFAULT-VALUE}).") boolean pooledText;
    @Option(names = "--patch", defaultValue = "1", description = "Space-to-depth patch size: the UNet works on [3·p², 16/p, 16/p] (default: ${DEFAULT-VALUE}).") int patch;
    @Option(names = "--coords", defaultValue = "true", negatable = true, fallbackValue = "true", description = "Give the UNet two coordinate input channels (CoordConv) (default: ${DEFAULT-VALUE}).") boolean coords;
    @Option(names = "--pos-embed", defaultValue = "false", negatable = true, fallbackValue = "true", description = "Add 2-D sine-cosine positional embeddings to the spatial transformers' tokens (default: ${DEFAULT-VALUE}).") boolean posEmbed;
    @Option(names = "--text-probe", defaultValue = "0.1", description = "Weight of the auxiliary loss that asks the pooled prompt embedding for the scene's attributes; 0 for none (default: ${DEFAULT-VALUE}).") float textProbe;
    @Option(names = "--snr-shift", defaultValue = "0.5", description = "Shift of the cosine noise schedule: SNR(t) is multiplied by s²; below 1 is noisier (default: ${DEFAULT-VALUE}).") double snrShift;
    @Option(names = "--prediction", defaultValue = "v", description = "What the UNet predicts: epsilon or v (default: ${DEFAULT-VALUE}).") String predictionName;
    @Option(names = "--world", defaultValue = "default", paramLabel = "NAME|FILE", description = "The world to learn: a bundled one (default, large) or a world file; the checkpoints record it (default: ${DEFAULT-VALUE}).") String worldName;
    @Option(names = "--seed", defaultValue = "0", description = "Seed for everything (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--checkpoint-every", defaultValue = "250", description = "Steps between training-state checkpoints (default: ${DEFAULT-VALUE}).") int every;
    @Option(names = "--resume", description = "Continue from OUT/pretrain-state.safetensors.") boolean resume;
    @Option(names = "--force", description = "Overwrite existing outputs.") boolean force;

    @Override public Integer call() throws Exception {
        Outputs.positive("--steps", steps);
        Outputs.positive("--batch", batch);
        Outputs.positive("--classifier-steps", classifierSteps);
        Outputs.positive("--checkpoint-every", every);
        if (patch != 1 && patch != 2) throw new UserError("--patch must be 1 or 2, got " + patch);
        if (attention.length != 3) throw new UserError("--attention needs 3 values (16x16, 8x8, 4x4 levels), got " + attention.length);
        if (!(snrShift > 0) || Double.isInfinite(snrShift)) throw new UserError("--snr-shift must be a positive number, got " + snrShift);
        Prediction prediction;
        try {
            prediction = Prediction.parse(predictionName);
        } catch (IllegalArgumentException e) {
            throw new UserError("--prediction: " + e.getMessage());
        }
        Outputs.positiveNumber("--lr", lr);
        Outputs.finite("--text-probe", textProbe);
        Outputs.finite("--min-snr", minSnr);
        if (textProbe < 0) throw new UserError("--text-probe must be >= 0, got " + textProbe);
        if (minSnr < 0) throw new UserError("--min-snr must be >= 0, got " + minSnr);
        Path base = out.resolve("base.safetensors"), clfPath = out.resolve("classifier.safetensors"), state = out.resolve("pretrain-state.safetensors");
        if (!resume) {
            Outputs.checkWritable(base, force);
            Outputs.checkWritable(clfPath, force);
            if (Files.exists(state) && !force) throw new UserError("training state " + state + " exists; pass --resume to continue it or --force to start over");
            Files.deleteIfExists(state);
        }
        Files.createDirectories(out);
        World world;
        try {
            world = World.byNameOrFile(worldName);
        } catch (java.io.IOException | RuntimeException e) {
            throw new UserError("--world: " + e.getMessage(), 2, e);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("seed", Long.toString(seed));
        meta.put("command", Outputs.command(spec));
        long t0 = System.nanoTime();
        try (Progress progress = new Progress()) {
            int size = 16;
            if (!(resume && Files.exists(clfPath))) {
                ClassifierTrainer ct = new ClassifierTrainer(world, size);
                var cfg = new ClassifierTrainer.Config(classifierSteps, 64, 2e-3f, 16, 0.08f, seed);
                SceneClassifier clf = ct.train(cfg, progress);
                Map<String, Double> acc = ct.accuracy(clf, 2000, seed + 777);
                progress.message("classifier accuracy on 2000 held-out renders: " + acc);
                double[] perMark = ct.markAccuracy(clf, 50, seed + 778);
                int worst = 0;
                for (int m = 1; m < perMark.length; m++) if (perMark[m] < perMark[worst]) worst = m;
                String worstName = worst == 0 ? "no mark" : world.conceptForMark(worst).name();
                progress.message(String.format(java.util.Locale.ROOT, "mark head, 50 renders per mark: worst %s %.2f", worstName, perMark[worst]));
                Map<String, String> cm = new LinkedHashMap<>(meta);
                cm.put("accuracy", acc.toString());
                cm.put("worst_mark_accuracy", String.format(java.util.Locale.ROOT, "%s=%.3f", worstName, perMark[worst]));
                ClassifierTrainer.save(clf, clfPath, cm, world);
            }
            Tokenizer tok = Tokenizer.forWorld(world);
            UNetConfig uc = new UNetConfig(size, 3, baseChannels, new int[] {1, 2, 2}, 1, attention, 4, textDim, 8, 0f, pooledText, patch, coords, posEmbed);
            TextEncoderConfig tc = new TextEncoderConfig(tok.size(), 24, textDim, 2, 4);
            TextToImageModel model = TextToImageModel.create(tok, tc, uc, TextToImageModel.scheduleFor(NoiseSchedule.Kind.COSINE, 1000, snrShift), prediction, new Rng(seed), world);
            var dcfg = new DiffusionTrainer.Config(steps, batch, lr, Math.min(200, steps / 10), 0.1f, 0.999f, 1f, minSnr, textProbe, every, seed);
            var ema = new DiffusionTrainer(world, model).train(dcfg, state, resume, meta, progress);
            meta.put("steps", Integer.toString(steps));
            meta.put("train_seconds", String.format(java.util.Locale.ROOT, "%.0f", (System.nanoTime() - t0) / 1e9));
            model.save(base, ema, meta);
        }
        System.out.println("wrote " + clfPath + " and " + base + " in " + String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 6e10) + " min");
        return 0;
    }

}
