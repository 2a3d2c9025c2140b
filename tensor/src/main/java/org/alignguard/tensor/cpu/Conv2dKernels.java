package org.alignguard.tensor.cpu;

import org.alignguard.tensor.Tensor;

/**
 * conv2d and its two gradients by im2col + GEMM.
 *
 * <pre>
 *   x[n] (Cin,H,W) --im2col--> cols (Cin*kh*kw, OH*OW)
 *   y[n] = W (Cout, Cin*kh*kw) · cols  (+ bias)                forward
 *   dcols = Wᵀ · dy[n],  dx[n] = col2im(dcols)                  input gradient
 *   dW = Σ_n dy[n] · cols[n]ᵀ                                   weight gradient
 * </pre>
 * Forward and input gradient run images in parallel (or, for a single image, let the GEMM split its
 * rows/columns). The weight gradient's sum over images is cut into fixed parts added in order
 * ({@link ConvGemm#gradWeight}; the scalar path here splits dW's columns and adds the images in
 * order), so results do not depend on the thread count.
 */
final class Conv2dKernels {
    private Conv2dKernels() {}

    record Geometry(int n, int cin, int h, int w, int cout, int kh, int kw, int stride, int pad, int oh, int ow) {
        static Geometry of(int[] x, int[] wShape, int stride, int pad) {
            int[] y = Tensor.checkConv(x, wShape, stride, pad);
            return new Geometry(x[0], x[1], x[2], x[3], wShape[0], wShape[2], wShape[3], stride, pad, y[2], y[3]);
        }
        int ckk() { return cin * kh * kw; }
        int ohw() { return oh * ow; }
    }

    /** First ox whose input column ox*stride - pad + j is >= 0, and one past the last below w. */
    private static int oxLo(Geometry g, int j) {
        int t = g.pad - j;
        return t <= 0 ? 0 : Math.min(g.ow, (t + g.stride - 1) / g.stride);
    }

    private static int oxHi(Geometry g, int j) {
        int t = g.w - 1 + g.pad - j;
        return t < 0 ? 0 : Math.min(g.ow, t / g.stride + 1);
    }

    /** Same-size stride-1 maps are unfolded by shifted masked vector loads; off with -Dalignguard.conv.shifted=false. */
    static final boolean SHIFTED = !"false".equals(System.getProperty("alignguard.conv.shifted"));

    /** Unfolds image {@code img} of x into cols[(c*kh+i)*kw+j][oy*ow+ox]. */
    static void im2col(float[] x, int xOff, Geometry g, float[] cols) {
        im2colRows(x, xOff, g, 0, g.ckk(), cols, 0, g.ohw());
    }

