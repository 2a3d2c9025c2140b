package org.alignguard.tensor.cpu;

import static org.alignguard.tensor.cpu.SgemmKernel.roundUp;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3×3 stride-1 convolutions by Winograd's minimal filtering F(2×2, 3×3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016). Each 2×2 tile of the output comes from the
 * 4×4 patch d of the (padded) input under it:
 * <pre>
 *   Y = Aᵀ [ Σ_c  U_c ⊙ V_c ] A,     U_c = G g_c Gᵀ  (g_c: the 3×3 kernel of input channel c)
 *                                    V_c = Bᵀ d_c B  (d_c: the patch in channel c)
 *
 *   Bᵀ = | 1  0 -1  0 |     G = | 1    0    0  |     Aᵀ = | 1  1  1  0 |
 *        | 0  1  1  0 |         | 1/2  1/2  1/2|          | 0  1 -1 -1 |
 *        | 0 -1  1  0 |         | 1/2 -1/2  1/2|
 *        | 0  1  0 -1 |         | 0    0    1  |
 * </pre>
 * At each of the 16 positions ξ of the transformed tile, the sum over input channels for all tiles
 * of an image is one GEMM, run by {@link SgemmKernel}'s micro-kernels:
 * <pre>
 *   M[ξ] (cout × tiles) = U[ξ] (cout × cin) · V[ξ] (cin × tiles)
 * </pre>
 * That is 16·cout·cin multiply-adds per tile against the direct convolution's 9·cout·cin per output
 * pixel, 36 per tile: 2.25× fewer. The transforms are additions only (and the ½ of G, on the
 * weights), vectorized over L tiles at a time: the input transform reads each patch value of L
 * tiles as contiguous runs of a padded copy of the image whose rows are stored deinterleaved
 * ({@link Tiles}); the output transform interleaves a tile row's two pixel columns into contiguous
 * stores (masked scatters where odd sizes cut tiles).
 *
 * <p>Numerics: the result is the same convolution summed in another order (G's ½ is exact in
 * binary), so it differs from the direct path in the last bits, about as much as two summation
 * orders do. Every output element is computed the same way whichever thread runs its image, so
 * results are the same at every thread count. Off with {@code -Dalignguard.conv.winograd=false}.
 */
final class Winograd {
    private Winograd() {}

    static final boolean ENABLED = !"false".equals(System.getProperty("alignguard.conv.winograd"));

    /**
     * Fewer channels than this on either side: the direct path. The transforms cost per channel,
     * the products per pair of channels; at 16 channels (batch 32, 16×16) the two paths ran even.
     */
    static final int MIN_CHANNELS = Integer.getInteger("alignguard.conv.winogradMinChannels", 32);

    private static final VectorSpecies<Float> S = SgemmKernel.S;
    private static final int L = SgemmKernel.L, NR = SgemmKernel.NR, MR = SgemmKernel.MR;

    /**
     * Whether the geometry is a 3×3 stride-1 convolution this class computes: at least two images
     * (one image ran no faster than the direct path, which splits its columns across threads) and
     * rows of tiles that a vector of L tiles spans at most twice (tw = L/2, or tw ≥ L − 1). With
     * 128-bit vectors (L = 4 &lt; MR = 6, as on ARM's NEON) the weight gradient's A panels would not
     * fit a vector: the direct path. The answer depends on the shape and the vector length alone,
     * never on the thread count, so results do not either.
     */
    static boolean fits(Conv2dKernels.Geometry g) {
        int tw = (g.ow() + 1) / 2;
        return ENABLED && Simd.ENABLED && L >= MR && g.kh() == 3 && g.kw() == 3 && g.stride() == 1 && g.pad() <= 2
                && g.n() >= 2 && g.cin() >= MIN_CHANNELS && g.cout() >= MIN_CHANNELS && g.oh() >= 2
                && (tw == L / 2 || tw >= L - 1);
    }

