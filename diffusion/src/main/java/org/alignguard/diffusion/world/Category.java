package org.alignguard.diffusion.world;

import java.util.List;

/** A CoProV2/I2P category ("violence") and the indices of its unsafe concepts in {@link World#concepts()}. */
public record Category(String name, List<Integer> unsafeConcepts) {
    public Category {
        unsafeConcepts = List.copyOf(unsafeConcepts);
    }
}
