package org.alignguard.tensor.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Splits loops over independent items across the CPU backend's threads.
 *
 * <p>Work is only ever split over items that write disjoint outputs, never over a sum, so results
 * are bit-identical at every thread count. (Where a sum is cut into parts, as the convolution's weight
 * gradient cuts the batch in two, the cut is fixed and the parts are added in order, whatever the
 * thread count: the parts are then outputs like any other.) The thread count is {@code -Dalignguard.threads=N}
 * (default: all cores).
 *
 * <p>A training step makes a few thousand parallel loops of 50-500 µs each, so handing work out
 * must cost far less than that. A fork-join pool took about 18 µs per loop (a parallel stream,
 * then waking a parked thread). Here the calling thread runs the first chunk itself and each of
 * {@code THREADS - 1} persistent workers takes one more: a worker spins for a moment after its
 * chunk (the next loop usually comes within microseconds) and parks only when none comes.
 */
public final class Parallel {
    private Parallel() {}

    public static final int THREADS = Integer.getInteger("alignguard.threads", Runtime.getRuntime().availableProcessors());
    private static final Worker[] WORKERS = new Worker[Math.max(0, THREADS - 1)];
    /** Held while a loop is handed out; a second caller (another thread, or a nested loop) runs inline. */
    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static final ThreadLocal<Boolean> SERIAL = ThreadLocal.withInitial(() -> false);
    /**
     * The workers a thread's loops may use, and the flag that says they are taken: all of them,
     * unless the thread runs a lane. Opaque outside this class: {@link #share} hands one to lanes.
     */
    public static final class Pool {
        private final Worker[] workers;
        private final AtomicBoolean busy;

        private Pool(Worker[] workers, AtomicBoolean busy) {
            this.workers = workers;
            this.busy = busy;
        }
    }

    private static final Pool ALL = new Pool(WORKERS, BUSY);
    private static final ThreadLocal<Pool> POOL = ThreadLocal.withInitial(() -> ALL);
    /**
     * How many independent jobs may run side by side ({@code -Dalignguard.lanes=N}; default: 2, or 1
     * on one thread). See {@link #inLane}.
     */
    public static final int LANES = Math.max(1, Math.min(THREADS, Integer.getInteger("alignguard.lanes", 2)));
    /** Loops with less work than this (about one multiply-add or element each) run on the calling thread. */
    static final long MIN_WORK = Long.getLong("alignguard.parallelMinWork", 16_384);

    static {
        for (int i = 0; i < WORKERS.length; i++) {
            WORKERS[i] = new Worker("alignguard-cpu-" + (i + 1));
            WORKERS[i].start();
        }
    }

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

    /**
     * Runs {@code body} on this thread as lane {@code lane} of {@code lanes} of the threads of
     * {@code parent} (what {@link #share()} returned on the thread that starts the lanes: all
     * threads, or a lane's share, so that a lane with several threads can split them again, as
     * Lanes.run inside Lanes.alone does). Its loops split over its own part of that share: this
     * thread and workers that no other lane uses. With as many lanes as threads (two on two cores),
     * each lane runs its loops alone.
     *
     * <p>Why lanes: a training or sampling step is a few thousand loops of 50-500 µs. Split in two,
     * each waits for its slower half and pays for the hand-off, so two threads make one job well
     * under twice as fast. Two independent jobs on one thread each keep both cores busy all along.
     * A loop gives the same bits on any number of threads, so a job's result does not change.
     * While lanes run, the thread that started them must make no parallel loop of its own.
     */
    public static void inLane(Pool parent, int lane, int lanes, Runnable body) {
        if (lane < 0 || lane >= lanes) throw new IllegalArgumentException("lane " + lane + " of " + lanes);
        Worker[] from = parent.workers;
        int per = Math.max(1, (from.length + 1) / lanes) - 1;
        Pool prev = POOL.get();
        // A lane of one still gets a pool of its own: its loops use every thread of the share.
        POOL.set(new Pool(java.util.Arrays.copyOfRange(from, Math.min(from.length, lane * per),
                Math.min(from.length, (lane + 1) * per)), new AtomicBoolean()));
        try {
            body.run();
        } finally {
            POOL.set(prev);
        }
    }

