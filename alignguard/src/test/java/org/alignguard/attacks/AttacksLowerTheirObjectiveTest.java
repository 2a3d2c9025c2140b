package org.alignguard.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.TinyModels;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** On a tiny model, each attack improves the objective it searches on, measured on draws it never saw. */
class AttacksLowerTheirObjectiveTest {
    static final World WORLD = World.load();

    /** Fixed "marked" images: any images will do for an objective the attack lowers. */
    static Attack.Targets targets(TextToImageModel m, AttackCase c) {
        Tensor x = Tensor.randn(new Rng(9), 2, 3, 16, 16).mul(0.5f);
        String w = TextualInversion.pseudoWord(c.concept());
        TargetImages.Set set = new TargetImages.Set(x, List.of(c.unsafePrompt(), c.unsafePrompt()),
                List.of("a red circle with " + w, "a blue square on the left, " + w));
        return new Attack.Targets() {
            @Override public TargetImages.Set forCase(AttackCase k) { return set; }

            @Override public TargetImages.Set forConcept(AttackCase k) { return set; }
        };
    }

    @Test void whiteBoxLowersTheDenoisingLossOnFreshDraws() {
        TextToImageModel m = TinyModels.model(21);
        AttackCase c = AttackCase.of(WORLD, WORLD.unsafeConcepts().get(3), 0);
        Attack.Targets t = targets(m, c);
        WhiteBoxAttack attack = new WhiteBoxAttack(new WhiteBoxAttack.Settings(3, 12, 8, 8, 2), WORLD, m.tokenizer);
        Found f = attack.run(m, c, t, ProgressListener.NONE);
        assertTrue(f.prompt().endsWith(c.neutralPrompt()) && new SynonymFilter(WORLD).allows(f.prompt()), f.prompt());
        assertEquals(3 + c.neutralPrompt().split(" ").length, f.prompt().split(" ").length);
        DenoisingObjective.Draw fresh = DenoisingObjective.draw(m, t.forCase(c).images(), new Rng(123), 16);
        double[] l = DenoisingObjective.losses(m, fresh, List.of(attack.initialPrompt(m, c), f.prompt()), 256);
        assertTrue(l[1] < l[0], "found " + l[1] + " vs start " + l[0] + ": " + f.prompt());
    }

    @Test void textualInversionLowersTheDenoisingLossOnFreshDraws() {
        TextToImageModel m = TinyModels.model(22);
        AttackCase c = AttackCase.of(WORLD, WORLD.unsafeConcepts().get(0), 0);
        Attack.Targets t = targets(m, c);
        TextualInversion ti = new TextualInversion(new TextualInversion.Settings(30, 2, 5e-2f), WORLD, m.tokenizer);
        Found f = ti.run(m, c, t, ProgressListener.NONE);
        String w = TextualInversion.pseudoWord(c.concept());
        assertTrue(f.prompt().contains(w) && new SynonymFilter(WORLD).allows(f.prompt()), f.prompt());
        float[] learned = f.pseudoWords().get(w);
        assertEquals(m.textEncoder.config.dim(), learned.length);
        // The start: the mean embedding of the allowed words.
        int dim = learned.length;
        float[] table = m.textEncoder.token_embedding.weight.data().contiguous().toArray(), start = new float[dim];
        int[] allowed = new SynonymFilter(WORLD).allowedTokens(m.tokenizer);
        for (int id : allowed) for (int j = 0; j < dim; j++) start[j] += table[id * dim + j] / allowed.length;
        double before = lossOn(m, t.forConcept(c), w, start, 77), after = lossOn(m, t.forConcept(c), w, learned, 77);
        assertTrue(after < before, "learned " + after + " vs start " + before);
        // A second case of the same concept reuses the word: one embedding per concept.
        Found again = ti.run(m, AttackCase.of(WORLD, c.concept(), 1), t, ProgressListener.NONE);
        assertEquals(java.util.Arrays.toString(learned), java.util.Arrays.toString(again.pseudoWords().get(w)));
    }

    /** Textual inversion's objective for a word with {@code embedding}, on 4 fresh draws of every image. */
    static double lossOn(TextToImageModel model, TargetImages.Set set, String word, float[] embedding, long seed) {
        try (var scope = org.alignguard.autograd.Grad.noGrad()) {
            DenoisingObjective.Draw d = DenoisingObjective.draw(model, set.images(), new Rng(seed), 4);
            List<String> prompts = new ArrayList<>();
            for (int r = 0; r < 4; r++) prompts.addAll(set.fitWith());
            var v = org.alignguard.autograd.Variable.constant(Tensor.of(embedding, embedding.length));
            return DenoisingObjective.loss(model, d, model.textEncoder.forwardEmbedded(model.tokenEmbeddings(prompts, java.util.Map.of(word, v)))).data().item();
        }
    }

    @Test void blackBoxFindsPromptsCloserToItsTargetThanChance() {
        TextToImageModel m = TinyModels.model(23);
        Concept concept = WORLD.unsafeConcepts().get(8);
        AttackCase c = AttackCase.of(WORLD, concept, 0);
        BlackBoxAttack attack = new BlackBoxAttack(new BlackBoxAttack.Settings(4, 16, 12, 3f, 8, 0.25f), WORLD, m.tokenizer);
        Found f = attack.run(m, c, null, ProgressListener.NONE);
        assertTrue(new SynonymFilter(WORLD).allows(f.prompt()) && f.prompt().endsWith(c.neutralPrompt()), f.prompt());
        assertEquals(16 * 12, f.spent());
        float[] tau = attack.target(m, c, c.searchRng("black-box"));
        double found = BlackBoxAttack.cosine(BlackBoxAttack.pooled(m, List.of(f.prompt()))[0], tau);
        assertEquals(f.end(), found, 1e-5);
        // Better than the best of as many random prompts as the search queried.
        int[] allowed = new SynonymFilter(WORLD).allowedTokens(m.tokenizer);
        Rng rng = new Rng(4);
        List<String> random = new ArrayList<>();
        for (int i = 0; i < 16 * 12; i++) {
            int[] z = new int[4];
            for (int j = 0; j < 4; j++) z[j] = allowed[rng.nextInt(allowed.length)];
            random.add(WhiteBoxAttack.prompt(m.tokenizer, z, c));
        }
        double best = Double.NEGATIVE_INFINITY;
        for (float[] p : BlackBoxAttack.pooled(m, random)) best = Math.max(best, BlackBoxAttack.cosine(p, tau));
        assertTrue(found > best, "found " + found + " vs best random " + best);
        // The target lies along the concept: the concept's own caption is closer to it than the neutral one.
        assertTrue(BlackBoxAttack.cosine(BlackBoxAttack.pooled(m, List.of(c.unsafePrompt()))[0], tau)
                > BlackBoxAttack.cosine(BlackBoxAttack.pooled(m, List.of(c.neutralPrompt()))[0], tau));
    }

}
