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
        ProgressBar bar = bars.computeIfAbsent(phase, p -> {
            bars.values().forEach(ProgressBar::close);
            return new ProgressBarBuilder().setTaskName(p).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(500).showSpeed().startsFrom(step - 1, java.time.Duration.ZERO).build();
        });
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
    }
}
