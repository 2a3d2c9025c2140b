package org.alignguard.tensor.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The data movement of a convolution as im2col + GEMM (the GEMM is {@link GemmKernel}).
 *
 * <pre>
 *   forward:      x[N,C,H,W] ──im2col──► cols[N, C·kh·kw, OH·OW] ──W[Cout, C·kh·kw] · cols[n]──► y[N,Cout,OH·OW]
 *   grad input:   g[n] ──Wᵀ · g[n]──► dcols[N, C·kh·kw, OH·OW] ──col2im (gather)──► dx[N,C,H,W]
 *   grad weight:  g as [Cout, N·OH·OW] · cols as [N·OH·OW, C·kh·kw] ──► dW
 * </pre>
 * im2col writes one column entry per work-item (zero where the window hangs over the padding).
 * col2im is written as a gather, one work-item per input element summing the kh·kw column entries
 * that saw it, so it needs no atomics and adds in a fixed order.
 */
final class ConvKernels {
    private ConvKernels() {}

    static final int N = 0, C = 1, H = 2, W = 3, KH = 4, KW = 5, OH = 6, OW = 7, STRIDE = 8, PAD = 9;
    static final int X = 10, COLS = 11, PARAMS = 12;

    /** cols[n, (c, i, j), (oh, ow)] = x[n, c, oh·s − p + i, ow·s − p + j], or 0 outside. X is contiguous. */
    static void im2col(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int idx = ctx.globalIdx;
        int n = ip.get(N), c = ip.get(C), h = ip.get(H), w = ip.get(W), kh = ip.get(KH), kw = ip.get(KW);
        int oh = ip.get(OH), ow = ip.get(OW), s = ip.get(STRIDE), p = ip.get(PAD);
        if (idx < n * c * kh * kw * oh * ow) {
            int q = idx % ow, rem = idx / ow;
            int o = rem % oh;
            rem = rem / oh;
            int j = rem % kw;
            rem = rem / kw;
            int i = rem % kh;
            rem = rem / kh;
            int ch = rem % c, b = rem / c;
            int y = o * s - p + i, xx = q * s - p + j;
            float v = 0f;
            if (y >= 0 && y < h && xx >= 0 && xx < w) v = mem.get(ip.get(X) + ((b * c + ch) * h + y) * w + xx);
            mem.set(ip.get(COLS) + idx, v);
        }
    }

    /** dx[n, c, y, x] = Σ over (i, j) with y = oh·s − p + i, x = ow·s − p + j of dcols[n, (c, i, j), (oh, ow)]. X is dx here. */
    static void col2im(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int idx = ctx.globalIdx;
        int n = ip.get(N), c = ip.get(C), h = ip.get(H), w = ip.get(W), kh = ip.get(KH), kw = ip.get(KW);
        int oh = ip.get(OH), ow = ip.get(OW), s = ip.get(STRIDE), p = ip.get(PAD);
        if (idx < n * c * h * w) {
            int xx = idx % w, rem = idx / w;
            int y = rem % h;
            rem = rem / h;
            int ch = rem % c, b = rem / c;
            float acc = 0f;
            for (int i = 0; i < kh; i++) {
                int t = y + p - i;
                if (t >= 0 && t % s == 0 && t / s < oh) {
                    for (int j = 0; j < kw; j++) {
                        int u = xx + p - j;
                        if (u >= 0 && u % s == 0 && u / s < ow)
                            acc += mem.get(ip.get(COLS) + ((b * c + ch) * kh * kw + i * kw + j) * oh * ow + (t / s) * ow + u / s);
                    }
                }
            }
            mem.set(ip.get(X) + idx, acc);
        }
    }
}
