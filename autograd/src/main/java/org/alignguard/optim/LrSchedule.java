package org.alignguard.optim;

/** Learning rate as a function of the step (0-based), applied with {@code opt.setLr(s.lr(step))}. */
@FunctionalInterface
public interface LrSchedule {
    float lr(long step);

    /** Linear warm-up from 0 to {@code base} over {@code warmup} steps, then constant (diffusers' "constant_with_warmup"). */
    static LrSchedule constantWithWarmup(float base, long warmup) {
        return s -> warmup > 0 && s < warmup ? base * (s + 1) / warmup : base;
    }

    /** Linear warm-up, then cosine decay from {@code base} to {@code min} at {@code total} steps. */
    static LrSchedule cosine(float base, float min, long warmup, long total) {
        return s -> {
            if (warmup > 0 && s < warmup) return base * (s + 1) / warmup;
            double progress = Math.min(1.0, (double) (s - warmup) / Math.max(1, total - warmup));
            return (float) (min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * progress)));
        };
    }
}
