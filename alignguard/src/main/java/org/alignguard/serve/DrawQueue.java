package org.alignguard.serve;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded worker pool that draws. {@code workers} threads, each with its own {@link Drawer}
 * (its own copy of the model), take requests from a queue of at most {@code capacity}; a request
 * that finds the queue full is refused at once ({@link Busy}, HTTP 503) rather than left to wait
 * without end. A classroom's requests come in bursts: every student presses Draw at once.
 *
 * <p>A page that asks again (a higher round from the same client) no longer wants its older
 * requests: they are taken out of the queue, or stopped at their next sampling step if already
 * running, and answered as cancelled. {@link #cancel} does the same on the page's explicit request.
 */
final class DrawQueue implements AutoCloseable {
    /** The queue is full. */
    static final class Busy extends RuntimeException {
        Busy(int waiting) {
            super("the playground is busy (" + waiting + " drawings waiting); try again in a moment", null, false, false);
        }
    }

    /** Pages remembered for their latest round (a classroom reloads often; this bounds the memory). */
    static final int MAX_CLIENTS = 10_000;

    private final BlockingQueue<Drawer> idle;
    private final ThreadPoolExecutor pool;
    private final Map<Ticket, Runnable> live = new ConcurrentHashMap<>();
    private final Map<String, Long> latestRound = new ConcurrentHashMap<>();

    DrawQueue(List<Drawer> drawers, int capacity) {
        if (drawers.isEmpty() || capacity < 1) throw new IllegalArgumentException("need at least one worker and a queue of at least 1");
        idle = new LinkedBlockingQueue<>(drawers);
        AtomicInteger n = new AtomicInteger();
        pool = new ThreadPoolExecutor(drawers.size(), drawers.size(), 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(capacity), r -> {
            Thread t = new Thread(r, "playground-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    }

    /** A queued drawing: its ticket (to cancel it) and its result. */
    record Job(Ticket ticket, CompletableFuture<Drawing> result) {}

    /** Queues {@code r}; the result completes with the drawing, or with {@link Ticket.Cancelled} or the drawing's error. */
    Job submit(DrawRequest r) {
        Ticket ticket = new Ticket(r.client(), r.round());
        if (r.client() != null) {
            if (latestRound.size() > MAX_CLIENTS) latestRound.clear();   // pages long gone; forgetting them only stops their cancelling
            long latest = latestRound.merge(r.client(), r.round(), Math::max);
            if (latest > r.round()) throw new Ticket.Cancelled();   // already replaced by a newer round
            cancel(r.client(), r.round() - 1);
        }
        CompletableFuture<Drawing> f = new CompletableFuture<>();
        Runnable job = () -> run(r, ticket, f);
        live.put(ticket, job);
        ticket.onCancel(() -> {
            if (pool.remove(job)) {   // still queued: it never runs
                live.remove(ticket);
                f.completeExceptionally(new Ticket.Cancelled());
            }
        });
        try {
            pool.execute(job);
        } catch (RejectedExecutionException e) {
            live.remove(ticket);
            throw new Busy(pool.getQueue().size());
        }
        return new Job(ticket, f);
    }

    private void run(DrawRequest r, Ticket ticket, CompletableFuture<Drawing> f) {
        Drawer d = idle.poll();   // one per pool thread, so never empty here
        try {
            f.complete(d.draw(r, ticket));
        } catch (Throwable e) {
            f.completeExceptionally(e);
        } finally {
            idle.add(d);
            live.remove(ticket);
        }
    }

    /** Cancels every request of {@code client} up to round {@code upTo}. */
    void cancel(String client, long upTo) {
        for (Ticket t : live.keySet())
            if (client.equals(t.client) && t.round <= upTo) t.cancel();
    }

    @Override public void close() {
        live.keySet().forEach(Ticket::cancel);
        pool.shutdownNow();
    }
}
