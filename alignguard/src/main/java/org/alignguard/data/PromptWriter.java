package org.alignguard.data;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Category;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.Synonym;
import org.alignguard.diffusion.world.SynonymPolicy;
import org.alignguard.diffusion.world.World;
import org.alignguard.diffusion.world.WorldSampler;
import org.alignguard.tensor.Rng;

/**
 * Writes the prompts of the alignment data, the part of CoProV2 an LLM wrote in the paper: for each
 * category, unsafe prompts that use its concepts in varied scenes and phrasings, each with a
 * minimally different safe prompt. Every prompt is a deterministic function of (seed, category,
 * index), so the same seed always gives the same data.
 */
public final class PromptWriter {
    private final World world;
    private final CaptionGrammar grammar;
    private final WorldSampler sampler;

    public PromptWriter(World world) {
        this.world = world;
        this.grammar = new CaptionGrammar(world);
        this.sampler = new WorldSampler(world);
    }

    public Category category(String name) {
        for (Category c : world.categories()) if (c.name().equals(name)) return c;
        List<String> names = world.categories().stream().map(Category::name).toList();
        throw new IllegalArgumentException("unknown category '" + name + "' (the world has " + String.join(", ", names) + ")");
    }

    /**
     * Candidate pair {@code index} of {@code category}: a TRAIN scene, the category's concepts in
     * turn, training synonyms only (held-out synonyms never reach a training pair).
     */
    public PromptPair trainingPair(String category, int index, long seed) {
        Category cat = category(category);
        Rng rng = new Rng(mix(seed, category.hashCode(), index));
        Scene scene = scene(rng, DataSplit.TRAIN, null);
        Concept unsafe = world.concept(cat.unsafeConcepts().get(index % cat.unsafeConcepts().size()));
        return pair(String.format("%s-%04d", slug(category), index), unsafe, scene, rng, SynonymPolicy.TRAIN);
    }

    /** Candidate pair {@code index} of one unsafe concept, on a TRAIN scene, training synonyms only. */
    public PromptPair conceptTrainingPair(Concept unsafe, int index, long seed) {
        if (!unsafe.unsafe()) throw new IllegalArgumentException("'" + unsafe.name() + "' is not an unsafe concept");
        Rng rng = new Rng(mix(seed, unsafe.name().hashCode() * 7L + 3, index));
        return pair(String.format("%s-%04d", slug(unsafe.name()), index), unsafe, scene(rng, DataSplit.TRAIN, null), rng, SynonymPolicy.TRAIN);
    }

    /** A pair written on a TEST scene; with HELD_OUT the unsafe prompt uses the concept's held-out synonym. */
    public PromptPair testPair(String category, int index, long seed, SynonymPolicy policy) {
        return testPair(category, index, seed, policy, null);
    }

    /** As {@link #testPair(String, int, long, SynonymPolicy)}, on a TEST scene of {@code half} (null: any). */
    public PromptPair testPair(String category, int index, long seed, SynonymPolicy policy, EvalSplit half) {
        Category cat = category(category);
        Concept unsafe = world.concept(cat.unsafeConcepts().get(index % cat.unsafeConcepts().size()));
        Rng rng = new Rng(mix(seed ^ 0x7E57L, category.hashCode() * 31 + policy.ordinal(), index));
        return pair(String.format("%s-test-%04d", slug(category), index), unsafe, scene(rng, DataSplit.TEST, half), rng, policy);
    }

    /** Test pair {@code index} of one unsafe concept, on a TEST scene of {@code half} (null: any). */
    public PromptPair conceptTestPair(Concept unsafe, int index, long seed, SynonymPolicy policy, EvalSplit half) {
        if (!unsafe.unsafe()) throw new IllegalArgumentException("'" + unsafe.name() + "' is not an unsafe concept");
        Rng rng = new Rng(mix(seed ^ 0xC0C7L, unsafe.index() * 31L + policy.ordinal(), index));
        return pair(String.format("%s-test-%04d", slug(unsafe.name()), index), unsafe, scene(rng, DataSplit.TEST, half), rng, policy);
    }

    /** A benign prompt (no concept) on a BENIGN scene: those combinations were never trained on. */
    public String benignPrompt(int index, long seed) {
        return benignPrompt(index, seed, null);
    }

    /** As {@link #benignPrompt(int, long)}, on a BENIGN scene of {@code half} (null: any). */
    public String benignPrompt(int index, long seed, EvalSplit half) {
        Rng rng = new Rng(mix(seed ^ 0xBE9L, 17, index));
        return grammar.captionWith(scene(rng, DataSplit.BENIGN, half), rng, null);
    }

    private PromptPair pair(String id, Concept unsafe, Scene scene, Rng rng, SynonymPolicy policy) {
        Concept safe = world.concept(unsafe.counterpart());
        String unsafePhrase = pick(unsafe.synonyms(policy), rng), safePhrase = pick(safe.synonyms(policy), rng);
        long template = rng.nextInt();
        // Two generators in the same state: the two captions differ only in the concept phrase.
        String u = grammar.captionWith(scene.withConcept(unsafe.index()), new Rng(template), unsafePhrase);
        String s = grammar.captionWith(scene.withConcept(safe.index()), new Rng(template), safePhrase);
        return new PromptPair(id, unsafe.category(), unsafe.name(), safe.name(), scene.withoutMark(), u, s);
    }

    private static String pick(List<Synonym> syns, Rng rng) {
        return syns.get(rng.nextInt(syns.size())).text();
    }

    /** A random scene of {@code split}, and of the evaluation half {@code half} unless it is null. */
    public Scene scene(Rng rng, DataSplit split, EvalSplit half) {
        for (int tries = 0; tries < 1_000_000; tries++) {
            Scene s = sampler.sampleBenign(rng);
            if (DataSplit.of(s) == split && (half == null || half.contains(s))) return s;
        }
        throw new IllegalArgumentException("the world has no " + split + " scene" + (half == null ? "" : " in the " + half.cliName() + " half") + ": it needs more shapes, colours, backgrounds or positions");
    }

    /** The category name as a file-name part: "self-harm", "illegal-activity". */
    public static String slug(String category) {
        return category.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }

    static long mix(long seed, long a, long b) {
        return (seed * 1_000_003L + a) * 1_000_033L + b;
    }

    /** Every category name, in the world's order. */
    public List<String> categoryNames() {
        List<String> out = new ArrayList<>();
        for (Category c : world.categories()) out.add(c.name());
        return out;
    }
}
