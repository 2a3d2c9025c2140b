package org.alignguard.tensor.cpu;

import static org.alignguard.tensor.cpu.SgemmKernel.roundUp;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Stride-1 convolutions on small maps, 4 or 8 pixels wide (the UNet's 4×4 and 8×8 levels), as one
 * implicit GEMM over the whole batch (Vector API only).
 *
 * <p>The GEMM's columns are every output pixel of every image, q = (img, oy, ox). A micro-kernel
 * panel of NR = 32 columns is then 8 output rows of 4 or 4 rows of 8, whole rows, from one image or
 * two. Row k = (c, i, j) of the unfolded input restricted to one output row is a contiguous run of
 * ow values of the zero-padded image, so a panel is packed straight from the padded batch with one
 * 128- or 256-bit copy per output row and k:
 * <pre>
 *   B[k, (img, oy, 0..ow)] = xpad[img, c, oy + i, j .. j + ow]      (k = (c, i, j))
 *   C[cout, columns] = W · B, per K block and per block of columns  ─► y[img, co, oy·ow + ox] (+ bias)
 * </pre>
 * Before, these maps were unfolded (im2col) whole, into a buffer of ckk × n·ohw floats (2.4 MB at 8×8
 * for 16 images: past the L2 cache) or image by image, and then packed again from it.
 *
 * <p>The K blocks are the caller's ({@code kstep}), so each output element is summed in the same
 * blocks, each one fma chain from zero, as the path it replaces: the same bits
 * ({@code ConvRowsTest}), at every thread count. Off with {@code -Dalignguard.conv.rows=false}.
 */
final class ConvRows {
    private ConvRows() {}

    static final boolean ENABLED = !"false".equals(System.getProperty("alignguard.conv.rows"));
    private static final int MR = SgemmKernel.MR, NR = SgemmKernel.NR, NC = SgemmKernel.NC, L = SgemmKernel.L;
    private static final VectorSpecies<Float> S4 = FloatVector.SPECIES_128, S8 = FloatVector.SPECIES_256;

    /** Whether this path takes the geometry: stride 1, output rows of 4 or 8, narrower than a vector. */
    static boolean fits(Conv2dKernels.Geometry g) {
        return ENABLED && g.stride() == 1 && (g.ow() == 4 || g.ow() == 8) && g.ow() < L;
    }

    /** Per-thread buffers: the padded batch (caller's), packed B, a block of C, the edge tile. */
    private static final class Buffers {
        float[] padded = new float[0];
        int[] paddedKey = new int[0];
        float[] a = new float[0];
        float[] b = new float[0];
        float[] c = new float[0];
        final float[] tile = new float[MR * NR];
        final int[] src = new int[NR];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /** y = W · unfold(x) (+ bias) for all images, y contiguous at offset 0, K in blocks of {@code kstep}. */
    static void conv(float[] xs, int xo, Conv2dKernels.Geometry g, float[] ws, int wo, float[] bs, float[] y, int kstep) {
        int n = g.n(), cin = g.cin(), h = g.h(), w = g.w(), pad = g.pad();
        int m = g.cout(), ckk = g.ckk(), ohw = g.ohw(), ow = g.ow();
        int hp = h + 2 * pad, wp = w + 2 * pad, xpImg = cin * hp * wp, cols = n * ohw;
        Buffers own = BUFFERS.get();
        // The batch, zero-padded. A buffer kept for the same layout keeps its zero border.
        int[] key = {n, cin, h, w, pad};
        if (!java.util.Arrays.equals(own.paddedKey, key)) {
            if (own.padded.length < n * xpImg) own.padded = new float[n * xpImg];
            else java.util.Arrays.fill(own.padded, 0, n * xpImg, 0f);
            own.paddedKey = key;
        }
        float[] xp = own.padded;
        Parallel.forChunks(n, (long) cin * h * w, (i0, i1) -> {
            for (int img = i0; img < i1; img++) ConvGemm.padImage(xs, xo + img * cin * h * w, g, xp, img * xpImg);
        });
        int[] koff = ConvGemm.tapOffsets(g, hp, wp);
        int mp = roundUp(m, MR);
        if (own.a.length < mp * ckk) own.a = new float[mp * ckk];
        float[] ap = SgemmKernel.packWhole(m, ckk, kstep, ws, wo, ckk, 1, own.a);
        int panels = (cols + NR - 1) / NR;
        Parallel.forChunks(panels, (long) m * ckk * NR, (p0, p1) -> {
            Buffers s = BUFFERS.get();
            int j0 = p0 * NR, j1 = Math.min(cols, p1 * NR);
            int ncMax = Math.min(NC, roundUp(j1 - j0, NR));
            if (s.b.length < ncMax * kstep) s.b = new float[ncMax * kstep];
            if (s.c.length < m * ncMax) s.c = new float[m * ncMax];
            float[] bp = s.b, cb = s.c;
            for (int jc = j0; jc < j1; jc += NC) {
                int nc = Math.min(NC, j1 - jc);
                for (int k0 = 0; k0 < ckk; k0 += kstep) {
                    int kc = Math.min(kstep, ckk - k0);
                    pack(xp, xpImg, koff, k0, kc, ohw, ow, wp, jc, nc, cols, bp, s.src);
                    SgemmKernel.macro(m, nc, kc, ap, k0 * mp, bp, cb, 0, nc, k0 > 0, s.tile);
                }
                // Scatter the block's columns to their images, adding the bias.
                for (int q = jc; q < jc + nc; ) {
                    int img = q / ohw, pix = q - img * ohw, len = Math.min(ohw - pix, jc + nc - q);
                    for (int co = 0; co < m; co++) {
                        float b = bs == null ? 0f : bs[co];
                        int from = co * nc + (q - jc), to = (img * m + co) * ohw + pix;
                        for (int t = 0; t < len; t++) y[to + t] = cb[from + t] + b;
                    }
                    q += len;
                }
            }
        });
    }

    /**
     * Packs B[k0:k0+kc, jc:jc+nc] into NR-column panels (columns past the batch zero). Output row r
     * of a panel starts at column r·ow and reads xp[src[r] + koff[k] ..+ ow].
     */
    private static void pack(float[] xp, int xpImg, int[] koff, int k0, int kc, int ohw, int ow, int wp, int jc, int nc,
                             int cols, float[] bp, int[] src) {
        int rowsPerPanel = NR / ow;
        for (int jr = 0; jr < nc; jr += NR) {
            int base = jr * kc, q0 = jc + jr, rows = Math.min(rowsPerPanel, (Math.min(cols, q0 + NR) - q0) / ow);
            for (int r = 0; r < rows; r++) {
                int q = q0 + r * ow, img = q / ohw, oy = (q - img * ohw) / ow;
                src[r] = img * xpImg + oy * wp;
            }
            if (rows < rowsPerPanel) {                     // past the last image: zeros
                java.util.Arrays.fill(bp, base, base + kc * NR, 0f);
                for (int p = 0, d = base; p < kc; p++, d += NR) {
                    int o = koff[k0 + p];
                    for (int r = 0; r < rows; r++) System.arraycopy(xp, src[r] + o, bp, d + r * ow, ow);
                }
            } else if (ow == 4) {
                for (int p = 0, d = base; p < kc; p++, d += NR) {
                    int o = koff[k0 + p];
                    for (int r = 0; r < rowsPerPanel; r++)
                        FloatVector.fromArray(S4, xp, src[r] + o).intoArray(bp, d + r * 4);
                }
            } else {
                for (int p = 0, d = base; p < kc; p++, d += NR) {
                    int o = koff[k0 + p];
                    for (int r = 0; r < rowsPerPanel; r++)
                        FloatVector.fromArray(S8, xp, src[r] + o).intoArray(bp, d + r * 8);
                }
            }
        }
    }
}
