package org.alignguard.eval;

import java.io.IOException;
import org.alignguard.diffusion.pipeline.TextToImageModel;

/**
 * One model to score, as evaluation and the reports see it: the base model, or the base model with
 * something applied (a LoRA, a merge, a baseline's weight edit or sampling guard). Every variant is
 * scored on the same prompts and seeds; only what it applies differs.
 */
public interface Variant {
    String name();

    /** Puts the variant on {@code model}; {@link Applied#remove} takes it off again, bit for bit. */
    Applied applyTo(TextToImageModel model) throws IOException;

    /** The training time its file records, in seconds (NaN for none, 0 for the base). */
    double trainSeconds();

    /**
     * False for a variant that leaves every weight as it is and changes only how images are drawn (a
     * sampling guard: SLD, a negative prompt, a blocklist). What depends only on the weights, such as
     * an attack's search, is then the base model's.
     */
    default boolean changesWeights() { return true; }

    /** A variant on a model: how to sample with it, and how to take it off. */
    interface Applied {
        Sampling sampling();

        void remove();
    }

    /** The base model itself. */
    Variant BASE = new Variant() {
        @Override public String name() { return "base"; }

        @Override public Applied applyTo(TextToImageModel model) {
            return new Applied() {
                @Override public Sampling sampling() { return Sampling.PLAIN; }

                @Override public void remove() { }
            };
        }

        @Override public double trainSeconds() { return 0; }

        @Override public boolean changesWeights() { return false; }
    };
}
