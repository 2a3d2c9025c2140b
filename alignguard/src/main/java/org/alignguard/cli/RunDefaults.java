package org.alignguard.cli;

/** The main job's defaults, sized so the whole run takes at most 15 minutes on a 2-core machine (docs/PERFORMANCE.md). */
final class RunDefaults {
    private RunDefaults() {}

    static final int DATA_STEPS = 10;
    static final int EVAL_PER_CATEGORY = 10;
    static final int EVAL_BENIGN = 30;
    static final int EVAL_STEPS = 10;
    static final int EVAL_OOG = 5;
    static final int PROBE_EVERY = 50;
}
