package org.alignguard.cli;

import java.util.HashMap;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.alignguard.diffusion.train.ProgressListener;

/** Shows training progress as a progress bar per phase: step, loss, it/s and time left. */
final class Progress implements ProgressListener, AutoCloseable {
    private final Map<String, ProgressBar> bars = new HashMap<>();
    private final Map<String, Double> smoothed = new HashMap<>();

    @Override public void onStep(String phase, long step, long total, double loss) {
        ProgressBar bar = bars.get(phase);
        if (bar == null) {
            // A new phase ends the previous one. Its bar is closed AND dropped: closing every bar ever
            // made at each new phase blocked on each of them in turn, so an attack with hundreds of
            // (concept, seed) phases slowed down case after case (docs/PERFORMANCE.md, red-teaming).
            bars.values().forEach(ProgressBar::close);
            bars.clear();
            smoothed.clear();
            bar = new ProgressBarBuilder().setTaskName(phase).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(500).showSpeed().startsFrom(step - 1, java.time.Duration.ZERO).build();
            bars.put(phase, bar);
        }
        bar.stepTo(step);
        if (!Double.isNaN(loss)) {
            double s = smoothed.merge(phase, loss, (old, x) -> 0.98 * old + 0.02 * x);
            bar.setExtraMessage(String.format(java.util.Locale.ROOT, "loss %.4f", s));
        }
    }

    @Override public void message(String text) {
        System.err.println(text);
    }

    @Override public void close() {
        bars.values().forEach(ProgressBar::close);
        bars.clear();
    }

    /** Bars still open: at most the current phase's. */
    int openBars() {
        return bars.size();
    }
}
