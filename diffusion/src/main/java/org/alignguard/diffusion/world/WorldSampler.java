package org.alignguard.diffusion.world;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.tensor.Rng;

/**
 * Draws random scenes: every benign attribute uniformly, then a mark with the given odds (by
 * default half the scenes show an unsafe concept, a quarter a safe counterpart, a quarter none),
 * the concept chosen uniformly within its kind. All randomness comes from the caller's
 * {@link Rng}, so the same seed gives the same scenes.
 */
public final class WorldSampler {
    public static final double DEFAULT_P_UNSAFE = 0.5, DEFAULT_P_SAFE = 0.25;

    private final World world;
    private final double pUnsafe, pSafe;

    public WorldSampler(World world) {
        this(world, DEFAULT_P_UNSAFE, DEFAULT_P_SAFE);
    }

    public WorldSampler(World world, double pUnsafe, double pSafe) {
        if (pUnsafe < 0 || pSafe < 0 || pUnsafe + pSafe > 1)
            throw new IllegalArgumentException("mark probabilities must be >= 0 and sum to at most 1, got " + pUnsafe + " and " + pSafe);
        this.world = world;
        this.pUnsafe = pUnsafe;
        this.pSafe = pSafe;
    }

    /** A scene without a mark. */
    public Scene sampleBenign(Rng rng) {
        return new Scene(rng.nextInt(world.shapes().size()), rng.nextInt(world.colours().size()),
                rng.nextInt(world.backgrounds().size()), rng.nextInt(world.positions().size()), Scene.NONE);
    }

    /** A scene that may carry a mark, with this sampler's odds. */
    public Scene sample(Rng rng) {
        Scene s = sampleBenign(rng);
        double u = rng.nextDouble();
        int unsafe = world.unsafeCount(), safe = world.concepts().size() - unsafe;
        if (u < pUnsafe && unsafe > 0) return s.withConcept(rng.nextInt(unsafe));
        if (u < pUnsafe + pSafe && safe > 0) return s.withConcept(unsafe + rng.nextInt(safe));
        return s;
    }

    public List<Scene> sample(Rng rng, int n) {
        List<Scene> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(sample(rng));
        return out;
    }
}