    /** This thread's share of the threads, to hand to the lanes it starts ({@link #inLane}). */
    public static Pool share() {
        return POOL.get();
    }

    /** How many threads this thread's loops run on: itself and its share's workers (1 when serial). */
    public static int threadsHere() {
        return SERIAL.get() ? 1 : POOL.get().workers.length + 1;
    }

    /** Whether this thread runs a lane ({@link #inLane}): then lanes started from it would only share its threads. */
    public static boolean inALane() {
        return POOL.get() != ALL;
    }

    /**
     * Runs {@code body} for every i in [0, n). Runs inline when there is one thread, one item, or
     * less than {@link #MIN_WORK} total work units ({@code workPerItem} each).
     */
    public static void forRange(int n, long workPerItem, IntConsumer body) {
        if (n < 2 || workPerItem * n < MIN_WORK) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        forChunks(n, Long.MAX_VALUE / n, (s, e) -> {
            for (int i = s; i < e; i++) body.accept(i);
        });
    }

    /**
     * Runs {@code body(start, end)} on contiguous chunks that cover [0, n), one chunk per thread
     * when the work is large enough.
     */
    public static void forChunks(int n, long workPerItem, ChunkBody body) {
        Pool pool = POOL.get();
        int chunks = workPerItem * n < MIN_WORK ? 1 : Math.min(n, pool.workers.length + 1);
        if (chunks <= 1 || SERIAL.get() || Thread.currentThread() instanceof Worker || !pool.busy.compareAndSet(false, true)) {
            body.run(0, n);
            return;
        }
        try {
            Job job = new Job(n, chunks, body);
            for (int t = 1; t < chunks; t++) pool.workers[t - 1].post(job, t);
            job.runPart(0);
            job.await();
        } finally {
            pool.busy.set(false);
        }
    }

    @FunctionalInterface
    public interface ChunkBody {
        void run(int start, int end);
    }

    /** One loop handed out: chunk t covers [n·t/c, n·(t+1)/c). */
    private static final class Job {
        final int n, chunks;
        final ChunkBody body;
        final AtomicInteger pending;
        volatile Throwable error;

        Job(int n, int chunks, ChunkBody body) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
            this.pending = new AtomicInteger(chunks - 1);
        }

        void runPart(int t) {
            body.run((int) ((long) n * t / chunks), (int) ((long) n * (t + 1) / chunks));
        }

        void await() {
            while (pending.get() > 0) Thread.onSpinWait();
            Throwable e = error;
            if (e instanceof RuntimeException r) throw r;
            if (e instanceof Error err) throw err;
            if (e != null) throw new IllegalStateException(e);
        }
    }

    /** A persistent worker: takes one chunk of each loop posted to it. */
    private static final class Worker extends Thread {
        /** How long a worker spins for the next loop before it parks ({@code -Dalignguard.spinNanos}). */
        private static final long SPIN_NANOS = Long.getLong("alignguard.spinNanos", 200_000);
        private volatile Job job;
        private volatile int part;
        private volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        void post(Job j, int p) {
            part = p;
            job = j;
            if (parked) LockSupport.unpark(this);
        }

        @Override public void run() {
            while (true) {
                Job j = take();
                try {
                    j.runPart(part);
                } catch (Throwable t) {
                    j.error = t;
                } finally {
                    job = null;
                    j.pending.decrementAndGet();
                }
            }
        }

        private Job take() {
            while (true) {
                long until = System.nanoTime() + SPIN_NANOS;
                Job j;
                while ((j = job) == null && System.nanoTime() < until) Thread.onSpinWait();
                if (j != null) return j;
                parked = true;
                if ((j = job) != null) {
                    parked = false;
                    return j;
                }
                LockSupport.park(this);
                parked = false;
            }
        }
    }
}