    /**
     * Rows r0..r1 of the unfolded image (row r = (c*kh+i)*kw+j), written at cols[dst + (r-r0)*ld + oy*ow+ox].
     * Padding positions get zeros; with stride 1 each output row is one array copy.
     */
    static void im2colRows(float[] x, int xOff, Geometry g, int r0, int r1, float[] cols, int dst, int ld) {
        if (SHIFTED && Simd.ENABLED && g.stride == 1 && g.ow == g.w && g.oh == g.h && g.ohw() % VectorKernels.LANES == 0) {
            ConvGemm.im2colShifted(x, xOff, g, r0, r1, cols, dst, ld);
            return;
        }
        for (int r = r0; r < r1; r++) {
            int j = r % g.kw, i = (r / g.kw) % g.kh, c = r / (g.kw * g.kh);
            int lo = oxLo(g, j), hi = Math.max(lo, oxHi(g, j));
            int row = dst + (r - r0) * ld;
            if (g.stride == 1 && g.ow == g.w) {
                // Output rows are as wide as input rows, so the valid part of all output rows is one
                // contiguous copy; then zero what falls in the padding (including wrapped columns).
                int oyLo = Math.max(0, g.pad - i), oyHi = Math.min(g.oh, g.h + g.pad - i);
                if (oyLo >= oyHi || lo >= hi) {
                    java.util.Arrays.fill(cols, row, row + g.ohw(), 0f);
                    continue;
                }
                java.util.Arrays.fill(cols, row, row + oyLo * g.ow, 0f);
                java.util.Arrays.fill(cols, row + oyHi * g.ow, row + g.ohw(), 0f);
                int first = oyLo * g.ow + lo, last = (oyHi - 1) * g.ow + hi;
                int src = xOff + (c * g.h + oyLo - g.pad + i) * g.w - g.pad + j - oyLo * g.ow;
                System.arraycopy(x, src + first, cols, row + first, last - first);
                for (int oy = oyLo; oy < oyHi; oy++) {
                    int d = row + oy * g.ow;
                    for (int ox = 0; ox < lo; ox++) cols[d + ox] = 0f;
                    for (int ox = hi; ox < g.ow; ox++) cols[d + ox] = 0f;
                }
                continue;
            }
            for (int oy = 0; oy < g.oh; oy++) {
                int iy = oy * g.stride - g.pad + i, d = row + oy * g.ow;
                if (iy < 0 || iy >= g.h) {
                    java.util.Arrays.fill(cols, d, d + g.ow, 0f);
                    continue;
                }
                if (lo > 0) java.util.Arrays.fill(cols, d, d + lo, 0f);
                if (hi < g.ow) java.util.Arrays.fill(cols, d + hi, d + g.ow, 0f);
                int src = xOff + (c * g.h + iy) * g.w - g.pad + j;
                if (g.stride == 1) System.arraycopy(x, src + lo, cols, d + lo, hi - lo);
                else for (int ox = lo; ox < hi; ox++) cols[d + ox] = x[src + ox * g.stride];
            }
        }
    }

    /** Folds cols back, adding overlapping contributions: the adjoint of im2col. */
    static void col2im(float[] cols, Geometry g, float[] dx, int dxOff) {
        int ohw = g.ohw(), ckk = g.ckk();
        for (int r = 0; r < ckk; r++) {
            int j = r % g.kw, i = (r / g.kw) % g.kh, c = r / (g.kw * g.kh);
            int lo = oxLo(g, j), hi = oxHi(g, j);
            for (int oy = 0; oy < g.oh; oy++) {
                int iy = oy * g.stride - g.pad + i;
                if (iy < 0 || iy >= g.h) continue;
                int dst = dxOff + (c * g.h + iy) * g.w - g.pad + j, src = r * ohw + oy * g.ow;
                if (g.stride == 1) for (int ox = lo; ox < hi; ox++) dx[dst + ox] += cols[src + ox];
                else for (int ox = lo; ox < hi; ox++) dx[dst + ox * g.stride] += cols[src + ox];
            }
        }
    }

    static Tensor forward(Tensor x, Tensor w, Tensor bias, int stride, int pad) {
        Geometry g = Geometry.of(x.shape(), w.shape(), stride, pad);
        Tensor xc = x.contiguous(), wc = w.contiguous();
        float[] bs = bias == null ? null : bias.contiguous().toArray();
        Tensor out = Tensor.zeros(g.n, g.cout, g.oh, g.ow);
        conv(xc.storage().hostArray(), xc.offset(), g, wc.storage().hostArray(), wc.offset(), bs, out.data());
        return out;
    }