    /**
     * How one image is cut into tiles, and where their patches lie in the padded input buffer.
     *
     * <p>The padded buffer holds, per channel, hp = 2·th + 2 rows of the image with `pad` zero
     * rows and columns around it (more zeros below and right where an output size is odd), so
     * every tile's 4×4 patch lies inside it. Each row is stored <em>deinterleaved</em>: its tw + 1
     * even columns, then its tw + 1 odd ones (row stride rs = 2·tw + 2). Then patch column j of the
     * tiles of one tile row is a contiguous run: even columns 2·tx (j = 0) and 2·tx + 2 (j = 2),
     * odd columns 2·tx + 1 and 2·tx + 3. The buffer ends with L floats of slack, as vector loads
     * of a run reach past its last row.
     *
     * <p>Tiles are numbered row by row, t = ty·tw + tx, and the count is rounded up to whole
     * NR-column panels. A vector of L tiles spans at most two tile rows ({@link #fits} asks
     * tw = L/2 or tw ≥ L − 1): it is loaded as two runs, one per tile row, blended lane by lane.
     *
     * @param segStart per group of L tiles, two entries: where the run of its first tile row and of
     *                 its second start for patch position (0, 0), relative to the channel's first
     *                 row; lane l of a run is tile t0 + l (tiles past the last read finite values
     *                 that are never stored)
     * @param second   per group, the lanes that come from the second run (null if one row)
     * @param out      per output pixel (a, b) of a tile (index 2a + b), where tile t's lies in a
     *                 channel of the output (0 where it lies outside)
     * @param valid    per group of L tiles and output pixel (a, b) of a tile (at 4·group + 2a + b),
     *                 the lanes whose tile has that pixel inside the output (odd sizes cut the last
     *                 tiles); null when every real tile has all four and the tile count fills whole
     *                 vectors
     */
    record Tiles(int th, int tw, int count, int padded, int hp, int rs, int[] segStart, VectorMask<Float>[] second,
                 int[][] out, VectorMask<Float>[] valid) {
        @SuppressWarnings("unchecked")
        static Tiles of(Conv2dKernels.Geometry g) {
            int th = (g.oh() + 1) / 2, tw = (g.ow() + 1) / 2, count = th * tw, padded = roundUp(count, NR);
            int hp = 2 * th + 2, rs = 2 * tw + 2, groups = padded / L;
            int[] segStart = new int[2 * groups];
            VectorMask<Float>[] second = new VectorMask[groups];
            for (int gi = 0; gi < groups; gi++) {
                int t0 = gi * L, ty = t0 / tw, split = Math.min(L, (ty + 1) * tw - t0);
                // A group wholly past the last tile reads the channel's first rows.
                segStart[2 * gi] = t0 >= count ? 0 : 2 * ty * rs + t0 - ty * tw;
                boolean twoRows = split < L && t0 + split < count;
                segStart[2 * gi + 1] = twoRows ? 2 * (ty + 1) * rs + t0 - (ty + 1) * tw : segStart[2 * gi];
                boolean[] lanes = new boolean[L];
                if (twoRows) java.util.Arrays.fill(lanes, split, L, true);
                second[gi] = twoRows ? VectorMask.fromArray(S, lanes, 0) : null;
            }
            int[][] out = new int[4][padded];
            boolean[][] valid = new boolean[4][padded];
            boolean all = count % L == 0;
            for (int t = 0; t < padded; t++) {
                int ty = t / tw, tx = t % tw;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++) {
                        boolean v = t < count && 2 * ty + a < g.oh() && 2 * tx + b < g.ow();
                        valid[2 * a + b][t] = v;
                        // A masked store still checks every lane's index: those masked off point at pixel 0.
                        out[2 * a + b][t] = v ? (2 * ty + a) * g.ow() + 2 * tx + b : 0;
                        if (!v && t < count) all = false;
                    }
            }
            VectorMask<Float>[] masks = new VectorMask[4 * groups];
            for (int gi = 0; gi < groups; gi++)
                for (int k = 0; k < 4; k++) masks[4 * gi + k] = VectorMask.fromArray(S, valid[k], gi * L);
            return new Tiles(th, tw, count, padded, hp, rs, segStart, second, out, all ? null : masks);
        }

