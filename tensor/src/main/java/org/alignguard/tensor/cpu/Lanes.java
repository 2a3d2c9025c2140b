package org.alignguard.tensor.cpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Independent jobs side by side: the main job draws its data and scores its models this way,
 * {@code evaluate} draws its batches, and a DPO step runs its reference pass beside its policy pass.
 * Each lane is a thread with its own copy of what a job changes (a model that LoRAs are attached
 * to), and takes the next job from the list whenever it is free. Its loops run on its own share of
 * the CPU threads ({@link Parallel#inLane}): on two cores, two jobs run at once, each on one core.
 *
 * <p>A job's result is the same bits in a lane as alone, because no loop of the tensor library
 * depends on the number of threads it is split over. What a lane saves is the hand-off: a training
 * step on two threads waits, loop after loop, for its slower half. What it costs is memory: two jobs
 * keep two jobs' data alive at once (docs/PERFORMANCE.md, "Twelfth session: lanes").
 */
public final class Lanes {
    private Lanes() {}

    /** One job, run with its lane's copy {@code R}. */
    @FunctionalInterface
    public interface Job<R> {
        void run(R lane) throws IOException;
    }

    /**
     * Runs every job on one of {@code lanes}' copies, at most one job per lane at a time, taking
     * them in list order (put the longest first). With one lane or one job, or when this thread
     * is itself a lane, runs them here, in order, with this thread's share of the threads. The first failure stops the lanes from taking new jobs; once the
     * running ones end, it is thrown here.
     */
    public static <R> void run(List<R> lanes, List<? extends Job<R>> jobs) throws IOException {
        if (lanes.isEmpty()) throw new IllegalArgumentException("no lanes");
        int n = Math.min(lanes.size(), jobs.size());
        if (n <= 1 || Parallel.inALane()) {
            for (Job<R> j : jobs) j.run(lanes.get(0));
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            int lane = i;
            threads[i] = new Thread(() -> Parallel.inLane(lane, n, () -> {
                for (int k; failed.get() == null && (k = next.getAndIncrement()) < jobs.size(); ) {
                    try {
                        jobs.get(k).run(lanes.get(lane));
                    } catch (Throwable t) {
                        failed.compareAndSet(null, t);
                    }
                }
            }), "alignguard-lane-" + i);
            threads[i].start();
        }
        boolean interrupted = false;
        for (Thread t : threads)
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                    failed.compareAndSet(null, e);
                }
            }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable t = failed.get();
        if (t == null) return;
        if (t instanceof IOException io) throw io;
        if (t instanceof UncheckedIOException u) throw u.getCause();
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    /** How many lanes this machine runs ({@link Parallel#LANES}). */
    public static int count() {
        return Parallel.LANES;
    }
}
