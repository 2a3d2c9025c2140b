package org.alignguard.tensor.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Group norm and layer norm, forward and backward, over "rows" as in the CPU NormKernels: a row is
 * the elements sharing one mean and variance, {@code CPG} segments of {@code SPATIAL} elements, and
 * segment k of row r uses channel {@code (r % GPS)·CPG + k}. Layer norm is GPS = 1, SPATIAL = 1.
 *
 * <pre>
 *   forward (one work-item per row):   x ──► μ, rstd = 1/sqrt(σ² + eps) ──► y = γ[c]·(x − μ)·rstd + β[c]
 *   backward (one per row):            dy, x, μ, rstd ──► dx = rstd·(dy·γ − mean(ĝ) − x̂·mean(ĝ·x̂)),  ĝ = dy·γ
 *   parameter grads (one per channel): Σ over the rows and positions of that channel: dγ = Σ dy·x̂, dβ = Σ dy
 * </pre>
 * An absent γ or β is offset −1. eps is fp[0].
 */
final class NormKernels {
    private NormKernels() {}

    static final int ROWS = 0, ROW_LEN = 1, GPS = 2, CPG = 3, SPATIAL = 4, X = 5, DY = 6, GAMMA = 7, BETA = 8;
    static final int MEAN = 9, RSTD = 10, OUT = 11, DGAMMA = 12, DBETA = 13, CHANNELS = 14, PARAMS = 15;

    static void forward(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int r = ctx.globalIdx;
        if (r < ip.get(ROWS)) {
            int len = ip.get(ROW_LEN), cpg = ip.get(CPG), spatial = ip.get(SPATIAL), x = ip.get(X) + r * len;
            int gOff = ip.get(GAMMA), bOff = ip.get(BETA), c0 = (r % ip.get(GPS)) * cpg;
            float sum = 0f;
            for (int i = 0; i < len; i++) sum += mem.get(x + i);
            float mu = sum / len, sq = 0f;
            for (int i = 0; i < len; i++) {
                float d = mem.get(x + i) - mu;
                sq += d * d;
            }
            float rs = 1f / TornadoMath.sqrt(sq / len + fp.get(0));
            mem.set(ip.get(MEAN) + r, mu);
            mem.set(ip.get(RSTD) + r, rs);
            int y = ip.get(OUT) + r * len;
            for (int k = 0; k < cpg; k++) {
                float scale = (gOff >= 0 ? mem.get(gOff + c0 + k) : 1f) * rs;
                float shift = (bOff >= 0 ? mem.get(bOff + c0 + k) : 0f) - mu * scale;
                for (int j = 0; j < spatial; j++) mem.set(y + k * spatial + j, mem.get(x + k * spatial + j) * scale + shift);
            }
        }
    }

    static void backward(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int r = ctx.globalIdx;
        if (r < ip.get(ROWS)) {
            int len = ip.get(ROW_LEN), cpg = ip.get(CPG), spatial = ip.get(SPATIAL);
            int x = ip.get(X) + r * len, dy = ip.get(DY) + r * len, dx = ip.get(OUT) + r * len;
            int gOff = ip.get(GAMMA), c0 = (r % ip.get(GPS)) * cpg;
            float mu = mem.get(ip.get(MEAN) + r), rs = mem.get(ip.get(RSTD) + r);
            float sumG = 0f, sumGX = 0f;
            for (int k = 0; k < cpg; k++) {
                float gk = gOff >= 0 ? mem.get(gOff + c0 + k) : 1f;
                for (int j = 0; j < spatial; j++) {
                    int q = k * spatial + j;
                    float g = mem.get(dy + q) * gk;
                    sumG += g;
                    sumGX += g * (mem.get(x + q) - mu) * rs;
                }
            }
            float mG = sumG / len, mGX = sumGX / len;
            for (int k = 0; k < cpg; k++) {
                float gk = gOff >= 0 ? mem.get(gOff + c0 + k) : 1f;
                for (int j = 0; j < spatial; j++) {
                    int q = k * spatial + j;
                    float xh = (mem.get(x + q) - mu) * rs;
                    mem.set(dx + q, rs * (mem.get(dy + q) * gk - mG - xh * mGX));
                }
            }
        }
    }

    /** One work-item per channel c: the rows that use it are those with r % GPS == c / CPG. */
    static void paramGrads(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int c = ctx.globalIdx;
        if (c < ip.get(CHANNELS)) {
            int rows = ip.get(ROWS), len = ip.get(ROW_LEN), gps = ip.get(GPS), cpg = ip.get(CPG), spatial = ip.get(SPATIAL);
            int group = c / cpg, k = c % cpg;
            float dg = 0f, db = 0f;
            for (int r = group; r < rows; r += gps) {
                float mu = mem.get(ip.get(MEAN) + r), rs = mem.get(ip.get(RSTD) + r);
                int base = r * len + k * spatial;
                for (int j = 0; j < spatial; j++) {
                    float d = mem.get(ip.get(DY) + base + j);
                    db += d;
                    dg += d * (mem.get(ip.get(X) + base + j) - mu) * rs;
                }
            }
            mem.set(ip.get(DGAMMA) + c, dg);
            mem.set(ip.get(DBETA) + c, db);
        }
    }
}
