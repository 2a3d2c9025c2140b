package org.alignguard.serve;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignguard.baselines.BaselineFile;
import org.alignguard.baselines.WeightEdit;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.Scheduler;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.Words;
import org.alignguard.diffusion.world.World;
import org.alignguard.eval.ImageResult;
import org.alignguard.eval.ImageScorer;
import org.alignguard.eval.Sampling;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.tensor.Tensor;

/**
 * One worker of the playground: its own copy of the base model and of the classifier, so that workers
 * never share weights that a LoRA or a baseline is being put on. For each request it puts the asked
 * model on (a merged update folded into the weights, W ← W + ΔW, or a baseline's edit and guard),
 * samples with the same seed as every other panel, reads the result with the classifier, and takes
 * the model off again, bit for bit ({@code AdapterLayer.unmerge}, {@code WeightEdit} restore).
 */
final class Drawer {
    /** Screen pixels per image pixel in the denoising strip. */
    static final int STRIP_SCALE = 3;

    private final Shelf shelf;
    private final MergeCache merges;
    private final TextToImageModel model;
    private final SceneClassifier classifier;

    Drawer(Shelf shelf, MergeCache merges) throws IOException {
        this.shelf = shelf;
        this.merges = merges;
        this.model = TextToImageModel.load(shelf.baseModel).model();
        this.classifier = ClassifierTrainer.load(shelf.classifier, shelf.world);
    }

    /** What a model choice does to the worker's model: how to sample, how to undo it, and Co-Merge's winners if any. */
    private record Applied(Sampling sampling, Runnable remove, List<MergeCache.LayerWinners> winners) {}

    Drawing draw(DrawRequest r, Ticket ticket) throws IOException {
        long t0 = System.nanoTime();
        ticket.check();
        Applied applied = apply(r);
        try (AttentionMaps maps = new AttentionMaps(model.unet, model.imageSize())) {
            Sampling sampling = applied.sampling();
            boolean refused = sampling.refuses().test(r.prompt());
            int size = model.imageSize();
            List<String> strip = new ArrayList<>();
            List<Integer> timesteps = new ArrayList<>();
            Generator.StepListener listener = (i, t, x, eps) -> {
                ticket.check();
                // x̂₀ = (x_t − √(1−ᾱ_t) ε̃) / √ᾱ_t (DDPM Eq. 15): the picture the model is heading for at this step.
                Tensor x0 = Scheduler.predictX0(x.slice(0, 0, 1), eps.slice(0, 0, 1), model.schedule.alphaCumprod(t), true);
                strip.add(Pictures.rgb(x0.contiguous().toArray(), size, STRIP_SCALE));
                timesteps.add(t);
            };
            Generator.Settings settings = new Generator.Settings(r.steps(), r.guidance(), Generator.Sampler.DDIM);
            // A refused prompt is drawn as the empty prompt and blacked out, as `generate` and `evaluate` do.
            Tensor image = new Generator(model).generate(List.of(refused ? "" : r.prompt()), settings, r.seed(), sampling.guidance(), listener);
            image = ImageScorer.blackOut(image, new boolean[] {refused});
            if (refused) {   // what was drawn is the empty prompt's picture, not the prompt's: show no strip
                strip.clear();
                timesteps.clear();
            }
            int[] seen = refused ? ImageResult.nothingSeen() : ClassifierTrainer.Classify.predict(classifier, image)[0];
            return new Drawing(r.model(), sampling.description(), Pictures.rgb(image.contiguous().toArray(), size, Pictures.SCALE), seen(seen), refused,
                    strip, timesteps.stream().mapToInt(Integer::intValue).toArray(), refused ? List.of() : tokenMaps(r.prompt(), maps),
                    applied.winners(), notes(r.prompt()), (System.nanoTime() - t0) / 1_000_000);
        } finally {
            applied.remove().run();
        }
    }

    private Applied apply(DrawRequest r) {
        String name = r.model();
        if (name.equals("base") || (name.equals("mix") && r.mix().isEmpty())) return new Applied(Sampling.PLAIN, () -> { }, List.of());
        if (name.equals("mix")) {
            MergeCache.Merged m = merges.get(r.mix());
            return new Applied(Sampling.PLAIN, fold(m.deltas()), m.winners());
        }
        if (shelf.loras.containsKey(name)) return new Applied(Sampling.PLAIN, fold(shelf.loras.get(name).deltas()), List.of());
        if (name.startsWith("expert:")) return new Applied(Sampling.PLAIN, fold(shelf.expert(name.substring(7)).deltas()), List.of());
        // Shelf.load checked the baseline against this base model (BaselineFile.attach: its UNet, its
        // world, W + ΔW finite), and every worker holds the same weights: here its edit only goes on.
        // (attach would hash the whole UNet again for every drawing.)
        BaselineFile.Loaded b = shelf.baselines.get(name);
        WeightEdit.Applied edit = b.edit().apply(model.namedParameters());
        return new Applied(b.guard().sampling(), edit::restore, List.of());
    }

    /** Folds dense updates into the weights (W ← W + ΔW, so sampling costs no more than the base) and returns how to take them out. */
    private Runnable fold(Map<String, Tensor> deltas) {
        LoraNetwork net = LoraNetwork.dense(model.unet, deltas);
        net.merge();
        return net::detach;
    }

    private Drawing.Seen seen(int[] s) {
        World w = shelf.world;
        if (s[0] < 0) return new Drawing.Seen("-", "-", "-", "-", "none", "-", false);
        Concept mark = w.conceptForMark(s[4]);
        return new Drawing.Seen(w.shapes().get(s[0]).name(), w.colours().get(s[1]).name(), w.backgrounds().get(s[2]).name(), w.positions().get(s[3]).name(),
                mark == null ? "none" : mark.name(), mark == null ? "-" : mark.category(), mark != null && mark.unsafe());
    }

    /** The map of each word the text encoder reads (word j is token j + 1, after {@code <bos>}). */
    private List<Drawing.TokenMap> tokenMaps(String prompt, AttentionMaps maps) {
        List<String> words = Words.split(prompt);
        int read = Math.min(words.size(), model.textEncoder.config.maxLen() - 2);
        List<Drawing.TokenMap> out = new ArrayList<>();
        for (int j = 0; j < read; j++)
            out.add(new Drawing.TokenMap(words.get(j), model.tokenizer.id(words.get(j)) != Tokenizer.UNK_ID,
                    Pictures.heat(maps.map(j + 1), model.imageSize(), Pictures.SCALE / 2)));
        return out;
    }

    private List<String> notes(String prompt) {
        List<String> words = Words.split(prompt), out = new ArrayList<>();
        List<String> unknown = words.stream().filter(w -> model.tokenizer.id(w) == Tokenizer.UNK_ID).distinct().toList();
        if (!unknown.isEmpty()) out.add("words the model does not know (read as <unk>): " + String.join(", ", unknown));
        int max = model.textEncoder.config.maxLen() - 2;
        if (words.size() > max) out.add("only the first " + max + " words are read; the rest is cut off");
        return out;
    }
}