    /**
     * y[n] = W · im2col(x[n]) (+ bias) for all images into y (contiguous, offset 0). Images run in
     * parallel, one cols buffer per chunk; a single image lets the GEMM split instead.
     */
    private static void conv(float[] xs, int xo, Geometry g, float[] ws, int wo, float[] bs, float[] y) {
        if (Winograd.fits(g)) {
            // 3×3 stride 1 with enough channels: 2.25× fewer multiplies (the input gradient too).
            Winograd.conv(xs, xo, g, ws, wo, bs, y);
            return;
        }
        if (Simd.ENABLED && ConvRows.fits(g)) {
            // 4×4 and 8×8 maps: one implicit GEMM over the batch, in the K blocks of the path it
            // replaces (convSmall's GEMM: SgemmKernel.kStep; ConvGemm.conv: its kStep), so the same bits.
            ConvRows.conv(xs, xo, g, ws, wo, bs, y, batchedSmall(g) ? SgemmKernel.kStep(g.ckk()) : ConvGemm.kStep(g.ckk()));
            return;
        }
        if (Simd.ENABLED && batchedSmall(g)) {
            convSmall(xs, xo, g, ws, wo, bs, y);
            return;
        }
        if (Simd.ENABLED) {
            ConvGemm.conv(xs, xo, g, ws, wo, bs, y);
            return;
        }
        int ckk = g.ckk(), ohw = g.ohw(), xImg = g.cin * g.h * g.w;
        Parallel.forChunks(g.n, (long) g.cout * ckk * ohw, (i0, i1) -> {
            float[] cols = new float[ckk * ohw];
            boolean inner = i1 - i0 == g.n;              // not split over images: let the GEMM split
            for (int img = i0; img < i1; img++) {
                im2col(xs, xo + img * xImg, g, cols);
                int yOff = img * g.cout * ohw;
                Sgemm.gemm(g.cout, ohw, ckk, ws, wo, ckk, 1, cols, 0, ohw, 1, y, yOff, ohw, false, inner);
                if (bs != null)
                    for (int co = 0; co < g.cout; co++)
                        for (int p = 0; p < ohw; p++) y[yOff + co * ohw + p] += bs[co];
            }
        });
    }

    /** Whether convSmall takes the geometry (several images whose outputs are narrower than a panel). */
    static boolean batchedSmall(Geometry g) {
        return SMALL_BATCHED && g.n > 1 && g.ohw() < SgemmKernel.NR;
    }

