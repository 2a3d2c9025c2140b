package org.alignguard.diffusion.train;

import java.util.HashMap;
import java.util.Map;

/**
 * The progress of jobs that run side by side ({@link Lanes}) as one bar: the steps of every known
 * phase summed, over the sum of their totals. Phases it was not told about (a probe's drawings
 * inside a training) are not counted. Safe to call from every lane.
 */
public final class LaneProgress implements ProgressListener {
    private final ProgressListener out;
    private final String phase;
    private final Map<String, Long> totals = new HashMap<>(), steps = new HashMap<>();
    private long total, done;

    public LaneProgress(ProgressListener out, String phase) {
        this.out = out;
        this.phase = phase;
    }

    /** A job's phase: it reports steps up to {@code jobTotal} (a resumed job's first report jumps to where it was). */
    public synchronized LaneProgress expect(String jobPhase, long jobTotal) {
        totals.put(jobPhase, jobTotal);
        steps.put(jobPhase, 0L);
        total += jobTotal;
        return this;
    }

    @Override public synchronized void onStep(String jobPhase, long step, long jobTotal, double loss) {
        Long before = steps.get(jobPhase);
        if (before == null) return;
        long now = Math.min(step, totals.get(jobPhase));
        done += now - before;
        steps.put(jobPhase, now);
        out.onStep(phase, done, total, Double.NaN);
    }

    @Override public synchronized void message(String text) {
        out.message(text);
    }
}
