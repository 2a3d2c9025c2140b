package org.alignguard.serve;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.merge.CoMerge;

/**
 * Co-Merge's activations a_e of the page's experts, measured once in the background after the
 * playground starts ({@link CoMergeProbe}, some seconds on two cores). Until they are there, a
 * request for a Co-Merge of the page's experts is answered at once with {@link NotReady} (HTTP 503
 * with Retry-After) instead of holding a worker; if measuring them failed, that request gets the
 * failure in one line, and the failure is logged when it happens.
 */
final class CoMergeActivations {
    /** Co-Merge cannot merge yet (still measuring), or cannot at all (measuring failed). */
    static final class NotReady extends RuntimeException {
        /** Seconds after which asking again makes sense; 0 when it never will. */
        final int retryAfterS;

        NotReady(String message, int retryAfterS) {
            super(message, null, false, false);
            this.retryAfterS = retryAfterS;
        }
    }

    /** The page asks again after this many seconds while the activations are being measured. */
    static final int RETRY_AFTER_S = 2;

    private final CompletableFuture<List<CoMerge.Activation>> result = new CompletableFuture<>();

    /** Starts measuring on a background thread, on a fresh copy of the base model (nobody else's). */
    void measure(Shelf shelf) {
        Thread probe = new Thread(() -> {
            try {
                long t0 = System.nanoTime();
                TextToImageModel model = TextToImageModel.load(shelf.baseModel).model();
                result.complete(CoMergeProbe.activations(model, shelf.experts));
                System.out.printf(Locale.ROOT, "Co-Merge's activations of %d experts measured in %.1f s%n", shelf.experts.size(), (System.nanoTime() - t0) / 1e9);
            } catch (Throwable e) {   // an Error too: otherwise Co-Merge would wait for ever
                System.err.println("playground: measuring Co-Merge's activations failed, so your merge cannot use Co-Merge (the other merges work): " + e);
                result.completeExceptionally(e);
            }
        }, "playground-co-merge-probe");
        probe.setDaemon(true);
        probe.start();
    }

    /** The activations; {@link NotReady} at once while they are measured or when measuring failed. Never blocks. */
    List<CoMerge.Activation> get() {
        if (!result.isDone())
            throw new NotReady("Co-Merge is still measuring the experts' activations (a few seconds after the playground starts); try again in a moment", RETRY_AFTER_S);
        try {
            return result.join();
        } catch (CompletionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            String why = (c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage()).replace('\n', ' ');
            throw new NotReady("Co-Merge is unavailable: measuring the experts' activations failed when the playground started (" + why
                    + "); pick TIES, sum or average", 0);
        }
    }

    /** Waits until the activations are measured (or measuring failed), at most {@code seconds}; whether they are done. */
    boolean await(long seconds) {
        try {
            result.get(seconds, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        }
        return result.isDone();
    }
}
