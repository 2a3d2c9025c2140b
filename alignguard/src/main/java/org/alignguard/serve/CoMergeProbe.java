package org.alignguard.serve;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.data.PromptPair;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.Renderer;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.World;
import org.alignguard.merge.CoMerge;
import org.alignguard.merge.Expert;
import org.alignguard.merge.ExpertMerger;
import org.alignguard.merge.ProbeSet;

/**
 * Co-Merge's activations a_e for the playground. Co-Merge ranks each weight of each expert by how
 * active it is "across all inputs" (AlignGuard, Sec. 3.3): a_e[j,k] = |ΔW_e[j,k]| · E|x_k|, with
 * E|x_k| measured on a probe set ({@link CoMerge#activation}). The merge command takes its probe from
 * the preference data; the playground ships without it, so it draws its probe from the world itself:
 * for each category, a few CoProV2-style prompt pairs ({@link PromptWriter#trainingPair}) with the
 * renderer's exact pictures of them, the unsafe prompt with its unsafe mark and the safe twin with the
 * safe mark. These are the pictures the preference data's filter asks the model's drawings to match.
 *
 * <p>a_e is measured once per expert at scale 1, when the playground starts. An expert the page
 * scales by s then counts |s|·a_e: its weights are s times as large, while E|x_k| is kept from
 * scale 1 (measuring it again for every slider position would take seconds per move).
 */
final class CoMergeProbe {
    /** Pairs per category: 2 × 7 categories × 2 prompts = 28 probe images, at 5 timesteps each. */
    static final int PAIRS_PER_CATEGORY = 2;
    static final long SEED = 0;

    private CoMergeProbe() {}

    /** The probe: unsafe prompts with their rendered unsafe scenes, then the safe twins with theirs. */
    static ProbeSet probe(World world, int imageSize) {
        PromptWriter writer = new PromptWriter(world);
        List<String> prompts = new ArrayList<>(), safePrompts = new ArrayList<>();
        List<Scene> scenes = new ArrayList<>(), safeScenes = new ArrayList<>();
        for (String category : writer.categoryNames())
            for (int i = 0; i < PAIRS_PER_CATEGORY; i++) {
                PromptPair p = writer.trainingPair(category, i, SEED);
                prompts.add(p.unsafePrompt());
                scenes.add(p.scene().withConcept(world.concept(p.unsafeConcept()).index()));
                safePrompts.add(p.safePrompt());
                safeScenes.add(p.scene().withConcept(world.concept(p.safeConcept()).index()));
            }
        prompts.addAll(safePrompts);
        scenes.addAll(safeScenes);
        return new ProbeSet(prompts, new Renderer(world, imageSize).renderBatch(scenes), ExpertMerger.PROBE_TIMESTEPS, SEED);
    }

    /** a_e of every expert, in order, measured on {@code model} (which must be nobody else's while this runs). */
    static List<CoMerge.Activation> activations(TextToImageModel model, List<Expert> experts) {
        return CoMerge.activations(model, experts, probe(model.world(), model.imageSize()));
    }
}
