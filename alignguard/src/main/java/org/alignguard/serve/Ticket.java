package org.alignguard.serve;

/**
 * One queued or running drawing, and whether anybody still wants it. The page that asked may have
 * asked again since (a newer round) or gone away; the drawing then stops at its next sampling step
 * ({@link #check}) and frees the worker for requests that still matter.
 */
final class Ticket {
    /** Thrown inside a drawing that was cancelled; the server answers such a request with 409. */
    static final class Cancelled extends RuntimeException {
        Cancelled() {
            super("cancelled: the page asked for something newer", null, false, false);
        }
    }

    final String client;
    final long round;
    private volatile boolean cancelled;
    private volatile Runnable onCancel = () -> { };

    Ticket(String client, long round) {
        this.client = client;
        this.round = round;
    }

    /** Marks it cancelled and runs the cancel action once (the queue takes a waiting drawing out). */
    synchronized void cancel() {
        if (cancelled) return;
        cancelled = true;
        onCancel.run();
    }

    void onCancel(Runnable action) { onCancel = action; }

    /** Stops the drawing if it was cancelled. */
    void check() {
        if (cancelled) throw new Cancelled();
    }
}
