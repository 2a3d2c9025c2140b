package org.alignguard.tensor.cpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
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
     * The threads of lanes 1, 2, ... (lane 0 is the calling thread). Kept between calls: a DPO step
     * starts lanes every step, and a fresh thread would allocate its kernels' scratch buffers afresh.
     */
    private static final ExecutorService THREADS = Executors.newCachedThreadPool(new ThreadFactory() {
        private final AtomicInteger made = new AtomicInteger();

        @Override public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "alignguard-lane-" + made.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    });

    /**
     * Runs every job on one of {@code lanes}' copies, at most one job per lane at a time, taking
     * them in list order (put the longest first); lane 0 is this thread. The lanes split this
     * thread's share of the threads (all of them, or a lane's share when a lane starts lanes). With
     * one lane, one job or one thread here, runs them here, in order. The jobs left over from whole
     * rounds (jobs mod lanes), which would run beside idle lanes, run after the others, here, one at
     * a time, each as the only lane on every thread here ({@link #alone}). The first failure stops
     * the lanes from taking new jobs; once the running ones end, it is thrown here.
     */
    public static <R> void run(List<R> lanes, List<? extends Job<R>> jobs) throws IOException {
        if (lanes.isEmpty()) throw new IllegalArgumentException("no lanes");
        int n = Math.min(Math.min(lanes.size(), jobs.size()), Parallel.threadsHere());
        if (n <= 1) {
            for (Job<R> j : jobs) j.run(lanes.get(0));
            return;
        }
        // The last jobs.size() % n jobs would run while other lanes sit idle: they run after the
        // others, one at a time, on every thread here (docs/PERFORMANCE.md, "Fourteenth session").
        List<? extends Job<R>> tail = jobs.subList(jobs.size() - jobs.size() % n, jobs.size());
        jobs = jobs.subList(0, jobs.size() - tail.size());
        inLanes(lanes, jobs, n);
        for (Job<R> j : tail) alone(unused -> j.run(lanes.get(0)));
    }

    private static <R> void inLanes(List<R> lanes, List<? extends Job<R>> jobs, int n) throws IOException {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Parallel.Pool share = Parallel.share();
        java.util.function.IntFunction<Runnable> lane = i -> () -> Parallel.inLane(share, i, n, () -> {
            for (int k; failed.get() == null && (k = next.getAndIncrement()) < jobs.size(); ) {
                try {
                    jobs.get(k).run(lanes.get(i));
                } catch (Throwable t) {
                    failed.compareAndSet(null, t);
                }
            }
        });
        List<Future<?>> others = new ArrayList<>();
        for (int i = 1; i < n; i++) others.add(THREADS.submit(lane.apply(i)));
        lane.apply(0).run();
        boolean interrupted = false;
        for (Future<?> f : others)
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                    failed.compareAndSet(null, e);
                } catch (ExecutionException e) {
                    failed.compareAndSet(null, e.getCause());   // the lane's loop catches every job's failure: not reached
                    break;
                }
            }
        if (interrupted) Thread.currentThread().interrupt();
        rethrow(failed.get());
    }

    /**
     * Runs {@code body} here as the only lane: its loops use every thread of this thread's share,
     * and lanes started inside it split those threads again. The main job and the scaling
     * experiment train this way, so a DPO step runs its two passes one after the other (two at once
     * overflow the default heap: docs/PERFORMANCE.md), the reference pass with its rows split over
     * the threads.
     */
    public static void alone(Job<Void> body) throws IOException {
        Throwable[] failed = new Throwable[1];
        Parallel.inLane(Parallel.share(), 0, 1, () -> {
            try {
                body.run(null);
            } catch (Throwable t) {
                failed[0] = t;
            }
        });
        rethrow(failed[0]);
    }

    private static void rethrow(Throwable t) throws IOException {
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
