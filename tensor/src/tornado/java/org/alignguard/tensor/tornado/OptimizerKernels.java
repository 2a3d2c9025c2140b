package org.alignguard.tensor.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The optimizer's work on the device: the AdamW update and the squared norm for gradient clipping.
 *
 * <pre>
 *   adamw (one work-item per weight):
 *     w, g, m, v ──► m' = β1·m + (1−β1)·g,  v' = β2·v + (1−β2)·g²
 *                ──► w' = w·decay − stepSize · m' / (sqrt(v')/bc2Sqrt + eps)      (the formulas of Backend.adamw)
 *   sumSquares (one work-item per chunk of CHUNK elements):
 *     x[chunk] ──► Σ x² ──► partial[chunk]      (the host adds the partials of all gradients in double)
 * </pre>
 * fp: β1, β2, eps, stepSize, bc2Sqrt, decay.
 */
final class OptimizerKernels {
    private OptimizerKernels() {}

    static final int N = 0, W = 1, G = 2, M = 3, V = 4, W_OUT = 5, M_OUT = 6, V_OUT = 7, PARAMS = 8;
    static final int CHUNK = 1024;

    static void adamw(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int i = ctx.globalIdx;
        if (i < ip.get(N)) {
            float beta1 = fp.get(0), beta2 = fp.get(1), g = mem.get(ip.get(G) + i);
            float m = beta1 * mem.get(ip.get(M) + i) + (1 - beta1) * g;
            float v = beta2 * mem.get(ip.get(V) + i) + (1 - beta2) * g * g;
            float denom = TornadoMath.sqrt(v) / fp.get(4) + fp.get(2);
            mem.set(ip.get(M_OUT) + i, m);
            mem.set(ip.get(V_OUT) + i, v);
            mem.set(ip.get(W_OUT) + i, mem.get(ip.get(W) + i) * fp.get(5) - fp.get(3) * m / denom);
        }
    }

    /** W is the input, W_OUT the partial sums. */
    static void sumSquares(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int r = ctx.globalIdx, n = ip.get(N);
        int start = r * CHUNK;
        if (start < n) {
            int end = TornadoMath.min(n, start + CHUNK), in = ip.get(W);
            float acc = 0f;
            for (int i = start; i < end; i++) {
                float x = mem.get(in + i);
                acc += x * x;
            }
            mem.set(ip.get(W_OUT) + r, acc);
        }
    }
}
