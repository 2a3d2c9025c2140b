package org.alignguard.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Micro-kernels for the last, partial row panel of a packed A (Vector API only). A panel with at
 * most 4 or 8 real rows (e.g. Cout = 64 = 5·12 + 4, or a thread's 8 rows past 42 panels in a
 * 1024-row product) would otherwise cost a full 12-row kernel call; these read the same packed
 * layout (MR floats per k) but only the first 4 or 8 rows. Fuller partial panels run the MR-row
 * kernel into a scratch tile; on AVX2 (MR = 6) only the 4-row kernel exists.
 *
 * <p>Each C element is still one chain of fmas over k from zero, then stored or added to C, exactly
 * as in {@link SgemmKernel#kernel}, so the result does not depend on which kernel computed it.
 */
final class EdgeKernels {
    private EdgeKernels() {}

    /**
     * Off with {@code -Dalignguard.conv.edge=false} (then a partial panel runs the MR-row kernel into
     * a scratch tile; for A/B checks, the same bits either way). The name is older than SGEMM's use.
     */
    static final boolean ENABLED = !"false".equals(System.getProperty("alignguard.conv.edge"));

    private static final VectorSpecies<Float> S = SgemmKernel.S;
    private static final int L = SgemmKernel.L, NR = SgemmKernel.NR, MR = SgemmKernel.MR;

    /**
     * C[0:mr, 0:nr] (+)= Apanel(rows 0..mr of the MR-row panel at ao) · Bpanel(at bo), any
     * mr ≤ MR, nr ≤ NR. Full tiles go straight to C, others through {@code tile} (MR x NR).
     */
    static void tile(int mr, int nr, int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc,
                     boolean add, float[] tile) {
        if (nr == NR) {
            if (mr == MR) { SgemmKernel.kernel(kc, ap, ao, bp, bo, c, co, ldc, add); return; }
            if (mr == 4) { kernel4(kc, ap, ao, bp, bo, c, co, ldc, add); return; }
            if (mr == 8 && MR > 8) { kernel8(kc, ap, ao, bp, bo, c, co, ldc, add); return; }
        }
        if (mr <= 4) kernel4(kc, ap, ao, bp, bo, tile, 0, NR, false);
        else if (mr <= 8 && MR > 8) kernel8(kc, ap, ao, bp, bo, tile, 0, NR, false);
        else SgemmKernel.kernel(kc, ap, ao, bp, bo, tile, 0, NR, false);
        SgemmKernel.fromTile(mr, nr, tile, NR, c, co, ldc, add);
    }

    /** C[4 x 2L] (+)= rows 0..3 of an MR-row packed A panel · B panel (8 accumulators). */
    static void kernel4(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean add) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
        for (int p = 0, ai = ao, bi = bo; p < kc; p++, ai += MR, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x;
            x = FloatVector.broadcast(S, ap[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, ap[ai + 1]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, ap[ai + 2]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, ap[ai + 3]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
        }
        if (add) {
            FloatVector.fromArray(S, c, co).add(c00).intoArray(c, co);
            FloatVector.fromArray(S, c, co + L).add(c01).intoArray(c, co + L);
            FloatVector.fromArray(S, c, co + ldc).add(c10).intoArray(c, co + ldc);
            FloatVector.fromArray(S, c, co + ldc + L).add(c11).intoArray(c, co + ldc + L);
            FloatVector.fromArray(S, c, co + 2 * ldc).add(c20).intoArray(c, co + 2 * ldc);
            FloatVector.fromArray(S, c, co + 2 * ldc + L).add(c21).intoArray(c, co + 2 * ldc + L);
            FloatVector.fromArray(S, c, co + 3 * ldc).add(c30).intoArray(c, co + 3 * ldc);
            FloatVector.fromArray(S, c, co + 3 * ldc + L).add(c31).intoArray(c, co + 3 * ldc + L);
        } else {
            c00.intoArray(c, co);
            c01.intoArray(c, co + L);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, co + ldc + L);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, co + 2 * ldc + L);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, co + 3 * ldc + L);
        }
    }

    /** C[8 x 2L] (+)= rows 0..7 of an MR-row packed A panel · B panel (16 accumulators). */
    static void kernel8(int kc, float[] ap, int ao, float[] bp, int bo, float[] c, int co, int ldc, boolean add) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z,
                c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z;
        for (int p = 0, ai = ao, bi = bo; p < kc; p++, ai += MR, bi += NR) {
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
        }
        if (add) {
            FloatVector.fromArray(S, c, co).add(c00).intoArray(c, co);
            FloatVector.fromArray(S, c, co + L).add(c01).intoArray(c, co + L);
            FloatVector.fromArray(S, c, co + ldc).add(c10).intoArray(c, co + ldc);
            FloatVector.fromArray(S, c, co + ldc + L).add(c11).intoArray(c, co + ldc + L);
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
        } else {
            c00.intoArray(c, co);
            c01.intoArray(c, co + L);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, co + ldc + L);
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
        }
    }
}
