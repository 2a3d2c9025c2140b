package org.alignguard.diffusion.world;

/** Which synonyms of a concept a caption may use. */
public enum SynonymPolicy {
    /** Every synonym: pretraining captions. */
    ALL,
    /** Only synonyms not marked held out: alignment training. */
    TRAIN,
    /** Only held-out synonyms (concepts without one fall back to all): out-of-distribution tests. */
    HELD_OUT;

    public boolean allows(Synonym s) {
        return switch (this) {
            case ALL -> true;
            case TRAIN -> !s.heldOut();
            case HELD_OUT -> s.heldOut();
        };
    }
}
