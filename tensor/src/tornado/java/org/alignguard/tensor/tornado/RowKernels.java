package org.alignguard.tensor.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Kernels over contiguous rows: reductions and softmax. The backend first copies the input so that
 * the reduced (or softmax) axis is the last one, then one work-item handles one row.
 *
 * <pre>
 *   sum, max:          in[r, 0..len) ──► Σ or max ──► out[r]
 *   softmax:           x[r, :] ──► m = max, s = Σ exp(x − m) ──► y = exp(x − m)/s   (log: x − m − log s)
 *   softmax backward:  y[r, :], g[r, :] ──► s = Σ g·y (log: Σ g) ──► dx = y(g − s)   (log: g − exp(y)·s)
 * </pre>
 */
final class RowKernels {
    private RowKernels() {}

    // Integer parameters shared by the three kernels.
    static final int ROWS = 0, LEN = 1, FLAG = 2, IN = 3, IN2 = 4, OUT = 5, PARAMS = 6;

    static void sumRows(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int r = ctx.globalIdx;
        if (r < ip.get(ROWS)) {
            int len = ip.get(LEN), p = ip.get(IN) + r * len;
            float acc = 0f;
            for (int i = 0; i < len; i++) acc += mem.get(p + i);
            mem.set(ip.get(OUT) + r, acc);
        }
    }

    /** NaN wins, as in the CPU kernel. (Not one kernel with a flag: on PoCL that lost the sum. Not named "max": OpenCL has a builtin of that name.) */
    static void maxRows(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int r = ctx.globalIdx;
        if (r < ip.get(ROWS)) {
            int len = ip.get(LEN), p = ip.get(IN) + r * len;
            float acc = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < len; i++) {
                float v = mem.get(p + i);
                if (v > acc || v != v) acc = v;
            }
            mem.set(ip.get(OUT) + r, acc);
        }
    }

    /** FLAG: 1 for log-softmax. */
    static void softmax(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int r = ctx.globalIdx;
        if (r < ip.get(ROWS)) {
            int len = ip.get(LEN), p = ip.get(IN) + r * len, q = ip.get(OUT) + r * len;
            float m = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < len; i++) m = TornadoMath.max(m, mem.get(p + i));
            float s = 0f;
            for (int i = 0; i < len; i++) {
                float e = TornadoMath.exp(mem.get(p + i) - m);
                s += e;
                mem.set(q + i, e);
            }
            if (ip.get(FLAG) == 1) {
                float lse = m + TornadoMath.log(s);
                for (int i = 0; i < len; i++) mem.set(q + i, mem.get(p + i) - lse);
            } else {
                float inv = 1f / s;
                for (int i = 0; i < len; i++) mem.set(q + i, mem.get(q + i) * inv);
            }
        }
    }

    /** IN = y, IN2 = upstream gradient g; FLAG: 1 for log-softmax. */
    static void softmaxBackward(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int r = ctx.globalIdx;
        if (r < ip.get(ROWS)) {
            int len = ip.get(LEN), y = ip.get(IN) + r * len, g = ip.get(IN2) + r * len, q = ip.get(OUT) + r * len;
            float s = 0f;
            if (ip.get(FLAG) == 1) {
                for (int i = 0; i < len; i++) s += mem.get(g + i);
                for (int i = 0; i < len; i++) mem.set(q + i, mem.get(g + i) - TornadoMath.exp(mem.get(y + i)) * s);
            } else {
                for (int i = 0; i < len; i++) s += mem.get(g + i) * mem.get(y + i);
                for (int i = 0; i < len; i++) mem.set(q + i, mem.get(y + i) * (mem.get(g + i) - s));
            }
        }
    }
}