        /** Floats of the padded buffer: the channels' rows and the slack at the end. */
        int bufferSize(int cin) { return cin * hp * rs + L; }
    }

    /** Per-thread buffers, kept between calls. */
    private static final class Scratch {
        float[] v = new float[0];
        float[] m = new float[0];
        final float[] tile = new float[MR * NR];
        /** The input transform's column pass (16 vectors). */
        final float[] tmp = new float[16 * L];
        /** Padded image buffers by layout (cin, h, w, pad): the border, never written, stays zero. */
        final java.util.Map<java.util.List<Integer>, float[]> padded = new java.util.HashMap<>();

        /** This scratch with V and M large enough for the geometry. */
        Scratch fit(Conv2dKernels.Geometry g, int tp) {
            if (v.length < 16 * g.cin() * tp) v = new float[16 * g.cin() * tp];
            if (m.length < 16 * g.cout() * tp) m = new float[16 * g.cout() * tp];
            return this;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** The calling thread's transformed, packed weights (read by all threads of one call). */
    private static final ThreadLocal<float[][]> WEIGHTS = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * y[img] = conv(x[img], W) (+ bias) for every image; y contiguous at offset 0, every element
     * written. With at least as many images as threads, each thread takes whole images; with fewer,
     * each image's three phases (input transform, the 16 products, output transform) are split
     * across the threads in turn. Every element is computed the same way on either path.
     */
    static void conv(float[] xs, int xo, Conv2dKernels.Geometry g, float[] ws, int wo, float[] bs, float[] y) {
        int n = g.n(), cin = g.cin(), cout = g.cout();
        Tiles tl = Tiles.of(g);
        int tp = tl.padded(), xImg = cin * g.h() * g.w(), yImg = cout * g.ohw();
        float[] ap = transformWeights(ws, wo, cout, cin, ConvGemm.kStep(cin));
        java.util.List<Integer> layout = java.util.List.of(cin, g.h(), g.w(), g.pad());
        if (n >= Parallel.threadsHere()) {
            Parallel.forChunks(n, 16L * cout * cin * tp, (i0, i1) -> {
                Scratch s = SCRATCH.get().fit(g, tp);
                float[] xp = s.padded.computeIfAbsent(layout, key -> new float[tl.bufferSize(cin)]);
                for (int img = i0; img < i1; img++) {
                    pad(xs, xo + img * xImg, g, tl, xp, 0, cin);
                    inputTransform(xp, tl, g, 0, cin, s.v, s.tmp);
                    products(ap, s.v, s.m, tl, g, 0, 16, s.tile);
                    outputTransform(s.m, tl, g, 0, cout, bs, y, img * yImg);
                }
            });
            return;
        }
        Scratch s = SCRATCH.get().fit(g, tp);
        float[] xp = s.padded.computeIfAbsent(layout, key -> new float[tl.bufferSize(cin)]), v = s.v, m = s.m;
        for (int img = 0; img < n; img++) {
            int x0 = xo + img * xImg, y0 = img * yImg;
            // The whole image first: lanes past the last tile of a channel read into the next one.
            pad(xs, x0, g, tl, xp, 0, cin);
            Parallel.forChunks(cin, 16L * tp, (c0, c1) -> inputTransform(xp, tl, g, c0, c1, v, SCRATCH.get().tmp));
            Parallel.forChunks(16, (long) cout * cin * tp, (xi0, xi1) -> products(ap, v, m, tl, g, xi0, xi1, SCRATCH.get().tile));
            Parallel.forChunks(cout, 16L * tp, (o0, o1) -> outputTransform(m, tl, g, o0, o1, bs, y, y0));
        }
    }

    /** M[ξ] = U[ξ] · V[ξ] for ξ in [x0, x1): the GEMMs, K = cin in the blocks the packing used. */
    private static void products(float[] ap, float[] v, float[] m, Tiles tl, Conv2dKernels.Geometry g, int x0, int x1,
                                 float[] tile) {
        int cin = g.cin(), cout = g.cout(), tp = tl.padded(), kstep = ConvGemm.kStep(cin), mp = roundUp(cout, MR);
        for (int xi = x0; xi < x1; xi++)
            for (int k0 = 0; k0 < cin; k0 += kstep)
                SgemmKernel.macro(cout, tp, Math.min(kstep, cin - k0), ap, (xi * cin + k0) * mp,
                        v, (xi * cin + k0) * tp, m, xi * cout * tp, tp, k0 > 0, tile);
    }

    /** Copies one image into the padded buffer's interior, each row deinterleaved (see {@link Tiles}); the border stays as it is. */
    static void pad(float[] xs, int src, Conv2dKernels.Geometry g, Tiles tl, float[] xp, int c0, int c1) {
        int h = g.h(), w = g.w(), pad = g.pad(), rs = tl.rs(), odd = tl.tw() + 1;
        // Padded column px = ix + pad goes to slot px / 2 of the even or odd half.
        int evenFrom = pad & 1, oddFrom = 1 - evenFrom;              // first ix of each half
        boolean vector = w % L == 0;
        for (int c = c0; c < c1; c++)
            for (int iy = 0; iy < h; iy++) {
                int s = src + (c * h + iy) * w, d = (c * tl.hp() + iy + pad) * rs;
                int de = d + (evenFrom + pad) / 2, dOdd = d + odd + (oddFrom + pad) / 2;
                if (vector) {
                    // L columns at a time: the even ones and the odd ones to the low lanes, L/2 stored each.
                    VectorShuffle<Float> toEven = evenFrom == 0 ? EVEN_LANES : ODD_LANES, toOdd = evenFrom == 0 ? ODD_LANES : EVEN_LANES;
                    for (int ix = 0, q = 0; ix < w; ix += L, q += L / 2) {
                        FloatVector v = FloatVector.fromArray(S, xs, s + ix);
                        v.rearrange(toEven).intoArray(xp, de + q, LOW_HALF);
                        v.rearrange(toOdd).intoArray(xp, dOdd + q, LOW_HALF);
                    }
                    continue;
                }
                for (int ix = evenFrom, q = 0; ix < w; ix += 2, q++) xp[de + q] = xs[s + ix];
                for (int ix = oddFrom, q = 0; ix < w; ix += 2, q++) xp[dOdd + q] = xs[s + ix];
            }
    }

    /** Lanes 0, 2, 4, .. (or 1, 3, 5, ..) to lanes 0, 1, 2, ..; the high half repeats them. */
    private static final VectorShuffle<Float> EVEN_LANES = VectorShuffle.fromOp(S, i -> (2 * i) % L),
            ODD_LANES = VectorShuffle.fromOp(S, i -> (2 * i + 1) % L);
    private static final VectorMask<Float> LOW_HALF = VectorMask.fromLong(S, (1L << (L / 2)) - 1);

    /** Index vectors for selectFrom(a, b): lanes a0 b0 a1 b1 .. from the low halves, and from the high halves. */
    private static final FloatVector ZIP_LOW = FloatVector.fromArray(S, zip(0), 0), ZIP_HIGH = FloatVector.fromArray(S, zip(L / 2), 0);

    private static float[] zip(int from) {
        float[] idx = new float[L];
        for (int i = 0; i < L; i++) idx[i] = i % 2 == 0 ? from + i / 2 : L + from + i / 2;
        return idx;
    }

    /**
     * U[ξ] = (G g Gᵀ)[ξ] for every (cout, cin) pair, each ξ packed as the A operand of its GEMM at
     * ap[ξ·mp·cin], in {@link SgemmKernel#packWhole}'s layout (K = cin in blocks of kstep). The rows
     * of the last panel past cout are left as they are: no kernel copies a product of them into C.
     */
    static float[] transformWeights(float[] ws, int wo, int cout, int cin, int kstep) {
        float[][] buf = WEIGHTS.get();
        int mp = roundUp(cout, MR), xiStride = mp * cin;
        if (buf[0].length < 16 * xiStride) buf[0] = new float[16 * xiStride];
        float[] ap = buf[0];
        for (int co = 0; co < cout; co++) {
            int ir = co / MR * MR, lane = co - ir;
            for (int ci = 0; ci < cin; ci++) {
                int k0 = ci / kstep * kstep, kc = Math.min(kstep, cin - k0);
                int d = k0 * mp + ir * kc + (ci - k0) * MR + lane, o = wo + (co * cin + ci) * 9;
                // G g (4 × 3), column by column: rows 0 and 3 copy g's first and last rows, rows 1
                // and 2 are ½(g0 ± g1 + g2).
                float g00 = ws[o], g01 = ws[o + 1], g02 = ws[o + 2];
                float g10 = ws[o + 3], g11 = ws[o + 4], g12 = ws[o + 5];
                float g20 = ws[o + 6], g21 = ws[o + 7], g22 = ws[o + 8];
                float p0 = 0.5f * (g00 + g10 + g20), p1 = 0.5f * (g01 + g11 + g21), p2 = 0.5f * (g02 + g12 + g22);
                float m0 = 0.5f * (g00 - g10 + g20), m1 = 0.5f * (g01 - g11 + g21), m2 = 0.5f * (g02 - g12 + g22);
                // (G g) Gᵀ: the same combination along each of its rows, row r to ξ = 4r .. 4r + 3.
                weightRow(g00, g01, g02, ap, d, xiStride);
                weightRow(p0, p1, p2, ap, d + 4 * xiStride, xiStride);
                weightRow(m0, m1, m2, ap, d + 8 * xiStride, xiStride);
                weightRow(g20, g21, g22, ap, d + 12 * xiStride, xiStride);
            }
        }
        return ap;
    }

    /** One row (a0, a1, a2) of G g times Gᵀ: a0, ½(a0 + a1 + a2), ½(a0 − a1 + a2), a2 at ap[d + b·stride]. */
    private static void weightRow(float a0, float a1, float a2, float[] ap, int d, int stride) {
        ap[d] = a0;
        ap[d + stride] = 0.5f * (a0 + a1 + a2);
        ap[d + 2 * stride] = 0.5f * (a0 - a1 + a2);
        ap[d + 3 * stride] = a2;
    }

    /**
     * V[ξ] = (Bᵀ d B)[ξ] for channels c0..c1 and every tile, written as the packed B operand of ξ's GEMM:
     * K block k0 (of kstep channels, the last one shorter) at v[(ξ·cin + k0)·tp], its NR-tile panel
     * p at + p·kc·NR, channel c's row of the panel at + (c − k0)·NR.
     */
    static void inputTransform(float[] xp, Tiles tl, Conv2dKernels.Geometry g, int c0, int c1, float[] v, float[] tmp) {
        int cin = g.cin(), kstep = ConvGemm.kStep(cin), rs = tl.rs(), plane = tl.hp() * rs, tp = tl.padded();
        int xiStride = cin * tp, odd = tl.tw() + 1;
        int[] start = tl.segStart();
        VectorMask<Float>[] second = tl.second();
        for (int c = c0; c < c1; c++) {
            int k0 = c / kstep * kstep, kc = Math.min(kstep, cin - k0), row = k0 * tp + (c - k0) * NR;
            for (int t0 = 0, gi = 0; t0 < tp; t0 += L, gi++) {
                int o = c * plane, s0 = start[2 * gi], s1 = start[2 * gi + 1];
                // Patch columns j = 0..3 are the even column 2tx, the odd one, the next even, the next odd.
                transformPatches(xp, o + s0, rs, odd, 1, odd + 1, s1 - s0, second[gi], tmp, v,
                        row + (t0 / NR) * kc * NR + t0 % NR, xiStride);
            }
        }
    }

    /**
     * Bᵀ d B for L patches at once, ξ = 4a + b stored at v[d + ξ·stride]. Lane l of patch value
     * (i, j) is xp[o + i·rowStride + col_j + l], col_0 = 0; lanes in {@code second} (if not null)
     * come from shift floats further on. The forward convolution puts L tiles in the lanes (a
     * deinterleaved row, two tile rows blended); the weight gradient puts L channels of one tile
     * (a channels-last image). The column pass goes through tmp (16 vectors), which keeps each pass
     * a short loop the JIT compiles whole.
     */
    static void transformPatches(float[] xp, int o, int rowStride, int col1, int col2, int col3, int shift,
                                 VectorMask<Float> second, float[] tmp, float[] v, int d, int stride) {
        for (int j = 0; j < 4; j++) {
            // Bᵀ d down patch column j.
            int oj = o + (j == 0 ? 0 : j == 1 ? col1 : j == 2 ? col2 : col3);
            FloatVector a0 = patchRow(xp, oj, shift, second), a1 = patchRow(xp, oj + rowStride, shift, second),
                    a2 = patchRow(xp, oj + 2 * rowStride, shift, second), a3 = patchRow(xp, oj + 3 * rowStride, shift, second);
            a0.sub(a2).intoArray(tmp, j * L);
            a1.add(a2).intoArray(tmp, (4 + j) * L);
            a2.sub(a1).intoArray(tmp, (8 + j) * L);
            a1.sub(a3).intoArray(tmp, (12 + j) * L);
        }
        for (int a = 0; a < 4; a++) {
            // (Bᵀ d) B along row a.
            FloatVector r0 = FloatVector.fromArray(S, tmp, 4 * a * L), r1 = FloatVector.fromArray(S, tmp, (4 * a + 1) * L),
                    r2 = FloatVector.fromArray(S, tmp, (4 * a + 2) * L), r3 = FloatVector.fromArray(S, tmp, (4 * a + 3) * L);
            int q = d + 4 * a * stride;
            r0.sub(r2).intoArray(v, q);
            r1.add(r2).intoArray(v, q + stride);
            r2.sub(r1).intoArray(v, q + 2 * stride);
            r1.sub(r3).intoArray(v, q + 3 * stride);
        }
    }

    /** L lanes from xp[o], those in {@code second} (if not null) from xp[o + shift]. */
    private static FloatVector patchRow(float[] xp, int o, int shift, VectorMask<Float> second) {
        FloatVector v = FloatVector.fromArray(S, xp, o);
        return second == null ? v : v.blend(FloatVector.fromArray(S, xp, o + shift), second);
    }

    /**
     * y = Aᵀ M A (+ bias) for output channels co0..co1 and every tile, scattered to the image's pixels; lanes
     * of tiles cut by an odd size (or past the last tile) are masked off.
     */
    static void outputTransform(float[] mbuf, Tiles tl, Conv2dKernels.Geometry g, int co0, int co1, float[] bs,
                                float[] y, int yOff) {
        int cout = g.cout(), ohw = g.ohw(), ow = g.ow(), tp = tl.padded(), xiStride = cout * tp;
        int[][] idx = tl.out();
        VectorMask<Float>[] valid = tl.valid();
        boolean zipped = valid == null && tl.tw() % (L / 2) == 0;
        for (int co = co0; co < co1; co++) {
            FloatVector bias = FloatVector.broadcast(S, bs == null ? 0f : bs[co]);
            int yo = yOff + co * ohw;
            for (int t0 = 0, gi = 0; t0 < tp; t0 += L, gi++) {
                if (valid == null && t0 >= tl.count()) break;
                int m = co * tp + t0;
                // M A: along each row a of the 4×4 tile, two columns. Written out rather than in a
                // helper: a helper returning a vector that C2 does not inline boxes it (development log).
                FloatVector m0 = FloatVector.fromArray(S, mbuf, m), m1 = FloatVector.fromArray(S, mbuf, m + xiStride),
                        m2 = FloatVector.fromArray(S, mbuf, m + 2 * xiStride), m3 = FloatVector.fromArray(S, mbuf, m + 3 * xiStride);
                FloatVector s00 = m0.add(m1).add(m2), s01 = m1.sub(m2).sub(m3);
                m0 = FloatVector.fromArray(S, mbuf, m + 4 * xiStride); m1 = FloatVector.fromArray(S, mbuf, m + 5 * xiStride);
                m2 = FloatVector.fromArray(S, mbuf, m + 6 * xiStride); m3 = FloatVector.fromArray(S, mbuf, m + 7 * xiStride);
                FloatVector s10 = m0.add(m1).add(m2), s11 = m1.sub(m2).sub(m3);
                m0 = FloatVector.fromArray(S, mbuf, m + 8 * xiStride); m1 = FloatVector.fromArray(S, mbuf, m + 9 * xiStride);
                m2 = FloatVector.fromArray(S, mbuf, m + 10 * xiStride); m3 = FloatVector.fromArray(S, mbuf, m + 11 * xiStride);
                FloatVector s20 = m0.add(m1).add(m2), s21 = m1.sub(m2).sub(m3);
                m0 = FloatVector.fromArray(S, mbuf, m + 12 * xiStride); m1 = FloatVector.fromArray(S, mbuf, m + 13 * xiStride);
                m2 = FloatVector.fromArray(S, mbuf, m + 14 * xiStride); m3 = FloatVector.fromArray(S, mbuf, m + 15 * xiStride);
                FloatVector s30 = m0.add(m1).add(m2), s31 = m1.sub(m2).sub(m3);
                // Aᵀ (M A): the tile's two rows.
                FloatVector y00 = s00.add(s10).add(s20).add(bias), y01 = s01.add(s11).add(s21).add(bias);
                FloatVector y10 = s10.sub(s20).sub(s30).add(bias), y11 = s11.sub(s21).sub(s31).add(bias);
                if (zipped) {
                    // Each half of the group is L/2 tiles side by side in one tile row: interleaving
                    // the pixels of a tile row's two columns gives L contiguous pixels.
                    int lo = yo + idx[0][t0], hi = yo + idx[0][t0 + L / 2];
                    ZIP_LOW.selectFrom(y00, y01).intoArray(y, lo);
                    ZIP_HIGH.selectFrom(y00, y01).intoArray(y, hi);
                    ZIP_LOW.selectFrom(y10, y11).intoArray(y, lo + ow);
                    ZIP_HIGH.selectFrom(y10, y11).intoArray(y, hi + ow);
                } else if (valid == null) {
                    y00.intoArray(y, yo, idx[0], t0);
                    y01.intoArray(y, yo, idx[1], t0);
                    y10.intoArray(y, yo, idx[2], t0);
                    y11.intoArray(y, yo, idx[3], t0);
                } else {
                    y00.intoArray(y, yo, idx[0], t0, valid[4 * gi]);
                    y01.intoArray(y, yo, idx[1], t0, valid[4 * gi + 1]);
                    y10.intoArray(y, yo, idx[2], t0, valid[4 * gi + 2]);
                    y11.intoArray(y, yo, idx[3], t0, valid[4 * gi + 3]);
                }
            }
        }
    }
}
