package org.alignguard.autograd;

/**
 * Whether ops record the graph for backward. Inside a {@link #noGrad()} scope they don't: use it for
 * sampling, evaluation and optimizer updates.
 *
 * <pre>{@code
 * try (var scope = Grad.noGrad()) {
 *     Variable y = model.forward(x);   // no graph kept
 * }
 * }</pre>
 */
public final class Grad {
    private static final ThreadLocal<Boolean> ENABLED = ThreadLocal.withInitial(() -> true);

    private Grad() {}

    public static boolean isEnabled() {
        return ENABLED.get();
    }

    /** Turns recording off until the returned scope is closed (restoring the previous state). */
    public static Scope noGrad() {
        boolean prev = ENABLED.get();
        ENABLED.set(false);
        return () -> ENABLED.set(prev);
    }

    /** A scope that restores the previous recording state when closed; never throws. */
    public interface Scope extends AutoCloseable {
        @Override void close();
    }
}
