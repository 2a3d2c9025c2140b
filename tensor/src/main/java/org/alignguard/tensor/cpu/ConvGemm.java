package org.alignguard.tensor.cpu;

import static org.alignguard.tensor.cpu.SgemmKernel.roundUp;

import jdk.incubator.vector.FloatVector;

/**
 * Conv-specific drivers around {@link SgemmKernel}'s packing and micro-kernel (Vector API only; the
 * scalar fallback never loads this class).
 *
 * <ul>
 *   <li>{@link #conv}: y[n] = W · im2col(x[n]) for all images with W packed once for the whole batch
 *       (instead of once per image), images split across threads. With stride 1 and ow a multiple of
 *       the vector length, im2col is never materialized: B panels are packed straight from a padded
 *       copy of each image ({@link #convImplicit}).</li>
 *   <li>{@link #gradWeight}: dW = dY[cout, N*OHW] · colsᵀ as a GEMM with K = N*OHW, cut into
 *       {@link #GRAD_W_PARTS} parts of whole images whose sums are added at the end. The columns of
 *       dW are ordered (i, j, c) so that, with x transposed to channels-last, a packed-B row is a
 *       contiguous run of channels (one copy) rather than a strided gather. A thread packs all it
 *       reads itself, image by image, so the batch never goes through a shared buffer.</li>
 * </ul>
 * Partial row panels (Cout = 64 = 5·12 + 4) run {@link EdgeKernels}' 4/8-row kernels instead of a
 * 12-row kernel on zero rows. Every output element is summed in the same order (fixed K blocks,
 * each run by one micro-kernel call, and fixed parts) whichever thread computes it, so results are
 * bit-identical at every thread count.
 */
final class ConvGemm {
    private ConvGemm() {}

    private static final int MR = SgemmKernel.MR, NR = SgemmKernel.NR, KC = SgemmKernel.KC, NC = SgemmKernel.NC;

    /** K block size: K split into equal blocks of at most KC. */
    static int kStep(int k) {
        return SgemmKernel.evenBlocks(k, KC);
    }

    /** Per-thread scratch, reused across calls. */
    private static final class Scratch {
        float[] cols = new float[0];
        float[] b = new float[0];
        /** The weight gradient's packed block of dY. */
        float[] dyPacked = new float[0];
        final float[] tile = new float[MR * NR];
        final int[] seg = new int[3 * NR];
        int[] pix = new int[0];
        /** Zero-padded image buffers by layout (cin, h, w, pad): a UNet has a handful, and a buffer's border, never written, stays zero. */
        final java.util.Map<java.util.List<Integer>, float[]> padded = new java.util.HashMap<>();
        /** The weight gradient's rings of channels-last images, by layout (their borders stay zero too). */
        final java.util.Map<Ring, float[]> rings = new java.util.HashMap<>();
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Buffers of one call, kept by the calling thread for the next call: freshly allocated arrays
     * cost page faults and zeroing on every call.
     */
    private static final class Big {
        /** The weight gradient's partial sums, one dWt per part. */
        float[] partSums = new float[0];
        /** The forward convolutions' packed weights (one call at a time on this thread). */
        float[] w = new float[0];

        /** The packed-weight buffer, grown to hold {@code size} floats. */
        float[] weights(int size) {
            if (w.length < size) w = new float[size];
            return w;
        }
    }

    private static final ThreadLocal<Big> BIG = ThreadLocal.withInitial(Big::new);

    /** Stride-1 forward packs B straight from a zero-padded copy of x (no cols buffer). */
    static final boolean IMPLICIT = !"false".equals(System.getProperty("alignguard.conv.implicit"));

