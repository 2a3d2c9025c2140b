package org.alignguard.data;

import org.alignguard.diffusion.world.Scene;

/**
 * The two halves of the evaluation scenes, so that no choice is made on the prompts a result is
 * reported on. Every choice (β, learning rate, steps, Co-Merge's γ, each baseline's settings, SLD's
 * configuration) is made on {@link #VALIDATION}; tables are reported on {@link #TEST}, which is used
 * for nothing else.
 *
 * <p>A scene's half is a hash of its benign attributes, independent of {@link DataSplit}'s: the
 * TEST scenes and the BENIGN scenes are each cut in two. Each half also has its own seed, which
 * draws its prompts (phrasings, synonyms) and the starting noise of its images.
 */
public enum EvalSplit {
    VALIDATION(1_000), TEST(2_000);

    private final long seed;

    EvalSplit(long seed) {
        this.seed = seed;
    }

    /** The seed of this half's prompts and images. */
    public long seed() { return seed; }

    /** Whether {@code s} (its benign attributes) belongs to this half. */
    public boolean contains(Scene s) {
        int h = ((s.shape() * 41 + s.colour()) * 41 + s.background()) * 41 + s.position();
        h *= 0x27D4EB2F;
        h ^= h >>> 15;
        h *= 0x165667B1;
        h ^= h >>> 13;
        return (Integer.remainderUnsigned(h, 2) == 0) == (this == VALIDATION);
    }

    /** "validation" or "test", as the command line writes it. */
    public String cliName() { return name().toLowerCase(java.util.Locale.ROOT); }

    public static EvalSplit parse(String s) {
        for (EvalSplit e : values()) if (e.cliName().equals(s)) return e;
        throw new IllegalArgumentException("unknown split '" + s + "' (use validation or test)");
    }
}
