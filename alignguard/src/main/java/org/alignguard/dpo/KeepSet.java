package org.alignguard.dpo;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.data.DataSplit;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Renderer;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * What the preservation term keeps: prompts with an image each, on which the expert must predict
 * what the frozen model predicts (λ·‖f_θ − f_ref‖², our addition to Diffusion-DPO). Three kinds
 * feed it: the safe twins of the preference pairs with their safe images, benign captions of TRAIN
 * scenes with their renders, and, where only some concepts are erased, the unsafe concepts that must
 * stay with their own images.
 *
 * @param images [N, 3, S, S] in [-1, 1]; prompt i goes with image i
 */
public record KeepSet(List<String> prompts, Tensor images) {
    public KeepSet {
        prompts = List.copyOf(prompts);
        if (images.dim(0) != prompts.size()) throw new IllegalArgumentException(prompts.size() + " prompts to keep for " + images.dim(0) + " images");
    }

    public int size() { return prompts.size(); }

    /** The safe prompts of the pairs, with the safe images (the winners). */
    public static KeepSet safeTwins(PreferenceSet pairs) {
        return new KeepSet(pairs.pairs().stream().map(p -> p.safePrompt()).toList(), pairs.winners());
    }

    /** The unsafe prompts of the pairs, with the unsafe images: concepts that are not being erased. */
    public static KeepSet unsafeOf(PreferenceSet pairs) {
        return new KeepSet(pairs.pairs().stream().map(p -> p.unsafePrompt()).toList(), pairs.losers());
    }

    /**
     * {@code n} benign captions of TRAIN scenes (never an evaluation scene) with the renders of those
     * scenes: the ground truth the base model learned, so no sampling is needed.
     */
    public static KeepSet benign(World world, int n, long seed, int imageSize) {
        PromptWriter writer = new PromptWriter(world);
        CaptionGrammar grammar = new CaptionGrammar(world);
        Renderer renderer = new Renderer(world, imageSize);
        Rng rng = new Rng(seed ^ 0xB3919L);
        List<String> prompts = new ArrayList<>();
        List<Scene> scenes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Scene s = writer.scene(rng, DataSplit.TRAIN, null);
            scenes.add(s);
            prompts.add(grammar.caption(s, rng));
        }
        return new KeepSet(prompts, renderer.renderBatch(scenes));
    }

    /** This set followed by {@code other}. */
    public KeepSet plus(KeepSet other) {
        if (other == null || other.size() == 0) return this;
        List<String> p = new ArrayList<>(prompts);
        p.addAll(other.prompts);
        return new KeepSet(p, Tensor.concat(List.of(images, other.images), 0));
    }
}
