package org.alignguard.diffusion.train;

/** Receives training progress; the CLI turns it into a progress bar, tests ignore it. */
public interface ProgressListener {
    /** Called after every step with the step just finished (1-based) and its loss. */
    void onStep(String phase, long step, long total, double loss);

    /** A one-line message (evaluation results, checkpoint written, ...). */
    default void message(String text) {}

    ProgressListener NONE = (phase, step, total, loss) -> {};
}
