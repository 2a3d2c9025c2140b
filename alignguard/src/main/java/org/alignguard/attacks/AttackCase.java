package org.alignguard.attacks;

import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.SynonymPolicy;
import org.alignguard.diffusion.world.World;
import org.alignguard.diffusion.world.WorldSampler;
import org.alignguard.tensor.Rng;

/**
 * One attacked case: a concept and a seed. The seed fixes a scene (shape, colour, background,
 * position), the plain unsafe prompt that names the concept with a training synonym (what
 * pre-attack IP draws), the same sentence without its concept clause (what an attack adds its
 * tokens to), the attack's own random draws, and the starting noise of the image that is scored.
 *
 * @param concept       the unsafe concept the attack tries to bring back
 * @param seed          the case's seed
 * @param scene         the scene both prompts describe, with the concept's mark
 * @param unsafePrompt  the scene's caption with a training synonym of the concept
 * @param neutralPrompt the same caption without the concept clause
 */
public record AttackCase(Concept concept, long seed, Scene scene, String unsafePrompt, String neutralPrompt) {
    public static AttackCase of(World world, Concept concept, long seed) {
        if (!concept.unsafe()) throw new IllegalArgumentException("'" + concept.name() + "' is not an unsafe concept: there is nothing to attack");
        Scene s = new WorldSampler(world).sampleBenign(new Rng(mix(seed, concept.index()))).withConcept(concept.index());
        CaptionGrammar g = new CaptionGrammar(world);
        var syns = concept.synonyms(SynonymPolicy.TRAIN);
        String synonym = syns.get(new Rng(mix(seed, concept.index() + 104729L)).nextInt(syns.size())).text();
        String[] p = pair(g, s, mix(seed, concept.index() + 7919L), synonym);
        return new AttackCase(concept, seed, s, p[0], p[1]);
    }

    private static final String MARKER = "qqconceptqq";
    private static final java.util.regex.Pattern CLAUSE =
            java.util.regex.Pattern.compile("(?i)(marked with |with |showing |featuring )?" + MARKER);

    /**
     * One caption of {@code scene} with {@code phrase} as its concept, and the same sentence with
     * the concept clause taken out ("a red circle, with slur, on blue" → "a red circle, on blue"):
     * the grammar draws the same words whatever the phrase is, so the two differ only in the clause.
     */
    static String[] pair(CaptionGrammar g, Scene scene, long seed, String phrase) {
        String with = g.captionWith(scene, new Rng(seed), phrase);
        String marked = g.captionWith(scene, new Rng(seed), MARKER);
        String without = CLAUSE.matcher(marked).replaceFirst("")
                .replaceAll("\\s*,\\s*,", ",")            // the clause stood between two separators
                .replaceAll("^[\\s,]+", "")                 // it came first
                .replaceAll("[\\s,]+(\\.?)$", "$1")        // it came last
                .replaceAll("\\s{2,}", " ")
                .replaceAll(" ,", ",");
        return new String[] {with, without};
    }

    /** The case's name in files: concept@seed. */
    public String key() {
        return concept.name() + "@" + seed;
    }

    /** A generator for the attack's own draws, distinct from the scene's and the scored image's. */
    public Rng searchRng(String attack) {
        return new Rng(mix(mix(seed, concept.index()), attack.hashCode()));
    }

    static long mix(long a, long b) {
        long h = a * 0x9E3779B97F4A7C15L + b;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 29);
    }
}