    /**
     * y[img] = W[cout, ckk] · im2col(x[img]) (+ bias) for every image; y contiguous at offset 0. The
     * work items are (image, NR-column panel) pairs, so a small batch still splits across threads.
     */
    static void conv(float[] xs, int xo, Conv2dKernels.Geometry g, float[] ws, int wo, float[] bs, float[] y) {
        if (IMPLICIT && g.stride() == 1 && g.ow() % SgemmKernel.L == 0) {
            convImplicit(xs, xo, g, ws, wo, bs, y);
            return;
        }
        int m = g.cout(), ckk = g.ckk(), ohw = g.ohw(), xImg = g.cin() * g.h() * g.w();
        int kstep = kStep(ckk), mp = roundUp(m, MR), panelsN = (ohw + NR - 1) / NR;
        float[] ap = SgemmKernel.packWhole(m, ckk, kstep, ws, wo, ckk, 1, BIG.get().weights(mp * ckk));
        Parallel.forChunks(g.n() * panelsN, (long) m * ckk * NR, (t0, t1) -> {
            Scratch s = SCRATCH.get();
            if (s.cols.length < ckk * ohw) s.cols = new float[ckk * ohw];
            int ncMax = Math.min(NC, roundUp(ohw, NR));
            if (s.b.length < ncMax * kstep) s.b = new float[ncMax * kstep];
            float[] cols = s.cols, bp = s.b;
            for (int img = t0 / panelsN; img * panelsN < t1; img++) {
                int j0 = Math.max(0, t0 - img * panelsN) * NR, j1 = Math.min(ohw, (t1 - img * panelsN) * NR);
                Conv2dKernels.im2col(xs, xo + img * xImg, g, cols);
                int yOff = img * m * ohw;
                for (int k0 = 0; k0 < ckk; k0 += kstep) {
                    int kc = Math.min(kstep, ckk - k0);
                    for (int jc = j0; jc < j1; jc += NC) {
                        int nc = Math.min(NC, j1 - jc);
                        SgemmKernel.packB(kc, nc, cols, k0 * ohw + jc, ohw, 1, bp);
                        SgemmKernel.macro(m, nc, kc, ap, k0 * mp, bp, y, yOff + jc, ohw, k0 > 0, s.tile);
                    }
                }
                if (bs != null)
                    for (int co = 0; co < m; co++) {
                        float b = bs[co];
                        for (int p = j0, o = yOff + co * ohw; p < j1; p++) y[o + p] += b;
                    }
            }
        });
    }

    /**
     * Stride 1 with ow a multiple of the vector length: y[img] = W · im2col(x[img]) (+ bias) without
     * materializing im2col. Each image is copied into a zero-padded buffer (not when pad = 0), so row
     * k = (c, i, j) of im2col restricted to one output row is a contiguous run of that buffer and an
     * NR-column panel of B is packed straight from it with whole-vector copies. Same work items,
     * K blocks and micro-kernel calls as {@link #conv}'s im2col path, so the same sums.
     */
    private static void convImplicit(float[] xs, int xo, Conv2dKernels.Geometry g, float[] ws, int wo, float[] bs,
                                     float[] y) {
        int n = g.n(), cin = g.cin(), h = g.h(), w = g.w(), pad = g.pad();
        int m = g.cout(), ckk = g.ckk(), ohw = g.ohw(), ow = g.ow();
        int hp = h + 2 * pad, wp = w + 2 * pad, xpImg = cin * hp * wp;
        java.util.List<Integer> layout = java.util.List.of(cin, h, w, pad);
        int[] koff = tapOffsets(g, hp, wp);
        int kstep = kStep(ckk), mp = roundUp(m, MR), panelsN = (ohw + NR - 1) / NR;
        float[] ap = SgemmKernel.packWhole(m, ckk, kstep, ws, wo, ckk, 1, BIG.get().weights(mp * ckk));
        Parallel.forChunks(n * panelsN, (long) m * ckk * NR, (t0, t1) -> {
            Scratch s = SCRATCH.get();
            int ncMax = Math.min(NC, roundUp(ohw, NR));
            if (s.b.length < ncMax * kstep) s.b = new float[ncMax * kstep];
            float[] bp = s.b;
            // This thread's zero-padded buffer for the layout (stays in L2; its border, never
            // written, stays zero): looked up once per chunk, each image copied into it in turn.
            float[] padBuf = pad == 0 ? null : s.padded.computeIfAbsent(layout, key -> new float[xpImg]);
            for (int img = t0 / panelsN; img * panelsN < t1; img++) {
                int j0 = Math.max(0, t0 - img * panelsN) * NR, j1 = Math.min(ohw, (t1 - img * panelsN) * NR);
                int yOff = img * m * ohw;
                final float[] xp;
                final int xImg;
                if (pad == 0) {
                    xp = xs;
                    xImg = xo + img * xpImg;
                } else {
                    xp = padBuf;
                    xImg = 0;
                    padImage(xs, xo + img * cin * h * w, g, xp, 0);
                }
                for (int k0 = 0; k0 < ckk; k0 += kstep) {
                    int kc = Math.min(kstep, ckk - k0);
                    for (int jc = j0; jc < j1; jc += NC) {
                        int nc = Math.min(NC, j1 - jc);
                        packBImplicit(xp, xImg, koff, k0, kc, ow, wp, jc, nc, bp, s.seg);
                        SgemmKernel.macro(m, nc, kc, ap, k0 * mp, bp, y, yOff + jc, ohw, k0 > 0, s.tile);
                    }
                }
                if (bs != null)
                    for (int co = 0; co < m; co++) {
                        float b = bs[co];
                        for (int p = j0, o = yOff + co * ohw; p < j1; p++) y[o + p] += b;
                    }
            }
        });
    }

