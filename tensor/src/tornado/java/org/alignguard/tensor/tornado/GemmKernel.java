package org.alignguard.tensor.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Batched, strided SGEMM C[b] (+)= A[b]·B[b] with local-memory tiles.
 *
 * <pre>
 *   A[b] (M×K, any strides) ─► 16×16 tile in local memory ─┐
 *                                                          ├─► Σ over the tile's k ─► acc ─► C[b] (M×N, contiguous)
 *   B[b] (K×N, any strides) ─► 16×16 tile in local memory ─┘   (K / 16 tiles, two barriers each)
 * </pre>
 * A work-group of 16×16 work-items computes one 16×16 block of C; each work-item loads one element
 * of each tile, so every element of A and B is read from global memory N/16 and M/16 times instead
 * of N and M times. The z dimension of the grid is the batch (attention's heads × samples); batch
 * dims of A and B may broadcast (stride 0). With ACCUMULATE set, C already holds the bias or the
 * addend (addmm) and the product is added to it.
 */
final class GemmKernel {
    private GemmKernel() {}

    static final int TILE = 16, BATCH_DIMS = 4;
    static final int M = 0, N = 1, K = 2, ACCUMULATE = 3;
    static final int A_OFF = 4, A_ROW = 5, A_COL = 6, B_OFF = 7, B_ROW = 8, B_COL = 9, C_OFF = 10;
    static final int BATCH_SHAPE = 11, A_BATCH = BATCH_SHAPE + BATCH_DIMS, B_BATCH = A_BATCH + BATCH_DIMS, PARAMS = B_BATCH + BATCH_DIMS;

    static void run(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        float[] as = ctx.allocateFloatLocalArray(256);
        float[] bs = ctx.allocateFloatLocalArray(256);
        int col = ctx.globalIdx, row = ctx.globalIdy, z = ctx.globalIdz;
        int lx = ctx.localIdx, ly = ctx.localIdy;
        int m = ip.get(M), n = ip.get(N), k = ip.get(K);
        int aRow = ip.get(A_ROW), aCol = ip.get(A_COL), bRow = ip.get(B_ROW), bCol = ip.get(B_COL);
        int aBase = ip.get(A_OFF), bBase = ip.get(B_OFF), rem = z;
        for (int d = BATCH_DIMS - 1; d >= 0; d--) {
            int size = ip.get(BATCH_SHAPE + d);
            int c = rem % size;
            rem = rem / size;
            aBase += c * ip.get(A_BATCH + d);
            bBase += c * ip.get(B_BATCH + d);
        }
        float acc = 0f;
        for (int t = 0; t < k; t += 16) {
            int ak = t + lx, bk = t + ly;
            as[ly * 16 + lx] = row < m && ak < k ? mem.get(aBase + row * aRow + ak * aCol) : 0f;
            bs[ly * 16 + lx] = bk < k && col < n ? mem.get(bBase + bk * bRow + col * bCol) : 0f;
            ctx.localBarrier();
            for (int kk = 0; kk < 16; kk++) acc += as[ly * 16 + kk] * bs[kk * 16 + lx];
            ctx.localBarrier();
        }
        if (row < m && col < n) {
            int o = ip.get(C_OFF) + z * m * n + row * n + col;
            if (ip.get(ACCUMULATE) == 1) acc += mem.get(o);
            mem.set(o, acc);
        }
    }
}
