package org.alignguard.tensor.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Splits loops over independent items across the CPU backend's threads.
 *
 * <p>Work is only ever split over items that write disjoint outputs, never over a sum, so results
 * are bit-identical at every thread count. The thread count is {@code -Dalignguard.threads=N}
 * (default: all cores).
 */
public final class Parallel {
    private Parallel() {}

    public static final int THREADS = Integer.getInteger("alignguard.threads", Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS) : null;
    private static final ThreadLocal<Boolean> SERIAL = ThreadLocal.withInitial(() -> false);

    /** Runs {@code body} with every loop of this thread inline, as with one thread (for determinism tests). */
    public static void serially(Runnable body) {
        boolean prev = SERIAL.get();
        SERIAL.set(true);
        try {
            body.run();
        } finally {
            SERIAL.set(prev);
        }
    }

    private static boolean inline() {
        return POOL == null || SERIAL.get() || java.util.concurrent.ForkJoinTask.inForkJoinPool();
    }

    /**
     * Runs {@code body} for every i in [0, n). Runs inline when there is one thread, one item, or
     * less than {@code minWorkPerTask * 2} total work units ({@code workPerItem} each).
     */
    public static void forRange(int n, long workPerItem, IntConsumer body) {
        if (n < 2 || workPerItem * n < 32_768 || inline()) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        POOL.submit(() -> IntStream.range(0, n).parallel().forEach(body)).join();
    }

    /**
     * Runs {@code body(start, end)} on contiguous chunks that cover [0, n), one chunk per thread
     * when the work is large enough.
     */
    public static void forChunks(int n, long workPerItem, ChunkBody body) {
        int chunks = (workPerItem * n < 65_536 || inline()) ? 1 : Math.min(n, THREADS);
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        final int c = chunks;
        POOL.submit(() -> IntStream.range(0, c).parallel().forEach(t -> body.run((int) ((long) n * t / c), (int) ((long) n * (t + 1) / c)))).join();
    }

    @FunctionalInterface
    public interface ChunkBody {
        void run(int start, int end);
    }
}
