package org.alignguard.attacks;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.World;
import org.alignguard.optim.AdamW;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * Textual inversion as an attack (Gal et al. 2023; used against erasure by Pham et al., ICLR
 * 2024, "Circumventing Concept Erasure Methods for Text-to-Image Generative Models"). One new
 * pseudo-word v* per concept is learned on the attacked model, from images that carry the mark,
 * with everything else frozen:
 * <pre>
 *   v* = argmin_v  E_{x_0, t, ε} ‖ f_θ(x_t, t, enc(caption with v in place of the concept's synonym)) − y ‖²   (Gal et al., Eq. 2)
 * </pre>
 * then the case's scene is drawn with v* in the caption. A mark that comes back this way is still in
 * the weights: the method only cut it off from its words. v* starts at the mean of the allowed words'
 * embeddings, so it knows nothing of the concept; AdamW at lr 5·10⁻³ (Gal et al.'s base rate).
 * The word is learned once per concept and serves every seed of that concept.
 */
public final class TextualInversion implements Attack {
    /**
     * @param steps  optimizer steps per concept (the budget: 400)
     * @param images marked images per concept (the issue: at least 8); each step sees all of them
     * @param lr     AdamW's learning rate
     */
    public record Settings(int steps, int images, float lr) {
        public Settings {
            if (steps < 1) throw new IllegalArgumentException("textual inversion: steps must be positive, got " + steps);
            if (images < 1) throw new IllegalArgumentException("textual inversion: images must be positive, got " + images);
            if (!(lr > 0) || Float.isInfinite(lr)) throw new IllegalArgumentException("textual inversion: lr must be a positive number, got " + lr);
        }
    }

    private final Settings settings;
    private final World world;
    private final SynonymFilter filter;
    private final int[] allowed;
    /** Learned words by concept, on the model now attacked, with what their training measured. */
    private final Map<String, Learned> learned = new HashMap<>();

    record Learned(float[] embedding, double start, double end, double seconds) {}

    public TextualInversion(Settings settings, World world, org.alignguard.diffusion.world.Tokenizer tok) {
        this.settings = settings;
        this.world = world;
        this.filter = new SynonymFilter(world);
        this.allowed = filter.allowedTokens(tok);
    }

    @Override public String name() { return "textual-inversion"; }

    @Override public boolean fitsConceptImages() { return true; }

    @Override public Map<String, Object> budget() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", settings.steps());
        m.put("images", settings.images());
        m.put("lr", settings.lr());
        m.put("embeddings_per_concept", 1);
        return m;
    }

    /** The pseudo-word of a concept: a word outside every vocabulary this project writes. */
    public static String pseudoWord(org.alignguard.diffusion.world.Concept c) {
        return "pseudo" + c.index();
    }

    /** The caption of the case's scene with the concept's pseudo-word where its synonym would stand. */
    public static String prompt(World world, AttackCase c) {
        return new CaptionGrammar(world).captionWith(c.scene(), c.searchRng("textual-inversion-prompt"), pseudoWord(c.concept()));
    }

    /** Forgets the words of the previous model; takes up those already learned on this one, so they are not learned again. */
    @Override public void resume(java.util.Collection<Found> earlier) {
        learned.clear();
        for (Found f : earlier)
            f.pseudoWords().values().forEach(v -> learned.put(f.concept(), new Learned(v, f.start(), f.end(), f.seconds())));
    }

    @Override public Found run(TextToImageModel model, AttackCase c, Targets targets, ProgressListener progress) {
        Learned l = learned.get(c.concept().name());
        if (l == null) {
            try (var frozen = new FrozenWeights(model)) {
                l = learn(model, c, targets.forConcept(c), progress);
            }
            learned.put(c.concept().name(), l);
        }
        String word = pseudoWord(c.concept());
        return new Found(c.concept().name(), c.seed(), filter.check(prompt(world, c)), Map.of(word, l.embedding()), l.start(), l.end(), settings.steps(), l.seconds());
    }

    private Learned learn(TextToImageModel model, AttackCase c, TargetImages.Set set, ProgressListener progress) {
        if (set == null || set.images() == null)
            throw new IllegalStateException("textual inversion: the base model drew no image with the mark of '" + c.concept().name() + "'");
        long t0 = System.nanoTime();
        String word = pseudoWord(c.concept());
        Variable v = Variable.param(start(model));
        AdamW opt = new AdamW(Map.of(word, v), settings.lr());
        Rng rng = new Rng(AttackCase.mix(c.concept().index(), 0x7115L));
        List<String> prompts = set.fitWith();
        double first = Double.NaN, last = Double.NaN;
        for (int step = 0; step < settings.steps(); step++) {
            DenoisingObjective.Draw d = DenoisingObjective.draw(model, set.images(), rng, 1);
            opt.zeroGrad();
            Variable context = model.textEncoder.forwardEmbedded(model.tokenEmbeddings(prompts, Map.of(word, v)));
            Variable loss = DenoisingObjective.loss(model, d, context);
            loss.backward();
            opt.step();
            last = loss.data().item();
            if (step == 0) first = last;
            progress.onStep(name() + " " + c.concept().name(), step + 1, settings.steps(), last);
        }
        return new Learned(v.data().contiguous().toArray(), first, last, (System.nanoTime() - t0) / 1e9);
    }

    /** The mean embedding of the allowed words: a start that carries nothing of the concept. */
    private Tensor start(TextToImageModel model) {
        int dim = model.textEncoder.config.dim();
        float[] e = model.textEncoder.token_embedding.weight.data().contiguous().toArray();
        float[] mean = new float[dim];
        for (int id : allowed) for (int j = 0; j < dim; j++) mean[j] += e[id * dim + j] / allowed.length;
        return Tensor.of(mean, dim);
    }
}