    /**
     * Where row k = (c, i, j) of the unfolded input starts in a zero-padded image of rows wp wide and
     * hp high: (c·hp + i)·wp + j. Output pixel (oy, ox) of that row is then at + oy·wp + ox (stride 1).
     */
    static int[] tapOffsets(Conv2dKernels.Geometry g, int hp, int wp) {
        int ckk = g.ckk(), kh = g.kh(), kw = g.kw(), kk = kh * kw;
        int[] koff = new int[ckk];
        for (int k = 0; k < ckk; k++) {
            int c = k / kk, t = k - c * kk, i = t / kw, j = t - i * kw;
            koff[k] = (c * hp + i) * wp + j;
        }
        return koff;
    }

    /** Copies one image (cin × h × w at xs[src]) into the interior of a zero-padded layout at xp[dst]; the border is left as it is. */
    static void padImage(float[] xs, int src, Conv2dKernels.Geometry g, float[] xp, int dst) {
        int cin = g.cin(), h = g.h(), w = g.w(), pad = g.pad(), hp = h + 2 * pad, wp = w + 2 * pad;
        for (int c = 0; c < cin; c++) {
            int s = src + c * h * w, d = dst + (c * hp + pad) * wp + pad;
            for (int iy = 0; iy < h; iy++) System.arraycopy(xs, s + iy * w, xp, d + iy * wp, w);
        }
    }

    /**
     * Packs B[k0:k0+kc, jc:jc+nc] of im2col (stride 1) into NR-column panels, reading
     * B(k, q) = xp[xImg + koff[k] + oy*wp + ox] (q = oy*ow + ox). Each panel splits into runs of one
     * output row (lengths multiples of L, as ow is); seg holds (source, panel column, length) per run.
     */

