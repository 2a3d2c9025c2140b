package org.alignguard.tensor.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Embedding lookup and its backward. The row indices (token ids, exact in float below 2^24) sit in
 * the arena, uploaded with the op: they are the op's input from the host.
 *
 * <pre>
 *   gather:      idx[i], table[rows, cols] ──► out[i, col] = table[idx[i], col]
 *   scatter-add: idx[i], grad[n, cols]     ──► out[r, col] = Σ over i with idx[i] = r of grad[i, col]
 * </pre>
 * The scatter-add is a gather too (one work-item per output element, looping over the indices), so
 * repeated indices need no atomics and add in order.
 */
final class GatherKernels {
    private GatherKernels() {}

    static final int COUNT = 0, COLS = 1, ROWS = 2, IDX = 3, SRC = 4, OUT = 5, PARAMS = 6;

    static void gather(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int e = ctx.globalIdx, cols = ip.get(COLS);
        if (e < ip.get(COUNT) * cols) {
            int i = e / cols, col = e % cols;
            int row = (int) mem.get(ip.get(IDX) + i);
            mem.set(ip.get(OUT) + e, mem.get(ip.get(SRC) + row * cols + col));
        }
    }

    static void scatterAdd(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int e = ctx.globalIdx, cols = ip.get(COLS);
        if (e < ip.get(ROWS) * cols) {
            int r = e / cols, col = e % cols, n = ip.get(COUNT);
            float acc = 0f;
            for (int i = 0; i < n; i++)
                if ((int) mem.get(ip.get(IDX) + i) == r) acc += mem.get(ip.get(SRC) + i * cols + col);
            mem.set(ip.get(OUT) + e, acc);
        }
    }
}
