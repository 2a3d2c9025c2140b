package org.alignguard.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.attacks.AdversarialPairs;
import org.alignguard.data.DataFiles;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.DpoTrainer;
import org.alignguard.dpo.StepLog;
import org.alignguard.eval.ImageScorer;
import org.alignguard.eval.ProbeEvaluator;
import org.alignguard.eval.Scoring;
import org.alignguard.pipeline.ExpertRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains one safety expert (a LoRA) with Diffusion-DPO on one category's pairs, or "All-single" on all of them. */
@Command(name = "train-expert", description = "Train a safety expert: a LoRA with Diffusion-DPO on one category's preference pairs (--category all: All-single).")
final class TrainExpertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DpoOptions dpo;
    @Option(names = "--category", required = true, description = "The harm category, or 'all' for one LoRA on every category's pairs (All-single).") String category;
    @Option(names = "--data", defaultValue = "runs/data", description = "Preference data folder made by 'alignguard data' (default: ${DEFAULT-VALUE}).") Path data;
    @Option(names = "--model", paramLabel = "CKPT", description = "Base model (default: models/base.safetensors).") Path model;
    @Option(names = "--classifier", paramLabel = "CKPT", description = "Classifier for --probe-every (default: models/classifier.safetensors).") Path classifier;
    @Option(names = "--out", description = "Output LoRA (default: runs/experts/CATEGORY.safetensors).") Path out;
    @Option(names = "--adversarial", paramLabel = "DIR", description = "Adversarial DPO: a folder of attack findings against a model ('alignguard attack --out OUT': OUT/MODEL); "
            + "each finding for this category's concepts becomes extra pairs (repeatable).") List<Path> adversarial = new java.util.ArrayList<>();
    @Option(names = "--adversarial-scenes", defaultValue = "4", description = "Adversarial DPO: training scenes each finding is carried into (default: ${DEFAULT-VALUE}).") int adversarialScenes;
    @Option(names = "--resume", description = "Continue from OUT's training state (OUT.state.safetensors).") boolean resume;
    @Option(names = "--force", description = "Overwrite an existing output and start over.") boolean force;

    @Override public Integer call() throws Exception {
        TextToImageModel m = Outputs.model(model, "base model");
        World world = m.world();
        PromptWriter writer = new PromptWriter(world);
        boolean all = category.equals("all");
        if (!all) DataCommand.checkedCategories(writer, java.util.List.of(category));
        DpoConfig cfg = dpo.config();
        Path target = out != null ? out : Outputs.home().resolve("runs/experts/" + (all ? "all-single" : PromptWriter.slug(category)) + ".safetensors");
        Path state = ExpertRun.statePath(target);
        if (!resume) {
            Outputs.checkWritable(target, force);
            if (Files.exists(state) && !force) throw new UserError("training state " + state + " exists; pass --resume to continue it or --force to start over");
            Files.deleteIfExists(state);
        } else if (Files.exists(target) && !Files.exists(state)) {
            throw new UserError(target + " is finished (no training state to resume); pass --force to train it again");
        }
        PreferenceSet set;
        try {
            set = DataFiles.read(data, world);
        } catch (java.io.IOException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
        PreferenceSet pairs = all ? set : set.category(category);
        if (pairs.size() == 0) throw new UserError(data + " has no pairs for category '" + category + "'");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("command", Outputs.command(spec));
        meta.put("category", category);
        meta.put("pairs", Integer.toString(pairs.size()));
        AdversarialPairs adv = adversarial(world, pairs);
        if (adv != null) {
            meta.put("adversarial_pairs", adv.perAttack().toString());
            pairs = pairs.plus(adv.pairs());
            m.setPseudoWords(adv.pseudoWords());   // the conditions of textual inversion's findings use them
            System.out.println("adversarial pairs " + adv.perAttack() + " from " + adversarial + ", " + adv.pseudoWords().size() + " learned words");
        }
        long t0 = System.nanoTime();
        DpoTrainer.Result r;
        try (Progress progress = new Progress()) {
            r = new ExpertRun(m, set, cfg).train(pairs, target, resume, meta, progress, "expert " + category, probe(world, writer, m, all));
        } catch (DpoTrainer.Diverged e) {
            throw new UserError(e.getMessage(), 1, e);
        }
        r.lora().detach();
        StepLog last = r.log().get(r.log().size() - 1);
        System.out.printf(java.util.Locale.ROOT, "wrote %s (%d pairs, %d steps, %.1f s): loss %.4f, implicit accuracy %.2f, reward margin %.3f; log in %s%n",
                target, pairs.size(), cfg.steps(), (System.nanoTime() - t0) / 1e9, last.loss(), last.implicitAccuracy(), last.rewardMargin(), ExpertRun.logPath(target));
        for (Map<String, Double> p : r.probes()) System.out.println("probe " + p);
        return 0;
    }

    /** With --adversarial: the pairs the attacks' findings give for this category's concepts; null without it. */
    private AdversarialPairs adversarial(World world, PreferenceSet pairs) {
        if (adversarial.isEmpty()) return null;
        Outputs.positive("--adversarial-scenes", adversarialScenes);
        try {
            java.util.List<Path> files = new java.util.ArrayList<>();
            for (Path dir : adversarial) files.addAll(AdversarialPairs.files(dir));
            return AdversarialPairs.build(world, pairs, files, adversarialScenes, dpo.config().seed());
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
    }

    /** With --probe-every: IP, safe-twin rate and benign fidelity on a few fixed prompts of this category (10 sampling steps). */
    private DpoTrainer.Probe probe(World world, PromptWriter writer, TextToImageModel m, boolean all) {
        if (dpo.probeEvery <= 0) return null;
        ImageScorer scorer = new ImageScorer(Outputs.classifier(classifier, world));
        return ProbeEvaluator.forCategories(m, scorer, new Scoring(world, scorer, m.imageSize()), writer,
                all ? writer.categoryNames() : java.util.List.of(category), 3f, org.alignguard.diffusion.pipeline.Generator.Sampler.DDIM, 7);
    }
}
