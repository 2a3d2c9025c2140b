package org.alignguard.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed, cache-blocked SGEMM with a register-blocked Vector API micro-kernel (BLIS style).
 *
 * <p>Loop nest, for one (sub-)problem run by one thread:
 * <pre>
 *   for pc in K step kc:                 kc = {@link #kStep}(K): K in equal blocks of at most GEMM_KC
 *     for ic in M step MC:               A block (MC x kc) packed into MR-row micro-panels
 *       for jc in N step nc:             B block (kc x nc) packed into NR-column panels, kept in L2
 *         for ir in MC step MR:          A micro-panel (MR x kc) read from the packed block
 *           for jr in nc step NR:        micro-kernel: MR x NR tile of C in 2*MR vector registers
 * </pre>
 * Each K block is one pass over C: the micro-kernel loads C's tile, adds its sums and stores it.
 * Long K blocks (up to 1024) mean few passes; the B block's width nc shrinks as kc grows
 * ({@link #ncFor}), so that the block still fits beside A's panels and C's tiles in L2.
 * Packing reads arbitrary strides (so transposed operands cost nothing extra) and pads edges with
 * zeros; partial tiles run a 4- or 8-row kernel ({@link EdgeKernels}) or go through a small tile
 * buffer. Every C element is computed with the same operation order wherever it falls (full or
 * edge tile, any thread split), so results are bit-identical at every thread count: work is split
 * over M or N only, never over K.
 *
 * <p>Like the other kernels of this package it uses {@code jdk.incubator.vector}; {@link Sgemm} keeps
 * a scalar path that does not.
 */
final class SgemmKernel {
    private SgemmKernel() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Columns of a micro-tile: two vectors. */
    static final int NR = 2 * L;
    /** Rows of a micro-tile: 12 with 32 vector registers (AVX-512), else 6 (AVX2: 16 registers). */
    static final int MR = L >= 16 ? 12 : 6;
    /** K block of the convolutions' products ({@link ConvGemm}, {@link Winograd}) and of {@link SmallGemm}. */
    static final int KC = Integer.getInteger("alignguard.sgemm.kc", 256);
    /**
     * Longest K block of {@link #gemm} (at least 1). Each block is one pass over C; 1024 ran faster than
     * 256 at 1024³ and 2048³, and the same at 512³ (docs/PERFORMANCE.md, eighteenth session).
     */
    static final int GEMM_KC = Math.max(1, Integer.getInteger("alignguard.sgemm.gemmKc", 1024));
    /** Widest B block (columns) of the convolutions' products, and the cap of {@link #ncFor}. */
    static final int NC = roundUp(Integer.getInteger("alignguard.sgemm.nc", 512), NR);
    /** Floats of a B block of {@link #gemm} (256 KB), which {@link #ncFor} keeps it under. */
    static final int B_BLOCK_FLOATS = 1 << 16;
    /** Rows of A packed at once; B is packed once per MC rows. */
    static final int MC = roundUp(Integer.getInteger("alignguard.sgemm.mc", 1152), MR);
    /** Below this many multiply-adds a call runs on the calling thread only. */
    static final long PARALLEL_MIN_MACS = Long.getLong("alignguard.sgemm.parallelMin", 1L << 21);

    /** Rows of a row-major B that {@link #packB} copies into every panel before reading more. */
    static final int PACK_B_ROWS = 8;

    /** x rounded up to a multiple of r. */
    static int roundUp(int x, int r) { return (x + r - 1) / r * r; }

    /** k split into the fewest equal blocks of at most max: the block size (the last block may be shorter; 0 for k = 0, no blocks). */
    static int evenBlocks(int k, int max) {
        if (k <= 0) return 0;
        int blocks = (k + max - 1) / max;
        return (k + blocks - 1) / blocks;
    }

    /**
     * {@link #gemm}'s K block for a product with inner dimension k: equal blocks of at most
     * {@link #GEMM_KC}. The blocks fix the order of each C element's sums, so it depends on k alone,
     * never on the thread count or on where the element lies.
     */
    static int kStep(int k) { return evenBlocks(k, GEMM_KC); }

    /** {@link #gemm}'s B block width for K blocks of kc: at most {@link #B_BLOCK_FLOATS} floats, whole panels, at most NC. */
    static int ncFor(int kc) { return Math.max(NR, Math.min(NC, B_BLOCK_FLOATS / Math.max(1, kc) / NR * NR)); }

    /** Per-thread packing buffers, grown on demand and reused across calls. */
    private static final class Buffers {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];
    }

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    static void gemm(int m, int n, int k,
                     float[] a, int offA, int rsA, int csA,
                     float[] b, int offB, int rsB, int csB,
                     float[] c, int offC, int ldc, boolean accumulate, boolean parallel) {
        if (m <= 0 || n <= 0) return;
        if (k <= 0) {
            if (!accumulate) for (int i = 0; i < m; i++) java.util.Arrays.fill(c, offC + i * ldc, offC + i * ldc + n, 0f);
            return;
        }
        long macs = (long) m * n * k;
        int threads = parallel && macs >= PARALLEL_MIN_MACS ? Parallel.THREADS : 1;
        int panelsM = (m + MR - 1) / MR, panelsN = (n + NR - 1) / NR;
        if (threads > 1 && (panelsN >= threads || panelsM >= threads)) {
            // Split over M when there are enough row panels (each thread then packs only its part
            // of A, the slower operand to pack), else over N.
            boolean splitN = panelsM < threads || (panelsM < 2 * threads && panelsN > panelsM);
            if (splitN) {
                Parallel.forChunks(panelsN, Long.MAX_VALUE / panelsN, (p0, p1) -> {
                    int j0 = p0 * NR, j1 = Math.min(n, p1 * NR);
                    serial(m, j1 - j0, k, a, offA, rsA, csA, b, offB + j0 * csB, rsB, csB, c, offC + j0, ldc, accumulate);
                });
            } else {
                // Equal rows, not equal panels: each thread's last panel may be partial, and then runs
                // a smaller kernel where it fits (EdgeKernels). 1024 rows (85 panels and 4 rows in
                // all) are now 42 panels and 8 rows on each thread; whole panels gave one thread 43.
                Parallel.forChunks(m, Long.MAX_VALUE / m, (i0, i1) ->
                        serial(i1 - i0, n, k, a, offA + i0 * rsA, rsA, csA, b, offB, rsB, csB, c, offC + i0 * ldc, ldc, accumulate));
            }
        } else {
            serial(m, n, k, a, offA, rsA, csA, b, offB, rsB, csB, c, offC, ldc, accumulate);
        }
    }

    /**
     * For benchmarks: C = A·B (row-major A [m, k], B [k, n], C [m, n]) with both operands packed once
     * here, so that the returned product runs the micro-kernels alone, threads splitting C's row
     * panels. Its speed is this kernel's ceiling: what {@link #gemm} would reach if packing cost nothing.
     */
    static Runnable kernelsOnly(int m, int n, int k, float[] a, float[] b, float[] c) {
        int ks = kStep(k), ns = ncFor(ks);
        int mp = roundUp(m, MR), blocksN = (n + ns - 1) / ns, panels = mp / MR;
        float[] ap = packWhole(m, k, ks, a, 0, k, 1);
        float[][] bp = new float[((k + ks - 1) / ks) * blocksN][];
        for (int pc = 0; pc < k; pc += ks) {
            int kc = Math.min(ks, k - pc);
            for (int jc = 0; jc < n; jc += ns) {
                int nc = Math.min(ns, n - jc);
                float[] block = bp[pc / ks * blocksN + jc / ns] = new float[roundUp(nc, NR) * kc];
                packB(kc, nc, b, pc * n + jc, n, 1, block);
            }
        }
        return () -> Parallel.forChunks(panels, Long.MAX_VALUE / panels, (p0, p1) -> {
            int i0 = p0 * MR, i1 = Math.min(m, p1 * MR);
            for (int pc = 0; pc < k; pc += ks)
                for (int jc = 0; jc < n; jc += ns)
                    macro(i1 - i0, Math.min(ns, n - jc), Math.min(ks, k - pc), ap, pc * mp + i0 * Math.min(ks, k - pc),
                            bp[pc / ks * blocksN + jc / ns], c, i0 * n + jc, n, pc > 0, BUFFERS.get().tile);
        });
    }

    /** The whole blocked algorithm on the calling thread. */
    static void serial(int m, int n, int k,
                       float[] a, int offA, int rsA, int csA,
                       float[] b, int offB, int rsB, int csB,
                       float[] c, int offC, int ldc, boolean accumulate) {
        Buffers buf = BUFFERS.get();
        int ks = kStep(k), ns = ncFor(ks);
        int ncMax = Math.min(ns, roundUp(n, NR)), mcMax = Math.min(MC, roundUp(m, MR));
        if (buf.b.length < ncMax * ks) buf.b = new float[ncMax * ks];
        if (buf.a.length < mcMax * ks) buf.a = new float[mcMax * ks];
        float[] ap = buf.a, bp = buf.b, tile = buf.tile;
        for (int pc = 0; pc < k; pc += ks) {
            int kc = Math.min(ks, k - pc);
            boolean add = accumulate || pc > 0;
            for (int ic = 0; ic < m; ic += MC) {
                int mc = Math.min(MC, m - ic);
                for (int ir = 0; ir < mc; ir += MR)
                    packA(Math.min(MR, mc - ir), kc, a, offA + (ic + ir) * rsA + pc * csA, rsA, csA, ap, ir * kc);
                for (int jc = 0; jc < n; jc += ns) {
                    int nc = Math.min(ns, n - jc);
                    packB(kc, nc, b, offB + pc * rsB + jc * csB, rsB, csB, bp);
                    macro(mc, nc, kc, ap, 0, bp, c, offC + ic * ldc + jc, ldc, add, tile);
                }
            }
        }
    }

    /** {@link #macro} with the packed B block at bp[0]. */
    static void macro(int m, int nc, int kc, float[] ap, int aOff, float[] bp, float[] c, int cOff, int ldc,
                      boolean add, float[] tile) {
        macro(m, nc, kc, ap, aOff, bp, 0, c, cOff, ldc, add, tile);
    }

    /**
     * C[0:m, 0:nc] (+)= Apacked(m x kc at ap[aOff]) · Bpacked(kc x nc at bp[bOff]): the micro-kernel
     * over every tile of one packed A block and one packed B block. Partial tiles go to
     * {@link EdgeKernels#tile} (a 4- or 8-row kernel where the rows fit, else this kernel into the
     * scratch tile). Also the convolutions' inner loops ({@link ConvGemm}, {@link ConvRows}, and
     * {@link Winograd}'s products, which keep 16 packed blocks in one array).
     */
    static void macro(int m, int nc, int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc,
                      boolean add, float[] tile) {
        for (int ir = 0; ir < m; ir += MR) {
            int mr = Math.min(MR, m - ir), ao = aOff + ir * kc, cRow = cOff + ir * ldc;
            for (int jr = 0; jr < nc; jr += NR) {
                int nr = Math.min(NR, nc - jr);
                int bo = bOff + jr * kc;
                if (mr == MR && nr == NR) {
                    kernel(kc, ap, ao, bp, bo, c, cRow + jr, ldc, add);
                } else if (EdgeKernels.ENABLED) {
                    EdgeKernels.tile(mr, nr, kc, ap, ao, bp, bo, c, cRow + jr, ldc, add, tile);
                } else {
                    kernel(kc, ap, ao, bp, bo, tile, 0, NR, false);
                    fromTile(mr, nr, tile, NR, c, cRow + jr, ldc, add);
                }
            }
        }
    }

    /**
     * C[0:rows, 0:cols] (+)= tile[0:rows, 0:cols] (row stride ldt): where a micro-kernel computed a
     * partial tile into scratch, the part that lies inside C. Adding the tile to C is the same
     * arithmetic as a kernel adding its accumulators to C, so either route gives the same bits.
     */
    static void fromTile(int rows, int cols, float[] tile, int ldt, float[] c, int co, int ldc, boolean add) {
        for (int r = 0; r < rows; r++) {
            int o = co + r * ldc, t = r * ldt;
            if (add) for (int q = 0; q < cols; q++) c[o + q] += tile[t + q];
            else System.arraycopy(tile, t, c, o, cols);
        }
    }

    /**
     * Packs A[m, k] (element (i,p) at a[o + i*rs + p*cs]) whole: the K block starting at k0 (size
     * kstep or the rest) lies at ap[k0*mp ...], its row panel ir at + ir*kc, in packA's layout.
     */
    static float[] packWhole(int m, int k, int kstep, float[] a, int o, int rs, int cs) {
        return packWhole(m, k, kstep, a, o, rs, cs, new float[roundUp(m, MR) * k]);
    }

    /** {@link #packWhole} into ap (at least roundUp(m, MR)·k long; that part is overwritten whole, partial panels zero-filled). */
    static float[] packWhole(int m, int k, int kstep, float[] a, int o, int rs, int cs, float[] ap) {
        int mp = roundUp(m, MR);
        for (int k0 = 0; k0 < k; k0 += kstep) {
            int kc = Math.min(kstep, k - k0);
            for (int ir = 0; ir < m; ir += MR)
                packA(Math.min(MR, m - ir), kc, a, o + ir * rs + k0 * cs, rs, cs, ap, k0 * mp + ir * kc);
        }
        return ap;
    }

    /**
     * Packs A[0:mr, 0:kc] (element (i,p) at a[o + i*rs + p*cs]) as ap[d0 + p*MR + i], rows mr..MR zero.
     */
    static void packA(int mr, int kc, float[] a, int o, int rs, int cs, float[] ap, int d0) {
        if (mr == MR && rs == 1) {                      // A transposed: each k holds MR adjacent rows
            for (int p = 0; p < kc; p++) System.arraycopy(a, o + p * cs, ap, d0 + p * MR, MR);
            return;
        }
        if (mr == MR && MR % 4 == 0 && cs == 1) {      // row-major A, whole panel: 4x4 blocks in registers
            packRowsTransposed(kc, a, o, rs, ap, d0);
            return;
        }
        if (mr < MR) java.util.Arrays.fill(ap, d0, d0 + kc * MR, 0f);
        if (cs == 1) {
            // Row-major A, a partial panel (or any panel when MR = 6, on AVX2): walk all rows one
            // cache line (16 floats) at a time, so the loads of the mr rows are in flight together
            // instead of one row segment after another.
            int p0 = 0;
            for (; p0 + 16 <= kc; p0 += 16)
                for (int i = 0; i < mr; i++) {
                    int src = o + i * rs + p0, dst = d0 + p0 * MR + i;
                    for (int q = 0; q < 16; q++) ap[dst + q * MR] = a[src + q];
                }
            for (int i = 0; i < mr; i++)
                for (int p = p0; p < kc; p++) ap[d0 + p * MR + i] = a[o + i * rs + p];
            return;
        }
        for (int i = 0; i < mr; i++) {
            int src = o + i * rs;
            for (int p = 0; p < kc; p++) ap[d0 + p * MR + i] = a[src + p * cs];
        }
    }

    /**
     * packA for a whole panel of a row-major A: MR rows, 4 at a time, 4 k at a time, each 4x4 block
     * transposed in registers ({@link Transpose4}), instead of one float at a time
     * (docs/PERFORMANCE.md, development log: "fifteenth session").
     */
    private static void packRowsTransposed(int kc, float[] a, int o, int rs, float[] ap, int d0) {
        int p0 = 0;
        for (; p0 + 4 <= kc; p0 += 4)
            for (int g = 0; g < MR; g += 4) Transpose4.block(a, o + g * rs + p0, rs, ap, d0 + p0 * MR + g, MR);
        for (int i = 0; i < MR; i++)
            for (int p = p0; p < kc; p++) ap[d0 + p * MR + i] = a[o + i * rs + p];
    }

    /**
     * Packs B[0:kc, 0:nc] (element (p,j) at b[o + p*rs + j*cs]) into NR-column panels: panel q holds
     * bp[q*NR*kc + p*NR + j], columns past nc zero.
     */
    static void packB(int kc, int nc, float[] b, int o, int rs, int cs, float[] bp) {
        int full = nc / NR * NR;
        if (cs == 1) {
            // Row-major B, PACK_B_ROWS rows at a time: those rows go into every panel before the next
            // rows are read. Row by row, consecutive stores went to panels kc*NR floats apart
            // (docs/PERFORMANCE.md, development log: "fifteenth session").
            for (int p0 = 0; p0 < kc; p0 += PACK_B_ROWS) {
                int p1 = Math.min(kc, p0 + PACK_B_ROWS);
                for (int jr = 0; jr < full; jr += NR)
                    for (int p = p0, s = o + p0 * rs + jr, d = jr * kc + p0 * NR; p < p1; p++, s += rs, d += NR) {
                        FloatVector.fromArray(S, b, s).intoArray(bp, d);
                        FloatVector.fromArray(S, b, s + L).intoArray(bp, d + L);
                    }
            }
        } else {
            for (int jr = 0; jr < full; jr += NR) packBColumns(kc, NR, b, o + jr * cs, rs, cs, bp, jr * kc);
        }
        if (full < nc) {
            int dst = full * kc;
            java.util.Arrays.fill(bp, dst, dst + kc * NR, 0f);
            packBColumns(kc, nc - full, b, o + full * cs, rs, cs, bp, dst);
        }
    }

    private static void packBColumns(int kc, int nr, float[] b, int o, int rs, int cs, float[] bp, int dst) {
        for (int j = 0; j < nr; j++) {
            int s = o + j * cs, d = dst + j;
            if (rs == 1) {                              // B transposed: column j is contiguous
                for (int p = 0; p < kc; p++) bp[d + p * NR] = b[s + p];
            } else {
                for (int p = 0; p < kc; p++) bp[d + p * NR] = b[s + p * rs];
            }
        }
    }

    static void kernel(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean add) {
        if (MR == 12) kernel12(kc, ap, ao, bp, bo, c, co, ldc, add);
        else kernel6(kc, ap, ao, bp, bo, c, co, ldc, add);
    }

    /** C[12 x 2L] (+)= Apanel · Bpanel with 24 accumulators (AVX-512: 32 registers). */
    static void kernel12(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean add) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z,
                c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z,
                c80 = z, c81 = z, c90 = z, c91 = z, ca0 = z, ca1 = z, cb0 = z, cb1 = z;
        for (int p = 0, ai = ao, bi = bo; p < kc; p++, ai += 12, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, ap[ai + 6]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, ap[ai + 7]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, ap[ai + 8]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, ap[ai + 9]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, ap[ai + 10]); ca0 = x.fma(b0, ca0); ca1 = x.fma(b1, ca1);
            x = FloatVector.broadcast(S, ap[ai + 11]); cb0 = x.fma(b0, cb0); cb1 = x.fma(b1, cb1);
        }
        // Stores written out here, not in a helper: a call C2 declines to inline boxes every vector.
        if (add) {
            FloatVector.fromArray(S, c, co).add(c00).intoArray(c, co);
            FloatVector.fromArray(S, c, co + L).add(c01).intoArray(c, co + L);
            FloatVector.fromArray(S, c, co + 1 * ldc).add(c10).intoArray(c, co + 1 * ldc);
            FloatVector.fromArray(S, c, co + 1 * ldc + L).add(c11).intoArray(c, co + 1 * ldc + L);
            FloatVector.fromArray(S, c, co + 2 * ldc).add(c20).intoArray(c, co + 2 * ldc);
            FloatVector.fromArray(S, c, co + 2 * ldc + L).add(c21).intoArray(c, co + 2 * ldc + L);
            FloatVector.fromArray(S, c, co + 3 * ldc).add(c30).intoArray(c, co + 3 * ldc);
            FloatVector.fromArray(S, c, co + 3 * ldc + L).add(c31).intoArray(c, co + 3 * ldc + L);
            FloatVector.fromArray(S, c, co + 4 * ldc).add(c40).intoArray(c, co + 4 * ldc);
            FloatVector.fromArray(S, c, co + 4 * ldc + L).add(c41).intoArray(c, co + 4 * ldc + L);
            FloatVector.fromArray(S, c, co + 5 * ldc).add(c50).intoArray(c, co + 5 * ldc);
            FloatVector.fromArray(S, c, co + 5 * ldc + L).add(c51).intoArray(c, co + 5 * ldc + L);
            FloatVector.fromArray(S, c, co + 6 * ldc).add(c60).intoArray(c, co + 6 * ldc);
            FloatVector.fromArray(S, c, co + 6 * ldc + L).add(c61).intoArray(c, co + 6 * ldc + L);
            FloatVector.fromArray(S, c, co + 7 * ldc).add(c70).intoArray(c, co + 7 * ldc);
            FloatVector.fromArray(S, c, co + 7 * ldc + L).add(c71).intoArray(c, co + 7 * ldc + L);
            FloatVector.fromArray(S, c, co + 8 * ldc).add(c80).intoArray(c, co + 8 * ldc);
            FloatVector.fromArray(S, c, co + 8 * ldc + L).add(c81).intoArray(c, co + 8 * ldc + L);
            FloatVector.fromArray(S, c, co + 9 * ldc).add(c90).intoArray(c, co + 9 * ldc);
            FloatVector.fromArray(S, c, co + 9 * ldc + L).add(c91).intoArray(c, co + 9 * ldc + L);
            FloatVector.fromArray(S, c, co + 10 * ldc).add(ca0).intoArray(c, co + 10 * ldc);
            FloatVector.fromArray(S, c, co + 10 * ldc + L).add(ca1).intoArray(c, co + 10 * ldc + L);
            FloatVector.fromArray(S, c, co + 11 * ldc).add(cb0).intoArray(c, co + 11 * ldc);
            FloatVector.fromArray(S, c, co + 11 * ldc + L).add(cb1).intoArray(c, co + 11 * ldc + L);
        } else {
            c00.intoArray(c, co);
            c01.intoArray(c, co + L);
            c10.intoArray(c, co + 1 * ldc);
            c11.intoArray(c, co + 1 * ldc + L);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + L);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + L);
            c40.intoArray(c, co + 4 * ldc);
            c41.intoArray(c, co + 4 * ldc + L);
            c50.intoArray(c, co + 5 * ldc);
            c51.intoArray(c, co + 5 * ldc + L);
            c60.intoArray(c, co + 6 * ldc);
            c61.intoArray(c, co + 6 * ldc + L);
            c70.intoArray(c, co + 7 * ldc);
            c71.intoArray(c, co + 7 * ldc + L);
            c80.intoArray(c, co + 8 * ldc);
            c81.intoArray(c, co + 8 * ldc + L);
            c90.intoArray(c, co + 9 * ldc);
            c91.intoArray(c, co + 9 * ldc + L);
            ca0.intoArray(c, co + 10 * ldc);
            ca1.intoArray(c, co + 10 * ldc + L);
            cb0.intoArray(c, co + 11 * ldc);
            cb1.intoArray(c, co + 11 * ldc + L);
        }
    }

    /** C[6 x 2L] (+)= Apanel · Bpanel with 12 accumulators (for 16-register ISAs such as AVX2). */
    static void kernel6(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean add) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z,
                c40 = z, c41 = z, c50 = z, c51 = z;
        for (int p = 0, ai = ao, bi = bo; p < kc; p++, ai += 6, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, ap[ai + 4]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, ap[ai + 5]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
        }
        // Stores written out here, not in a helper: a call C2 declines to inline boxes every vector.
        if (add) {
            FloatVector.fromArray(S, c, co).add(c00).intoArray(c, co);
            FloatVector.fromArray(S, c, co + L).add(c01).intoArray(c, co + L);
            FloatVector.fromArray(S, c, co + 1 * ldc).add(c10).intoArray(c, co + 1 * ldc);
            FloatVector.fromArray(S, c, co + 1 * ldc + L).add(c11).intoArray(c, co + 1 * ldc + L);
            FloatVector.fromArray(S, c, co + 2 * ldc).add(c20).intoArray(c, co + 2 * ldc);
            FloatVector.fromArray(S, c, co + 2 * ldc + L).add(c21).intoArray(c, co + 2 * ldc + L);
            FloatVector.fromArray(S, c, co + 3 * ldc).add(c30).intoArray(c, co + 3 * ldc);
            FloatVector.fromArray(S, c, co + 3 * ldc + L).add(c31).intoArray(c, co + 3 * ldc + L);
            FloatVector.fromArray(S, c, co + 4 * ldc).add(c40).intoArray(c, co + 4 * ldc);
            FloatVector.fromArray(S, c, co + 4 * ldc + L).add(c41).intoArray(c, co + 4 * ldc + L);
            FloatVector.fromArray(S, c, co + 5 * ldc).add(c50).intoArray(c, co + 5 * ldc);
            FloatVector.fromArray(S, c, co + 5 * ldc + L).add(c51).intoArray(c, co + 5 * ldc + L);
        } else {
            c00.intoArray(c, co);
            c01.intoArray(c, co + L);
            c10.intoArray(c, co + 1 * ldc);
            c11.intoArray(c, co + 1 * ldc + L);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + L);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + L);
            c40.intoArray(c, co + 4 * ldc);
            c41.intoArray(c, co + 4 * ldc + L);
            c50.intoArray(c, co + 5 * ldc);
            c51.intoArray(c, co + 5 * ldc + L);
        }
    }
}