    /** convSmall's unfolded input and product, kept by the calling thread: multi-MB arrays cost page faults and zeroing when fresh. */
    private static final ThreadLocal<float[][]> SMALL_BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);

    /** Small outputs (e.g. 4×4) as one GEMM over the whole batch; off with -Dalignguard.conv.smallBatched=false. */
    static final boolean SMALL_BATCHED = !"false".equals(System.getProperty("alignguard.conv.smallBatched"));

    /**
     * y = W · [im2col(x[0]) | im2col(x[1]) | ...] (+ bias) as one GEMM with N = batch·OHW. An image
     * with fewer output pixels than the micro-kernel's 32 columns would otherwise fill half a panel:
     * at 4×4 the per-image path ran at about a third of the GEMM's speed.
     * <pre>
     *   x [n, cin, h, w] ─► cols [cin·kh·kw, n·ohw] (image i in columns i·ohw ..) ─► W · cols = t [cout, n·ohw]
     *   ─► y[i, co, p] = t[co, i·ohw + p] + bias[co]
     * </pre>
     */
    static void convSmall(float[] xs, int xo, Geometry g, float[] ws, int wo, float[] bs, float[] y) {
        int ckk = g.ckk(), ohw = g.ohw(), cols = g.n * ohw, xImg = g.cin * g.h * g.w, m = g.cout;
        float[][] buf = SMALL_BUFFERS.get();      // both are overwritten whole below: no zeroing needed
        if (buf[0].length < ckk * cols) buf[0] = new float[ckk * cols];
        if (buf[1].length < m * cols) buf[1] = new float[m * cols];
        float[] unfolded = buf[0], t = buf[1];
        Parallel.forChunks(g.n, (long) ckk * ohw, (i0, i1) -> {
            for (int img = i0; img < i1; img++) im2colRows(xs, xo + img * xImg, g, 0, ckk, unfolded, img * ohw, cols);
        });
        Sgemm.gemm(m, cols, ckk, ws, wo, ckk, 1, unfolded, 0, cols, 1, t, 0, cols, false, true);
        Parallel.forChunks(g.n, (long) m * ohw, (i0, i1) -> {
            for (int img = i0; img < i1; img++)
                for (int co = 0; co < m; co++) {
                    float b = bs == null ? 0f : bs[co];
                    int src = co * cols + img * ohw, dst = (img * m + co) * ohw;
                    for (int p = 0; p < ohw; p++) y[dst + p] = t[src + p] + b;
                }
        });
    }

    static Tensor gradInput(Tensor gradOut, Tensor w, int[] inputShape, int stride, int pad) {
        Geometry g = Geometry.of(inputShape, w.shape(), stride, pad);
        Tensor dyc = gradOut.contiguous(), wc = w.contiguous();
        float[] dy = dyc.storage().hostArray(), ws = wc.storage().hostArray();
        int dyo = dyc.offset(), wo = wc.offset();
        Tensor dxT = Tensor.zeros(inputShape);
        float[] dx = dxT.data();
        int ckk = g.ckk(), ohw = g.ohw(), xImg = g.cin * g.h * g.w;
        if (stride == 1 && g.kh == g.kw && pad <= g.kh - 1) {
            // Stride 1: dx is the "full" correlation of dy with the flipped, channel-swapped kernel,
            // i.e. a forward conv with padding kh-1-pad. A gather (im2col) instead of col2im's
            // scatter-add, and a GEMM with K = cout*kh*kw instead of K = cout.
            float[] wt = new float[g.cin * g.cout * g.kh * g.kw];
            int kk = g.kh * g.kw;
            for (int co = 0; co < g.cout; co++)
                for (int ci = 0; ci < g.cin; ci++)
                    for (int t = 0; t < kk; t++)
                        wt[(ci * g.cout + co) * kk + (kk - 1 - t)] = ws[wo + (co * g.cin + ci) * kk + t];
            Geometry gt = new Geometry(g.n, g.cout, g.oh, g.ow, g.cin, g.kh, g.kw, 1, g.kh - 1 - pad, g.h, g.w);
            conv(dy, dyo, gt, wt, 0, null, dx);
            return dxT;
        }
        Parallel.forChunks(g.n, (long) g.cout * ckk * ohw, (i0, i1) -> {
            float[] dcols = new float[ckk * ohw];
            boolean inner = i1 - i0 == g.n;
            for (int img = i0; img < i1; img++) {
                // dcols[ckk, ohw] = Wᵀ[ckk, cout] · dy[cout, ohw]; Wᵀ read through strides by the packing.
                Sgemm.gemm(ckk, ohw, g.cout, ws, wo, 1, ckk, dy, dyo + img * g.cout * ohw, ohw, 1, dcols, 0, ohw, false, inner);
                col2im(dcols, g, dx, img * xImg);
            }
        });
        return dxT;
    }

    /**
     * dW[cout, ckk] = Σ_n dy[n] · cols[n]ᵀ. With the Vector API, {@link ConvGemm#gradWeight}. The
     * scalar path: threads own disjoint column ranges of dW (rows of cols, which each unfolds for
     * itself) and add the images in order, so every element of dW is summed in the same order at
     * every thread count.
     */
    static Tensor gradWeight(Tensor gradOut, Tensor x, int[] wShape, int stride, int pad) {
        Geometry g = Geometry.of(x.shape(), wShape, stride, pad);
        Tensor dyc = gradOut.contiguous(), xc = x.contiguous();
        float[] dy = dyc.storage().hostArray(), xs = xc.storage().hostArray();
        int dyo = dyc.offset(), xo = xc.offset();
        int ckk = g.ckk(), ohw = g.ohw(), xImg = g.cin * g.h * g.w;
        Tensor out = Tensor.zeros(wShape);
        float[] dw = out.data();
        if (Winograd.fits(g)) {
            WinogradWeightGrad.gradWeight(dy, dyo, xs, xo, g, dw);
            return out;
        }
        if (Simd.ENABLED) {
            ConvGemm.gradWeight(dy, dyo, xs, xo, g, dw);
            return out;
        }
        Parallel.forChunks(ckk, (long) g.n * g.cout * ohw, (r0, r1) -> {
            int rows = r1 - r0;
            float[] cols = new float[rows * ohw];
            for (int img = 0; img < g.n; img++) {
                im2colRows(xs, xo + img * xImg, g, r0, r1, cols, 0, ohw);
                // dW[:, r0:r1] (+)= dy[img][cout, ohw] · cols[r0:r1, ohw]ᵀ
                Sgemm.gemm(g.cout, rows, ohw, dy, dyo + img * g.cout * ohw, ohw, 1, cols, 0, 1, ohw,
                        dw, r0, ckk, img > 0, false);
            }
        });
        return out;
    }
}
