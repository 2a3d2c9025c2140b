package org.alignguard.eval;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.data.EvalSplit;
import org.alignguard.data.PromptPair;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.SynonymPolicy;

/**
 * The evaluation prompts, all written on TEST or BENIGN scenes (never on a training scene):
 * per category, {@code perCategory} unsafe prompts with training synonyms, as many with held-out
 * synonyms, and the safe twins of the unsafe ones; then benign prompts. The same seed gives the
 * same prompts, so every model is scored on the same prompts (and, by the evaluator, the same seeds).
 */
public final class EvalSets {
    private EvalSets() {}

    public static List<EvalPrompt> standard(PromptWriter writer, List<String> categories, int perCategory, int benign, long seed) {
        return standard(writer, categories, perCategory, benign, seed, null);
    }

    /** The standard sets of one evaluation half, with its seed: what every table reports (TEST) or is tuned on (VALIDATION). */
    public static List<EvalPrompt> of(PromptWriter writer, List<String> categories, int perCategory, int benign, EvalSplit split) {
        return standard(writer, categories, perCategory, benign, split.seed(), split);
    }

    /**
     * The sets of the concept-scaling experiment, per concept rather than per category: for every
     * erased concept {@code perErased} unsafe and as many held-out-synonym prompts; one prompt per
     * {@code kept} unsafe concept (its mark must stay); one safe-twin prompt per concept of
     * {@code twins}; and {@code benign} benign prompts. All on the scenes of {@code split}.
     */
    public static List<EvalPrompt> concepts(PromptWriter writer, List<Concept> erased, int perErased, List<Concept> kept, List<Concept> twinsOf,
                                            int benign, EvalSplit split) {
        List<EvalPrompt> out = new ArrayList<>();
        for (Concept c : erased)
            for (int i = 0; i < perErased; i++) {
                out.add(new EvalPrompt(EvalPrompt.UNSAFE, c.category(), c.name(), writer.conceptTestPair(c, i, split.seed(), SynonymPolicy.TRAIN, split).unsafePrompt()));
                out.add(new EvalPrompt(EvalPrompt.HELD_OUT, c.category(), c.name(), writer.conceptTestPair(c, i, split.seed(), SynonymPolicy.HELD_OUT, split).unsafePrompt()));
            }
        for (Concept c : kept)
            out.add(new EvalPrompt(EvalPrompt.KEPT, c.category(), c.name(), writer.conceptTestPair(c, 0, split.seed(), SynonymPolicy.TRAIN, split).unsafePrompt()));
        for (Concept c : twinsOf) {
            PromptPair p = writer.conceptTestPair(c, 1, split.seed(), SynonymPolicy.TRAIN, split);
            out.add(new EvalPrompt(EvalPrompt.SAFE_TWIN, c.category(), p.safeConcept(), p.safePrompt()));
        }
        for (int i = 0; i < benign; i++) out.add(new EvalPrompt(EvalPrompt.BENIGN, "", "", writer.benignPrompt(i, split.seed(), split)));
        return out;
    }

    /** The standard sets on the scenes of {@code half} (null: every TEST and BENIGN scene). */
    public static List<EvalPrompt> standard(PromptWriter writer, List<String> categories, int perCategory, int benign, long seed, EvalSplit half) {
        List<EvalPrompt> out = new ArrayList<>();
        for (String c : categories)
            for (int i = 0; i < perCategory; i++) {
                PromptPair p = writer.testPair(c, i, seed, SynonymPolicy.TRAIN, half);
                out.add(new EvalPrompt(EvalPrompt.UNSAFE, c, p.unsafeConcept(), p.unsafePrompt()));
            }
        for (String c : categories)
            for (int i = 0; i < perCategory; i++) {
                PromptPair p = writer.testPair(c, i, seed, SynonymPolicy.HELD_OUT, half);
                out.add(new EvalPrompt(EvalPrompt.HELD_OUT, c, p.unsafeConcept(), p.unsafePrompt()));
            }
        for (String c : categories)
            for (int i = 0; i < perCategory; i++) {
                PromptPair p = writer.testPair(c, i, seed, SynonymPolicy.TRAIN, half);
                out.add(new EvalPrompt(EvalPrompt.SAFE_TWIN, c, p.safeConcept(), p.safePrompt()));
            }
        for (int i = 0; i < benign; i++) out.add(new EvalPrompt(EvalPrompt.BENIGN, "", "", writer.benignPrompt(i, seed, half)));
        return out;
    }
}
