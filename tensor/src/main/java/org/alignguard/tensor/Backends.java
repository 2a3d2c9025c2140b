package org.alignguard.tensor;

import org.alignguard.tensor.cpu.CpuBackend;

/**
 * Holds the backend that new tensor ops use. The CPU backend is the default; set the system
 * property {@code alignguard.backend} ({@code cpu} or {@code tornado}) or call {@link #use} to pick
 * another.
 *
 * <p>The TornadoVM backend is compiled only when the build ran with {@code TORNADOVM_HOME} set (the
 * {@code tornadovm} Maven profile), so it is looked up by name: asking for it where it was not
 * built, or where TornadoVM finds no OpenCL device, is a {@link BackendUnavailableException} with
 * a one-line reason.
 */
public final class Backends {
    /** Where the profile puts the TornadoVM backend (tensor/src/tornado/java). */
    static final String TORNADO_CLASS = "org.alignguard.tensor.tornado.TornadoBackend";

    private static volatile Backend current;

    private Backends() {}

    public static Backend get() {
        Backend b = current;
        if (b == null) {
            synchronized (Backends.class) {
                if (current == null) current = named(System.getProperty("alignguard.backend", "cpu"));
                b = current;
            }
        }
        return b;
    }

    public static void use(Backend backend) {
        current = backend;
    }

    /** A new backend by name: "cpu" or "tornado". */
    public static Backend named(String name) {
        return switch (name) {
            case "cpu" -> new CpuBackend();
            case "tornado" -> tornado();
            default -> throw new BackendUnavailableException("unknown backend '" + name + "' (choose cpu or tornado)");
        };
    }

    /** Whether the TornadoVM backend can be had here; the reason it cannot is in the exception of {@link #named}. */
    public static boolean tornadoAvailable() {
        try {
            tornado();
            return true;
        } catch (BackendUnavailableException e) {
            return false;
        }
    }

    private static Backend tornadoInstance;

    private static BackendUnavailableException noRuntime(Throwable e) {
        return new BackendUnavailableException("backend 'tornado' needs the TornadoVM runtime: launch java with @$TORNADOVM_HOME/tornado-argfile (" + e + ")");
    }

    /** One TornadoVM backend per JVM: it owns the device memory. */
    private static synchronized Backend tornado() {
        if (tornadoInstance != null) return tornadoInstance;
        Class<?> c;
        try {
            c = Class.forName(TORNADO_CLASS);
        } catch (ClassNotFoundException e) {
            throw new BackendUnavailableException("backend 'tornado' was not built: set TORNADOVM_HOME to a TornadoVM SDK and rebuild (README, \"GPU (TornadoVM)\")");
        } catch (LinkageError e) {
            throw noRuntime(e);
        }
        try {
            tornadoInstance = (Backend) c.getConstructor().newInstance();
            return tornadoInstance;
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof BackendUnavailableException b) throw b;
            throw new BackendUnavailableException("backend 'tornado' could not start: " + t);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw noRuntime(e);
        }
    }
}
