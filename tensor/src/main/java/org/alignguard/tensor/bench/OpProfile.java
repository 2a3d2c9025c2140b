package org.alignguard.tensor.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.alignguard.tensor.Backend;
import org.alignguard.tensor.Tensor;

/**
 * An op-by-op profile of whatever runs through a {@link Backend}: a proxy in front of the real
 * backend that times every call. Calls are grouped by method, by the op where the method takes one
 * (unary EXP, binary MUL, ...) and by the first tensor argument's shape, so "conv2d [8,64,16,16]"
 * and "conv2d [8,128,8,8]" are separate rows.
 *
 * <p>What it cannot see is time spent outside the backend: building the autograd graph, views, the
 * optimizer's bookkeeping. The bench prints that rest as the step time minus the backend's time.
 * The proxy costs about a microsecond a call (a DPO step makes ~2,000 calls). Only calls from the
 * thread that made the profile, and only outermost ones, are timed: an op that allocates its output
 * through the backend counts that allocation as its own time.
 */
public final class OpProfile {
    /** Total time and call count of one row. */
    public static final class Row {
        public final String method;
        public final String key;
        public long nanos;
        public long calls;

        Row(String method, String key) {
            this.method = method;
            this.key = key;
        }
    }

    private final Backend inner;
    private final Map<String, Row> rows = new HashMap<>();
    private boolean on;
    private int depth;
    private final Thread owner = Thread.currentThread();

    public OpProfile(Backend inner) {
        this.inner = inner;
    }

    /** The backend to install (Backends.use): it forwards every call to the wrapped one. */
    public Backend backend() {
        InvocationHandler h = (proxy, m, args) -> {
            // Only outermost calls are timed: an op that allocates its output through the backend
            // would otherwise be counted twice.
            if (!on || depth > 0 || m.getDeclaringClass() == Object.class || Thread.currentThread() != owner) return invoke(m, args);
            long t0 = System.nanoTime();
            depth++;
            Object r;
            try {
                r = invoke(m, args);
            } finally {
                depth--;
            }
            long dt = System.nanoTime() - t0;
            String key = m.getName() + describe(args);
            Row row = rows.computeIfAbsent(key, k -> new Row(m.getName(), k));
            row.nanos += dt;
            row.calls++;
            return r;
        };
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[]{Backend.class}, h);
    }

    private Object invoke(java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(inner, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private double stepMs;
    private int steps;

    /** Records one timed step's wall time (for the "outside the backend" row). */
    public void addStep(double ms) {
        stepMs += ms;
        steps++;
    }

    /** Mean wall time of the steps given to {@link #addStep}, in ms (0 if none). */
    public double meanStepMs() {
        return steps == 0 ? 0 : stepMs / steps;
    }

    /** Start (or stop) counting; calls made while off are forwarded untimed (the warm-up). */
    public void recording(boolean on) {
        this.on = on;
    }

    /** The rows, largest total first. */
    public List<Row> rows() {
        List<Row> out = new ArrayList<>(rows.values());
        out.sort((a, b) -> Long.compare(b.nanos, a.nanos));
        return out;
    }

    /** Total backend time of the rows, by method (conv2d, binary MUL, ...), largest first. */
    public List<Row> byMethod() {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows.values()) {
            String k = r.key.contains(" [") ? r.key.substring(0, r.key.indexOf(" [")) : r.key;
            Row t = m.computeIfAbsent(k, kk -> new Row(r.method, kk));
            t.nanos += r.nanos;
            t.calls += r.calls;
        }
        List<Row> out = new ArrayList<>(m.values());
        out.sort((a, b) -> Long.compare(b.nanos, a.nanos));
        return out;
    }

    /** " EXP [8,64,16,16]": the enum argument if any, then the first tensor's shape. */
    private static String describe(Object[] args) {
        if (args == null) return "";
        StringBuilder sb = new StringBuilder();
        for (Object a : args) if (a instanceof Enum<?> e) sb.append(' ').append(e.name());
        for (Object a : args) {
            Tensor t = a instanceof Tensor x ? x : a instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Tensor x ? x : null;
            if (t != null) {
                sb.append(" [");
                int[] s = t.shape();
                for (int i = 0; i < s.length; i++) sb.append(i > 0 ? "," : "").append(s[i]);
                sb.append(']');
                break;
            }
        }
        return sb.toString();
    }

    /**
     * A plain-text table: per-step milliseconds and calls of each row, and its share of the total;
     * per step means per step given to {@link #addStep}, whose mean wall time gives the last row.
     */
    public String table(List<Row> rows, int limit) {
        int per = Math.max(1, steps);
        long total = 0;
        for (Row r : rows) total += r.nanos;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-52s %10s %8s %7s%n", "op", "ms/step", "calls", "share"));
        int n = 0;
        for (Row r : rows) {
            if (n++ >= limit) break;
            sb.append(String.format(Locale.ROOT, "%-52s %10.2f %8.1f %6.1f%%%n", r.key, r.nanos / 1e6 / per, (double) r.calls / per, 100.0 * r.nanos / Math.max(1, total)));
        }
        sb.append(String.format(Locale.ROOT, "%-52s %10.2f%n", "all backend calls", total / 1e6 / per));
        if (steps > 0) sb.append(String.format(Locale.ROOT, "%-52s %10.2f%n", "outside the backend (mean step - backend)", meanStepMs() - total / 1e6 / per));
        return sb.toString();
    }
}
