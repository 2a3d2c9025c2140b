package org.alignguard.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C[M,N] (+)= A[M,K] · B[K,N] for narrow products: N at most 4 vectors (64 floats with AVX-512) and
 * K within one of {@link SgemmKernel}'s K blocks (Vector API only).
 *
 * <p>These are the attention's batched products (64 heads × [16..64, 16] · [16, 16..64] in the UNet)
 * and the linear layers of 64 features. The packed GEMM spends most of such a call packing: A into
 * 12-row panels, B into 32-column panels that a 16- or 24-column B half fills, partial tiles through
 * a scratch tile. Here A is never packed: its values are broadcast straight from their strided
 * places. B is read in place when its rows are contiguous whole vectors, else copied once into a
 * small row-major buffer padded with zeros to whole vectors.
 * <pre>
 *   for each block of 12 rows i, each vector of columns j:
 *       acc[r] = 0;  for p in 0..K: acc[r] = fma(A[i+r, p], B[p, j..j+L], acc[r]);  C[i+r, j..] (+)= acc[r]
 * </pre>
 * Every element is one chain of fmas over k from zero, then stored or added to C, exactly as in
 * {@link SgemmKernel#kernel} when K fits one block: the two paths give the same bits
 * ({@code SmallGemmTest}), so which one runs never changes a result. Off with
 * {@code -Dalignguard.sgemm.small=false}.
 */
final class SmallGemm {
    private SmallGemm() {}

    static final boolean ENABLED = !"false".equals(System.getProperty("alignguard.sgemm.small"));
    private static final VectorSpecies<Float> S = SgemmKernel.S;
    private static final int L = SgemmKernel.L;
    /** Rows of C per block: 12 accumulators, one vector of columns each. */
    private static final int R = 12;

    /**
     * Whether {@link #gemm} takes this shape: N at most 4 vectors, K in one block. One block of the
     * packed product too ({@link SgemmKernel#kStep}), so that either path gives the same bits.
     */
    static boolean fits(int n, int k) {
        return ENABLED && n <= 4 * L && k <= SgemmKernel.KC && SgemmKernel.kStep(k) == k;
    }

    private static final ThreadLocal<float[]> B_BUFFER = ThreadLocal.withInitial(() -> new float[4 * L * SgemmKernel.KC]);

    static void gemm(int m, int n, int k,
                     float[] a, int offA, int rsA, int csA,
                     float[] b, int offB, int rsB, int csB,
                     float[] c, int offC, int ldc, boolean accumulate, boolean parallel) {
        int nv = (n + L - 1) / L;
        if (parallel && (long) m * n * k >= SgemmKernel.PARALLEL_MIN_MACS && m >= 2 * R) {
            int blocks = (m + R - 1) / R;
            Parallel.forChunks(blocks, Long.MAX_VALUE / blocks, (b0, b1) -> {
                int i0 = b0 * R, i1 = Math.min(m, b1 * R);
                serial(i1 - i0, n, k, a, offA + i0 * rsA, rsA, csA, b, offB, rsB, csB, c, offC + i0 * ldc, ldc, accumulate, nv);
            });
        } else {
            serial(m, n, k, a, offA, rsA, csA, b, offB, rsB, csB, c, offC, ldc, accumulate, nv);
        }
    }

    private static void serial(int m, int n, int k,
                               float[] a, int offA, int rsA, int csA,
                               float[] b, int offB, int rsB, int csB,
                               float[] c, int offC, int ldc, boolean accumulate, int nv) {
        // B in place when each row is whole vectors at unit stride; else a zero-padded row-major copy.
        float[] bp = b;
        int bo = offB, ldb = rsB;
        if (csB != 1 || n % L != 0) {
            bp = B_BUFFER.get();
            ldb = nv * L;
            bo = 0;
            for (int p = 0; p < k; p++) {
                int d = p * ldb, s = offB + p * rsB;
                if (csB == 1) System.arraycopy(b, s, bp, d, n);
                else for (int j = 0; j < n; j++) bp[d + j] = b[s + j * csB];
                java.util.Arrays.fill(bp, d + n, d + ldb, 0f);
            }
        }
        int full = m - m % R;
        float[] tile = TILE.get();
        for (int j = 0; j < n; ) {
            if (j + 2 * L <= n) {                     // two whole vectors of columns: B loads shared by 24 fmas
                for (int i = 0; i < full; i += R)
                    rows12x2(k, a, offA + i * rsA, rsA, csA, bp, bo + j, ldb, c, offC + i * ldc + j, ldc, accumulate);
                for (int v = j; v < j + 2 * L; v += L)
                    tail(full, m, k, a, offA, rsA, csA, bp, bo + v, ldb, c, offC + v, ldc, accumulate);
                j += 2 * L;
            } else if (j + L <= n) {                  // one whole vector
                for (int i = 0; i < full; i += R)
                    rows12(k, a, offA + i * rsA, rsA, csA, bp, bo + j, ldb, c, offC + i * ldc + j, ldc, accumulate);
                tail(full, m, k, a, offA, rsA, csA, bp, bo + j, ldb, c, offC + j, ldc, accumulate);
                j += L;
            } else {                                  // the last, partial vector: through a tile of 12 x L
                int w = n - j;
                for (int i = 0; i < m; i += R) {
                    int rows = Math.min(R, m - i);
                    if (rows == R) rows12(k, a, offA + i * rsA, rsA, csA, bp, bo + j, ldb, tile, 0, L, false);
                    else tail(0, rows, k, a, offA + i * rsA, rsA, csA, bp, bo + j, ldb, tile, 0, L, false);
                    SgemmKernel.fromTile(rows, w, tile, L, c, offC + i * ldc + j, ldc, accumulate);
                }
                j = n;
            }
        }
    }

    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[R * L]);

    /** Rows i0..m of one whole vector of columns: four at a time, then one at a time. */
    private static void tail(int i0, int m, int k, float[] a, int offA, int rsA, int csA, float[] bp, int bo, int ldb,
                             float[] c, int offC, int ldc, boolean accumulate) {
        int i = i0;
        for (; i + 4 <= m; i += 4)
            rows4(k, a, offA + i * rsA, rsA, csA, bp, bo, ldb, c, offC + i * ldc, ldc, accumulate);
        for (; i < m; i++)
            row1(k, a, offA + i * rsA, csA, bp, bo, ldb, c, offC + i * ldc, accumulate);
    }

    /** C[12 rows, two vectors] (+)= A[12 rows, 0:k] · B[0:k, two vectors]. */
    private static void rows12x2(int k, float[] a, int ao, int rs, int cs, float[] bp, int bo, int ldb,
                                 float[] c, int co, int ldc, boolean add) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z,
                c40 = z, c41 = z, c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z,
                c80 = z, c81 = z, c90 = z, c91 = z, ca0 = z, ca1 = z, cb0 = z, cb1 = z;
        for (int p = 0, ai = ao, bi = bo; p < k; p++, ai += cs, bi += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ai]); c00 = x.fma(b0, c00); c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + rs]); c10 = x.fma(b0, c10); c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2 * rs]); c20 = x.fma(b0, c20); c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3 * rs]); c30 = x.fma(b0, c30); c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ai + 4 * rs]); c40 = x.fma(b0, c40); c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ai + 5 * rs]); c50 = x.fma(b0, c50); c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ai + 6 * rs]); c60 = x.fma(b0, c60); c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ai + 7 * rs]); c70 = x.fma(b0, c70); c71 = x.fma(b1, c71);
            x = FloatVector.broadcast(S, a[ai + 8 * rs]); c80 = x.fma(b0, c80); c81 = x.fma(b1, c81);
            x = FloatVector.broadcast(S, a[ai + 9 * rs]); c90 = x.fma(b0, c90); c91 = x.fma(b1, c91);
            x = FloatVector.broadcast(S, a[ai + 10 * rs]); ca0 = x.fma(b0, ca0); ca1 = x.fma(b1, ca1);
            x = FloatVector.broadcast(S, a[ai + 11 * rs]); cb0 = x.fma(b0, cb0); cb1 = x.fma(b1, cb1);
        }
        int o1 = co + L;
        if (add) {
            FloatVector.fromArray(S, c, co).add(c00).intoArray(c, co);
            FloatVector.fromArray(S, c, o1).add(c01).intoArray(c, o1);
            FloatVector.fromArray(S, c, co + ldc).add(c10).intoArray(c, co + ldc);
            FloatVector.fromArray(S, c, o1 + ldc).add(c11).intoArray(c, o1 + ldc);
            FloatVector.fromArray(S, c, co + 2 * ldc).add(c20).intoArray(c, co + 2 * ldc);
            FloatVector.fromArray(S, c, o1 + 2 * ldc).add(c21).intoArray(c, o1 + 2 * ldc);
            FloatVector.fromArray(S, c, co + 3 * ldc).add(c30).intoArray(c, co + 3 * ldc);
            FloatVector.fromArray(S, c, o1 + 3 * ldc).add(c31).intoArray(c, o1 + 3 * ldc);
            FloatVector.fromArray(S, c, co + 4 * ldc).add(c40).intoArray(c, co + 4 * ldc);
            FloatVector.fromArray(S, c, o1 + 4 * ldc).add(c41).intoArray(c, o1 + 4 * ldc);
            FloatVector.fromArray(S, c, co + 5 * ldc).add(c50).intoArray(c, co + 5 * ldc);
            FloatVector.fromArray(S, c, o1 + 5 * ldc).add(c51).intoArray(c, o1 + 5 * ldc);
            FloatVector.fromArray(S, c, co + 6 * ldc).add(c60).intoArray(c, co + 6 * ldc);
            FloatVector.fromArray(S, c, o1 + 6 * ldc).add(c61).intoArray(c, o1 + 6 * ldc);
            FloatVector.fromArray(S, c, co + 7 * ldc).add(c70).intoArray(c, co + 7 * ldc);
            FloatVector.fromArray(S, c, o1 + 7 * ldc).add(c71).intoArray(c, o1 + 7 * ldc);
            FloatVector.fromArray(S, c, co + 8 * ldc).add(c80).intoArray(c, co + 8 * ldc);
            FloatVector.fromArray(S, c, o1 + 8 * ldc).add(c81).intoArray(c, o1 + 8 * ldc);
            FloatVector.fromArray(S, c, co + 9 * ldc).add(c90).intoArray(c, co + 9 * ldc);
            FloatVector.fromArray(S, c, o1 + 9 * ldc).add(c91).intoArray(c, o1 + 9 * ldc);
            FloatVector.fromArray(S, c, co + 10 * ldc).add(ca0).intoArray(c, co + 10 * ldc);
            FloatVector.fromArray(S, c, o1 + 10 * ldc).add(ca1).intoArray(c, o1 + 10 * ldc);
            FloatVector.fromArray(S, c, co + 11 * ldc).add(cb0).intoArray(c, co + 11 * ldc);
            FloatVector.fromArray(S, c, o1 + 11 * ldc).add(cb1).intoArray(c, o1 + 11 * ldc);
        } else {
            c00.intoArray(c, co);
            c01.intoArray(c, o1);
            c10.intoArray(c, co + ldc);
            c11.intoArray(c, o1 + ldc);
            c20.intoArray(c, co + 2 * ldc);
            c21.intoArray(c, o1 + 2 * ldc);
            c30.intoArray(c, co + 3 * ldc);
            c31.intoArray(c, o1 + 3 * ldc);
            c40.intoArray(c, co + 4 * ldc);
            c41.intoArray(c, o1 + 4 * ldc);
            c50.intoArray(c, co + 5 * ldc);
            c51.intoArray(c, o1 + 5 * ldc);
            c60.intoArray(c, co + 6 * ldc);
            c61.intoArray(c, o1 + 6 * ldc);
            c70.intoArray(c, co + 7 * ldc);
            c71.intoArray(c, o1 + 7 * ldc);
            c80.intoArray(c, co + 8 * ldc);
            c81.intoArray(c, o1 + 8 * ldc);
            c90.intoArray(c, co + 9 * ldc);
            c91.intoArray(c, o1 + 9 * ldc);
            ca0.intoArray(c, co + 10 * ldc);
            ca1.intoArray(c, o1 + 10 * ldc);
            cb0.intoArray(c, co + 11 * ldc);
            cb1.intoArray(c, o1 + 11 * ldc);
        }
    }

    /** C[12 rows, one vector] (+)= A[12 rows, 0:k] · B[0:k, one vector]. */
    private static void rows12(int k, float[] a, int ao, int rs, int cs, float[] bp, int bo, int ldb,
                               float[] c, int co, int ldc, boolean add) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z, c8 = z, c9 = z, ca = z, cb = z;
        for (int p = 0, ai = ao, bi = bo; p < k; p++, ai += cs, bi += ldb) {
            FloatVector bv = FloatVector.fromArray(S, bp, bi);
            c0 = FloatVector.broadcast(S, a[ai]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[ai + rs]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[ai + 2 * rs]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[ai + 3 * rs]).fma(bv, c3);
            c4 = FloatVector.broadcast(S, a[ai + 4 * rs]).fma(bv, c4);
            c5 = FloatVector.broadcast(S, a[ai + 5 * rs]).fma(bv, c5);
            c6 = FloatVector.broadcast(S, a[ai + 6 * rs]).fma(bv, c6);
            c7 = FloatVector.broadcast(S, a[ai + 7 * rs]).fma(bv, c7);
            c8 = FloatVector.broadcast(S, a[ai + 8 * rs]).fma(bv, c8);
            c9 = FloatVector.broadcast(S, a[ai + 9 * rs]).fma(bv, c9);
            ca = FloatVector.broadcast(S, a[ai + 10 * rs]).fma(bv, ca);
            cb = FloatVector.broadcast(S, a[ai + 11 * rs]).fma(bv, cb);
        }
        // Stores written out here, not in a helper: a call C2 declines to inline boxes every vector.
        if (add) {
            FloatVector.fromArray(S, c, co).add(c0).intoArray(c, co);
            FloatVector.fromArray(S, c, co + ldc).add(c1).intoArray(c, co + ldc);
            FloatVector.fromArray(S, c, co + 2 * ldc).add(c2).intoArray(c, co + 2 * ldc);
            FloatVector.fromArray(S, c, co + 3 * ldc).add(c3).intoArray(c, co + 3 * ldc);
            FloatVector.fromArray(S, c, co + 4 * ldc).add(c4).intoArray(c, co + 4 * ldc);
            FloatVector.fromArray(S, c, co + 5 * ldc).add(c5).intoArray(c, co + 5 * ldc);
            FloatVector.fromArray(S, c, co + 6 * ldc).add(c6).intoArray(c, co + 6 * ldc);
            FloatVector.fromArray(S, c, co + 7 * ldc).add(c7).intoArray(c, co + 7 * ldc);
            FloatVector.fromArray(S, c, co + 8 * ldc).add(c8).intoArray(c, co + 8 * ldc);
            FloatVector.fromArray(S, c, co + 9 * ldc).add(c9).intoArray(c, co + 9 * ldc);
            FloatVector.fromArray(S, c, co + 10 * ldc).add(ca).intoArray(c, co + 10 * ldc);
            FloatVector.fromArray(S, c, co + 11 * ldc).add(cb).intoArray(c, co + 11 * ldc);
        } else {
            c0.intoArray(c, co);
            c1.intoArray(c, co + ldc);
            c2.intoArray(c, co + 2 * ldc);
            c3.intoArray(c, co + 3 * ldc);
            c4.intoArray(c, co + 4 * ldc);
            c5.intoArray(c, co + 5 * ldc);
            c6.intoArray(c, co + 6 * ldc);
            c7.intoArray(c, co + 7 * ldc);
            c8.intoArray(c, co + 8 * ldc);
            c9.intoArray(c, co + 9 * ldc);
            ca.intoArray(c, co + 10 * ldc);
            cb.intoArray(c, co + 11 * ldc);
        }
    }

    /** C[4 rows, one vector]: the rows past the last whole block of 12, four at a time (four fma chains in flight). */
    private static void rows4(int k, float[] a, int ao, int rs, int cs, float[] bp, int bo, int ldb,
                              float[] c, int co, int ldc, boolean add) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0 = z, c1 = z, c2 = z, c3 = z;
        for (int p = 0, ai = ao, bi = bo; p < k; p++, ai += cs, bi += ldb) {
            FloatVector bv = FloatVector.fromArray(S, bp, bi);
            c0 = FloatVector.broadcast(S, a[ai]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[ai + rs]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[ai + 2 * rs]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[ai + 3 * rs]).fma(bv, c3);
        }
        if (add) {
            FloatVector.fromArray(S, c, co).add(c0).intoArray(c, co);
            FloatVector.fromArray(S, c, co + ldc).add(c1).intoArray(c, co + ldc);
            FloatVector.fromArray(S, c, co + 2 * ldc).add(c2).intoArray(c, co + 2 * ldc);
            FloatVector.fromArray(S, c, co + 3 * ldc).add(c3).intoArray(c, co + 3 * ldc);
        } else {
            c0.intoArray(c, co);
            c1.intoArray(c, co + ldc);
            c2.intoArray(c, co + 2 * ldc);
            c3.intoArray(c, co + 3 * ldc);
        }
    }

    /** One row of C, one vector: the last m % 4 rows. */
    private static void row1(int k, float[] a, int ao, int cs, float[] bp, int bo, int ldb,
                             float[] c, int co, boolean add) {
        FloatVector acc = FloatVector.zero(S);
        for (int p = 0, ai = ao, bi = bo; p < k; p++, ai += cs, bi += ldb)
            acc = FloatVector.broadcast(S, a[ai]).fma(FloatVector.fromArray(S, bp, bi), acc);
        if (add) acc = FloatVector.fromArray(S, c, co).add(acc);
        acc.intoArray(c, co);
    }
}
