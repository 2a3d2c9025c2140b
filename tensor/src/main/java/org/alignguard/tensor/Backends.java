package org.alignguard.tensor;

import org.alignguard.tensor.cpu.CpuBackend;

/**
 * Holds the backend that new tensor ops use. The CPU backend is the default; set the system
 * property {@code alignguard.backend} or call {@link #use} to pick another.
 */
public final class Backends {
    private static volatile Backend current = new CpuBackend();

    private Backends() {}

    public static Backend get() {
        return current;
    }

    public static void use(Backend backend) {
        current = backend;
    }
}