    static void packBImplicit(float[] xp, int xImg, int[] koff, int k0, int kc, int ow, int wp, int jc, int nc,
                                      float[] bp, int[] seg) {
        final int L = SgemmKernel.L;
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr), base = jr * kc;
            if (nr < NR) java.util.Arrays.fill(bp, base, base + kc * NR, 0f);
            int ns = 0;
            for (int q = jc + jr, e = q + nr; q < e; ns++) {
                int oy = q / ow, ox = q - oy * ow, len = Math.min(ow - ox, e - q);
                seg[3 * ns] = xImg + oy * wp + ox;
                seg[3 * ns + 1] = q - jc - jr;
                seg[3 * ns + 2] = len;
                q += len;
            }
            if (ns == 2 && seg[2] == L && seg[5] == L) {           // two output rows of L (ow = L)
                int s0 = seg[0], s1 = seg[3];
                for (int p = 0, d = base; p < kc; p++, d += NR) {
                    int o = koff[k0 + p];
                    FloatVector.fromArray(SgemmKernel.S, xp, s0 + o).intoArray(bp, d);
                    FloatVector.fromArray(SgemmKernel.S, xp, s1 + o).intoArray(bp, d + L);
                }
            } else if (ns == 1 && seg[2] == NR) {                  // one run of a wider output row
                int s0 = seg[0];
                for (int p = 0, d = base; p < kc; p++, d += NR) {
                    int o = s0 + koff[k0 + p];
                    FloatVector.fromArray(SgemmKernel.S, xp, o).intoArray(bp, d);
                    FloatVector.fromArray(SgemmKernel.S, xp, o + L).intoArray(bp, d + L);
                }
            } else {
                for (int p = 0, d = base; p < kc; p++, d += NR) {
                    int o = koff[k0 + p];
                    for (int t = 0; t < ns; t++) {
                        int src = seg[3 * t] + o, dst = d + seg[3 * t + 1], len = seg[3 * t + 2];
                        for (int v = 0; v < len; v += L)
                            FloatVector.fromArray(SgemmKernel.S, xp, src + v).intoArray(bp, dst + v);
                    }
                }
            }
        }
    }

    /**
     * One image in channels-last order, inside a zero-padded layout of rows wp pixels wide
     * (wp ≥ w + pp): xt[d + ((iy + pp)*wp + ix + pp)*cin + c] = xs[s + c*h*w + iy*w + ix]. Only
     * the image's pixels are written: the zeros around them are the caller's. With cin
     * and w multiples of 4, 4 channels x 4 pixels at a time in registers ({@link Transpose4}),
     * walking 4 channel planes front to back together (4 sequential streams, which the prefetcher
     * follows).
     */
    static void channelsLast(float[] xs, int s, int cin, int h, int w, int pp, int wp, float[] xt, int d) {
        int hw = h * w;
        if (cin % 4 == 0 && w % 4 == 0) {
            for (int c = 0; c < cin; c += 4)
                for (int iy = 0; iy < h; iy++) {
                    int row = d + ((iy + pp) * wp + pp) * cin + c, src = s + c * hw + iy * w;
                    for (int ix = 0; ix < w; ix += 4) Transpose4.block(xs, src + ix, hw, xt, row + ix * cin, cin);
                }
            return;
        }
        for (int iy = 0; iy < h; iy++)
            for (int x0 = 0; x0 < w; x0 += 16) {        // 16 pixels (one cache line) of every channel in turn
                int x1 = Math.min(w, x0 + 16), row = d + ((iy + pp) * wp + pp) * cin;
                for (int c = 0; c < cin; c++)
                    for (int ix = x0; ix < x1; ix++) xt[row + ix * cin + c] = xs[s + c * hw + iy * w + ix];
            }
    }

    /**
     * The weight gradient's K (the batch's pixels) is cut into this many parts of whole images. Each
     * part is one GEMM whose K blocks run in order, and the parts' sums are added in order at the end,
     * at every thread count: so the cut decides the bits, not the threads. With two threads each
     * takes a part, and everything it reads it has packed itself (see {@link #gradWeight}).
     */
    static final int GRAD_W_PARTS = 2;

    /**
     * A thread's ring of channels-last images for the weight gradient: image img lives in slot
     * img % slots, as ring[((slot*hp + iy + pp)*wp + ix + pp)*cin + c], zero-padded by pp. A K block
     * of KC pixels reaches at most ceil(KC/ohw) + 1 images, so with that many slots the images of
     * one block sit in distinct slots, none overwritten since it was written. For the benchmark's
     * 16×16 maps with 64 channels that is 2 slots of 81 KB, which stay in L2; for 64×64 maps a slot
     * is 1.1 MB. Each thread keeps one ring per layout (a UNet has a handful).
     */
    private record Ring(int slots, int cin, int h, int w, int pp) {
        static Ring of(Conv2dKernels.Geometry g, int pp) {
            return new Ring(Math.min(g.n(), (KC + g.ohw() - 1) / g.ohw() + 1), g.cin(), g.h(), g.w(), pp);
        }
        int slot() { return (h + 2 * pp) * (w + 2 * pp) * cin; }
        float[] buffer(Scratch s) { return s.rings.computeIfAbsent(this, key -> new float[slots * slot()]); }
        /** Image img of x (at xs[xo]) into its slot. */
        void put(float[] xs, int xo, int img, float[] ring) {
            channelsLast(xs, xo + img * cin * h * w, cin, h, w, pp, w + 2 * pp, ring, img % slots * slot());
        }
    }

    /**
     * dW (cout, cin, kh, kw) into dw[0..] = Σ_img dy[img] · im2col(x[img])ᵀ, as
     * <pre>
     *   dW = Σ_part dY[:, part] · cols[:, part]ᵀ      (parts of whole images, {@link #GRAD_W_PARTS})
     * </pre>
     * Work items are (part, column panel); with two threads, one thread per part. A thread walks its
     * part's K blocks (KC pixels) and, for each, puts the images the block reaches into channels-last
     * order in its own {@link Ring}, packs the block of dY as A, then packs B from the ring and runs
     * the micro-kernels. Nothing a thread reads was written by the other core: splitting dW's
     * columns instead had each thread read a batch-sized channels-last copy and a packed dY that both
     * threads had written. With more threads than parts, the threads of one part split its columns
     * and each transposes and packs the whole part for itself (repeated work, the price of keeping
     * the sums independent of the thread count).
     */
    static void gradWeight(float[] dy, int dyo, float[] xs, int xo, Conv2dKernels.Geometry g, float[] dw) {
        int n = g.n(), cin = g.cin(), m = g.cout(), ohw = g.ohw(), ckk = g.ckk(), kk = g.kh() * g.kw();
        int size = m * ckk;
        if (n == 0) {
            java.util.Arrays.fill(dw, 0, size, 0f);
            return;
        }
        // With cin a multiple of the vector length the ring is zero-padded by the convolution's
        // padding, so that packing B needs no bounds checks.
        boolean padded = EdgeKernels.ENABLED && cin % SgemmKernel.L == 0;
        Ring ring = Ring.of(g, padded ? g.pad() : 0);
        int parts = Math.min(GRAD_W_PARTS, n), panels = (ckk + NR - 1) / NR;
        Big big = BIG.get();
        if (big.partSums.length < parts * size) big.partSums = new float[parts * size];
        float[] sums = big.partSums;                // part p's dWt[cout, (i*kw + j)*cin + c] at p*size
        Parallel.forChunks(parts * panels, (long) m * (n / parts) * ohw * NR, (t0, t1) -> {
            for (int part = t0 / panels; part * panels < t1; part++) {
                int j0 = Math.max(0, t0 - part * panels) * NR, j1 = Math.min(ckk, (t1 - part * panels) * NR);
                gradWeightPart(dy, dyo, xs, xo, g, ring, padded, part * n / parts, (part + 1) * n / parts, j0, j1,
                        sums, part * size);
            }
        });
        // dw[co][c][t] = Σ_part sums[part][co][t*cin + c], the parts added in order
        for (int co = 0; co < m; co++)
            for (int t = 0; t < kk; t++)
                for (int c = 0; c < cin; c++) {
                    int q = co * ckk + t * cin + c;
                    float v = sums[q];
                    for (int part = 1; part < parts; part++) v += sums[part * size + q];
                    dw[(co * cin + c) * kk + t] = v;
                }
    }

    /**
     * Columns j0..j1 of one part's dWt[cout, (i*kw + j)*cin + c] (at sums[so], row stride ckk) =
     * dY[:, K] · cols[:, K]ᵀ over the pixels K of images img0..img1, K block by K block, on the
     * calling thread.
     */
    private static void gradWeightPart(float[] dy, int dyo, float[] xs, int xo, Conv2dKernels.Geometry g, Ring ring,
                                       boolean padded, int img0, int img1, int j0, int j1, float[] sums, int so) {
        int m = g.cout(), ohw = g.ohw(), ckk = g.ckk(), mp = roundUp(m, MR);
        Scratch s = SCRATCH.get();
        float[] images = ring.buffer(s);
        if (s.dyPacked.length < mp * KC) s.dyPacked = new float[mp * KC];
        // dWt's columns in blocks of at most NC, as equal as whole panels allow.
        int colBlocks = (j1 - j0 + NC - 1) / NC, ncStep = roundUp((j1 - j0 + colBlocks - 1) / colBlocks, NR);
        if (s.b.length < ncStep * KC) s.b = new float[ncStep * KC];
        float[] ap = s.dyPacked, bp = s.b;
        int kLo = img0 * ohw, kHi = img1 * ohw, nextImage = img0;
        for (int k0 = kLo; k0 < kHi; k0 += KC) {
            int kc = Math.min(KC, kHi - k0);
            for (int last = (k0 + kc - 1) / ohw; nextImage <= last; nextImage++) ring.put(xs, xo, nextImage, images);
            packDyBlock(dy, dyo, m, ohw, k0, kc, ap);
            for (int jc = j0; jc < j1; jc += ncStep) {
                int nc = Math.min(ncStep, j1 - jc);
                if (padded) packBChannelsLastPadded(g, images, ring.slots(), k0, kc, jc, nc, bp, s);
                else packBChannelsLast(g, images, ring.slots(), k0, kc, jc, nc, bp);
                SgemmKernel.macro(m, nc, kc, ap, 0, bp, sums, so + jc, ckk, k0 > kLo, s.tile);
            }
        }
    }

    /** dY[:, k0:k0+kc] (the batch's pixels k, image by image) packed as A into ap, in packA's layout. */
    private static void packDyBlock(float[] dy, int dyo, int m, int ohw, int k0, int kc, float[] ap) {
        for (int k = k0; k < k0 + kc; ) {
            int img = k / ohw, p = k - img * ohw, len = Math.min(ohw - p, k0 + kc - k);
            for (int ir = 0; ir < m; ir += MR)
                SgemmKernel.packA(Math.min(MR, m - ir), len, dy, dyo + (img * m + ir) * ohw + p, ohw, 1,
                        ap, ir * kc + (k - k0) * MR);
            k += len;
        }
    }

    /**
     * {@link #packBChannelsLast} for a ring zero-padded by g.pad() (so every tap is in range) and cin
     * a multiple of L: each run of one (i, j) is whole vectors.
     */
    static void packBChannelsLastPadded(Conv2dKernels.Geometry g, float[] ring, int slots, int k0, int kc, int jc, int nc,
                                                float[] bp, Scratch s) {
        final int L = SgemmKernel.L;
        int cin = g.cin(), hp = g.h() + 2 * g.pad(), wp = g.w() + 2 * g.pad(), ow = g.ow(), oh = g.oh();
        int kw = g.kw(), st = g.stride();
        if (s.pix.length < kc) s.pix = new int[kc];
        int[] pix = s.pix;
        int img = k0 / g.ohw(), q = k0 - img * g.ohw(), oy = q / ow, ox = q - oy * ow;
        for (int p = 0; p < kc; p++) {
            pix[p] = ((img % slots * hp + oy * st) * wp + ox * st) * cin;
            if (++ox == ow) {
                ox = 0;
                if (++oy == oh) {
                    oy = 0;
                    img++;
                }
            }
        }
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr), base = jr * kc;
            if (nr < NR) java.util.Arrays.fill(bp, base, base + kc * NR, 0f);
            for (int qq = 0; qq < nr; ) {
                int r = jc + jr + qq, t = r / cin, c = r - t * cin, len = Math.min(nr - qq, cin - c);
                int i = t / kw, j = t - i * kw, toff = (i * wp + j) * cin + c;
                if (qq == 0 && len == NR) {
                    for (int p = 0, d = base; p < kc; p++, d += NR) {
                        int o = pix[p] + toff;
                        FloatVector.fromArray(SgemmKernel.S, ring, o).intoArray(bp, d);
                        FloatVector.fromArray(SgemmKernel.S, ring, o + L).intoArray(bp, d + L);
                    }
                } else {
                    for (int p = 0, d = base + qq; p < kc; p++, d += NR) {
                        int o = pix[p] + toff;
                        for (int v = 0; v < len; v += L)
                            FloatVector.fromArray(SgemmKernel.S, ring, o + v).intoArray(bp, d + v);
                    }
                }
                qq += len;
            }
        }
    }

    /**
     * Packs B[k0:k0+kc, jc:jc+nc] with B(k, r) = x[img, c, iy, ix] (k = img*ohw + oy*ow + ox,
     * r = (i*kw + j)*cin + c, iy = oy*stride - pad + i, ix = ox*stride - pad + j; 0 outside the image)
     * into NR-column panels bp[q*NR*kc + p*NR + jj], reading x from a {@link Ring} (unpadded: image
     * img at ring[((img % slots)*h + iy)*w + ix)*cin + c]). Each panel splits into runs of one (i, j),
     * which are contiguous channels in the ring.
     */
    private static void packBChannelsLast(Conv2dKernels.Geometry g, float[] ring, int slots, int k0, int kc, int jc, int nc, float[] bp) {
        int cin = g.cin(), h = g.h(), w = g.w(), ow = g.ow(), ohw = g.ohw(), kw = g.kw(), st = g.stride(), pad = g.pad();
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr), base = jr * kc;
            if (nr < NR) java.util.Arrays.fill(bp, base, base + kc * NR, 0f);
            for (int q = 0; q < nr; ) {
                int r = jc + jr + q, t = r / cin, c = r - t * cin, len = Math.min(nr - q, cin - c);
                int i = t / kw, j = t - i * kw;
                int img = k0 / ohw, pix = k0 - img * ohw, oy = pix / ow, ox = pix - oy * ow;
                for (int p = 0; p < kc; p++) {
                    int iy = oy * st - pad + i, ix = ox * st - pad + j, d = base + p * NR + q;
                    if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                        System.arraycopy(ring, ((img % slots * h + iy) * w + ix) * cin + c, bp, d, len);
                    else
                        java.util.Arrays.fill(bp, d, d + len, 0f);
                    if (++ox == ow) {
                        ox = 0;
                        if (++oy == g.oh()) {
                            oy = 0;
                            img++;
                        }
                    }
                }
                q += len;
            }
        }
    }

    /**
     * im2col rows r0..r1 for stride 1 on a map whose output is as large as its input (padding
     * (k−1)/2, as every 3×3 conv of the UNet), with oh·ow a multiple of the vector length. Row
     * r = (c, i, j) is then channel c's plane shifted by (i − pad)·w + (j − pad), with the values that
     * fall into the padding set to zero: one masked vector load and one store per vector of output,
     * instead of a copy and border fills for every output row (a 4×4 map has 4 rows of 4 values).
     * Lanes outside the mask are not read, so the shifted load may start in the plane before.
     */
    static void im2colShifted(float[] x, int xOff, Conv2dKernels.Geometry g, int r0, int r1, float[] cols, int dst, int ld) {
        int h = g.h(), w = g.w(), kh = g.kh(), kw = g.kw(), pad = g.pad(), ohw = g.ohw(), plane = h * w;
        int lanes = VectorKernels.LANES;
        boolean[] valid = VALID.computeIfAbsent(java.util.List.of(h, w, kh, kw, pad), key -> validTaps(h, w, kh, kw, pad));
        jdk.incubator.vector.VectorSpecies<Float> sp = VectorKernels.S;
        for (int r = r0; r < r1; r++) {
            int t = r % (kh * kw), c = r / (kh * kw), i = t / kw, j = t % kw;
            int src = xOff + c * plane + (i - pad) * w + (j - pad), row = dst + (r - r0) * ld, vo = t * ohw;
            for (int p = 0; p < ohw; p += lanes) {
                if (src + p < 0 || src + p + lanes > x.length) {
                    // The shifted window crosses the array's ends (first or last plane of the
                    // array): plain loop; a masked load that crosses them is not intrinsified.
                    for (int q = 0; q < lanes; q++) cols[row + p + q] = valid[vo + p + q] ? x[src + p + q] : 0f;
                    continue;
                }
                jdk.incubator.vector.VectorMask<Float> m = jdk.incubator.vector.VectorMask.fromArray(sp, valid, vo + p);
                FloatVector.fromArray(sp, x, src + p, m).intoArray(cols, row + p);
            }
        }
    }

    /** validTaps per map geometry (h, w, kh, kw, pad): a UNet has a handful, each built once. */
    private static final java.util.Map<java.util.List<Integer>, boolean[]> VALID = new java.util.concurrent.ConcurrentHashMap<>();

    /** valid[(i·kw + j)·h·w + p]: output pixel p reads inside the image for kernel tap (i, j). */
    private static boolean[] validTaps(int h, int w, int kh, int kw, int pad) {
        int ohw = h * w;
        boolean[] valid = new boolean[kh * kw * ohw];
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++)
                for (int oy = 0; oy < h; oy++)
                    for (int ox = 0; ox < w; ox++) {
                        int iy = oy + i - pad, ix = ox + j - pad;
                        valid[(i * kw + j) * ohw + oy * w + ox] = iy >= 0 && iy < h && ix >= 0 && ix < w;
                    }
        return valid;
    }
}
