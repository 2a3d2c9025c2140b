package org.alignguard.tensor.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Batched, strided SGEMM C[b] (+)= A[b]·B[b]: 64×64 blocks of C per work-group, staged through local
 * memory, 4×4 outputs per work-item held in registers.
 *
 * <pre>
 *   A[b] (M×K, any strides) ─► 64×16 tile in local memory ─┐    each of the 16×16 work-items:
 *                                                          ├─►  4 values of A × 4 values of B
 *   B[b] (K×N, any strides) ─► 16×64 tile in local memory ─┘    = 16 multiply-adds into its 4×4 block
 *                 (K/16 tiles, two barriers each)                ─► C[b] (M×N, contiguous)
 * </pre>
 * Why this shape: with one output per work-item every multiply-add needs two local-memory reads; with
 * 4×4 outputs it needs half a read, and each element of A and B is read from global memory N/64 and
 * M/64 times. A work-item's outputs are 16 apart in rows and columns, so neighbouring work-items
 * touch neighbouring addresses. The z dimension of the grid is the batch (attention's samples ×
 * heads); batch dims of A and B may broadcast (stride 0). With ACCUMULATE set, C already holds the
 * bias or addend (addmm, conv bias) and the product is added to it.
 */
final class GemmKernel {
    private GemmKernel() {}

    /** Outputs per work-group side, and work-items per side (BLOCK / 4). */
    static final int BLOCK = 64, THREADS = 16, BATCH_DIMS = 4;
    static final int M = 0, N = 1, K = 2, ACCUMULATE = 3;
    static final int A_OFF = 4, A_ROW = 5, A_COL = 6, B_OFF = 7, B_ROW = 8, B_COL = 9, C_OFF = 10;
    static final int BATCH_SHAPE = 11, A_BATCH = BATCH_SHAPE + BATCH_DIMS, B_BATCH = A_BATCH + BATCH_DIMS, PARAMS = B_BATCH + BATCH_DIMS;

    static void run(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        float[] as = ctx.allocateFloatLocalArray(1024);   // [16 k][64 rows]
        float[] bs = ctx.allocateFloatLocalArray(1024);   // [16 k][64 cols]
        int tx = ctx.localIdx, ty = ctx.localIdy, z = ctx.globalIdz;
        int col0 = ctx.groupIdx * 64, row0 = ctx.groupIdy * 64, tid = ty * 16 + tx;
        int m = ip.get(M), n = ip.get(N), k = ip.get(K), accumulate = ip.get(ACCUMULATE);
        int aRow = ip.get(A_ROW), aCol = ip.get(A_COL), bRow = ip.get(B_ROW), bCol = ip.get(B_COL);
        int aBase = ip.get(A_OFF), bBase = ip.get(B_OFF), rem = z;
        for (int d = BATCH_DIMS - 1; d >= 0; d--) {
            int size = ip.get(BATCH_SHAPE + d);
            int c = rem % size;
            rem = rem / size;
            aBase += c * ip.get(A_BATCH + d);
            bBase += c * ip.get(B_BATCH + d);
        }
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f, c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f, c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f, c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int t = 0; t < k; t += 16) {
            for (int l = 0; l < 4; l++) {
                int e = tid + l * 256;
                int r = e / 16, ka = t + e % 16, gr = row0 + r;
                as[(e % 16) * 64 + r] = gr < m && ka < k ? mem.get(aBase + gr * aRow + ka * aCol) : 0f;
                int kb = t + e / 64, gc = col0 + e % 64;
                bs[e] = kb < k && gc < n ? mem.get(bBase + kb * bRow + gc * bCol) : 0f;
            }
            ctx.localBarrier();
            for (int kk = 0; kk < 16; kk++) {
                int ab = kk * 64 + ty, bb = kk * 64 + tx;
                float a0 = as[ab], a1 = as[ab + 16], a2 = as[ab + 32], a3 = as[ab + 48];
                float b0 = bs[bb], b1 = bs[bb + 16], b2 = bs[bb + 32], b3 = bs[bb + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            ctx.localBarrier();
        }
        int cOff = ip.get(C_OFF) + z * m * n;
        store(mem, cOff, m, n, row0 + ty + 0, col0 + tx + 0, c00, accumulate);
        store(mem, cOff, m, n, row0 + ty + 0, col0 + tx + 16, c01, accumulate);
        store(mem, cOff, m, n, row0 + ty + 0, col0 + tx + 32, c02, accumulate);
        store(mem, cOff, m, n, row0 + ty + 0, col0 + tx + 48, c03, accumulate);
        store(mem, cOff, m, n, row0 + ty + 16, col0 + tx + 0, c10, accumulate);
        store(mem, cOff, m, n, row0 + ty + 16, col0 + tx + 16, c11, accumulate);
        store(mem, cOff, m, n, row0 + ty + 16, col0 + tx + 32, c12, accumulate);
        store(mem, cOff, m, n, row0 + ty + 16, col0 + tx + 48, c13, accumulate);
        store(mem, cOff, m, n, row0 + ty + 32, col0 + tx + 0, c20, accumulate);
        store(mem, cOff, m, n, row0 + ty + 32, col0 + tx + 16, c21, accumulate);
        store(mem, cOff, m, n, row0 + ty + 32, col0 + tx + 32, c22, accumulate);
        store(mem, cOff, m, n, row0 + ty + 32, col0 + tx + 48, c23, accumulate);
        store(mem, cOff, m, n, row0 + ty + 48, col0 + tx + 0, c30, accumulate);
        store(mem, cOff, m, n, row0 + ty + 48, col0 + tx + 16, c31, accumulate);
        store(mem, cOff, m, n, row0 + ty + 48, col0 + tx + 32, c32, accumulate);
        store(mem, cOff, m, n, row0 + ty + 48, col0 + tx + 48, c33, accumulate);
    }

    private static void store(FloatArray mem, int cOff, int m, int n, int row, int col, float v, int accumulate) {
        if (row < m && col < n) {
            int o = cOff + row * n + col;
            mem.set(o, accumulate == 1 ? mem.get(o) + v : v);
        }
    }
}
