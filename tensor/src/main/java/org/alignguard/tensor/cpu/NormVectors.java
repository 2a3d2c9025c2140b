package org.alignguard.tensor.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API loops of {@link NormKernels}: one row (or one channel's run of a row) at a time. The
 * tail of a run that does not fill a vector is done with a masked vector, not scalar code, so a
 * run of any length gets the same arithmetic. The forward statistics are summed in double lanes, the
 * backward's sums in float lanes; lanes are added in a fixed order, so the result does not depend on
 * the thread count.
 */
final class NormVectors {
    private NormVectors() {}

    private static final VectorSpecies<Float> S = VectorKernels.S;
    private static final int L = VectorKernels.LANES;
    /** Double lanes of the same vector size: half as many, so a float vector converts in two parts. */
    private static final VectorSpecies<Double> D = VectorSpecies.of(double.class, S.vectorShape());

    private static VectorMask<Float> tail(int i, int n) {
        return S.indexInRange(i, n);
    }

    /**
     * Σ a[p+i] over i < n, in double lanes: the statistics of the forward pass keep double's range,
     * so an activation of 1e20 (a diverging run) still gives a finite variance instead of one that
     * overflows float to infinity and silently normalizes everything to β.
     */
    static double sumD(float[] a, int p, int n) {
        DoubleVector acc0 = DoubleVector.zero(D), acc1 = DoubleVector.zero(D);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(S, a, p + i);
            acc0 = acc0.add((DoubleVector) v.convert(VectorOperators.F2D, 0));
            acc1 = acc1.add((DoubleVector) v.convert(VectorOperators.F2D, 1));
        }
        if (i < n) {
            FloatVector v = FloatVector.fromArray(S, a, p + i, tail(i, n));   // masked-off lanes are 0
            acc0 = acc0.add((DoubleVector) v.convert(VectorOperators.F2D, 0));
            acc1 = acc1.add((DoubleVector) v.convert(VectorOperators.F2D, 1));
        }
        double[] t = LANE_SCRATCH.get();
        acc0.add(acc1).intoArray(t, 0);
        return sumStored(t);
    }

    /** Σ (a[p+i] − mu)² over i < n, squared and summed in double lanes (see {@link #sumD}). */
    static double sqDevD(float[] a, int p, int n, double mu) {
        DoubleVector m = DoubleVector.broadcast(D, mu), acc0 = DoubleVector.zero(D), acc1 = DoubleVector.zero(D);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(S, a, p + i);
            DoubleVector d0 = ((DoubleVector) v.convert(VectorOperators.F2D, 0)).sub(m);
            DoubleVector d1 = ((DoubleVector) v.convert(VectorOperators.F2D, 1)).sub(m);
            acc0 = d0.fma(d0, acc0);
            acc1 = d1.fma(d1, acc1);
        }
        if (i < n) {
            VectorMask<Float> k = tail(i, n);
            FloatVector v = FloatVector.fromArray(S, a, p + i, k);
            long on = k.toLong();   // lane bits: the low half for part 0, the high half for part 1
            VectorMask<Double> k0 = VectorMask.fromLong(D, on), k1 = VectorMask.fromLong(D, on >>> D.length());
            DoubleVector d0 = ((DoubleVector) v.convert(VectorOperators.F2D, 0)).sub(m).blend(0.0, k0.not());
            DoubleVector d1 = ((DoubleVector) v.convert(VectorOperators.F2D, 1)).sub(m).blend(0.0, k1.not());
            acc0 = d0.fma(d0, acc0);
            acc1 = d1.fma(d1, acc1);
        }
        double[] t = LANE_SCRATCH.get();
        acc0.add(acc1).intoArray(t, 0);
        return sumStored(t);
    }

    /** Sum of the double lanes stored in t, in the butterfly order of {@link VectorKernels#sumStored} (callers store, never pass, the vector). */
    private static double sumStored(double[] t) {
        for (int w = t.length / 2; w >= 1; w >>= 1)
            for (int i = 0; i < w; i++) t[i] += t[i + w];
        return t[0];
    }

    private static final ThreadLocal<double[]> LANE_SCRATCH = ThreadLocal.withInitial(() -> new double[D.length()]);

    /** y[q+i] = x[p+i]·scale + shift (group norm: one channel's run with its folded affine). */
    static void scaleShift(float[] x, int p, float scale, float shift, float[] y, int q, int n) {
        FloatVector a = FloatVector.broadcast(S, scale), b = FloatVector.broadcast(S, shift);
        int i = 0;
        for (; i + L <= n; i += L) FloatVector.fromArray(S, x, p + i).fma(a, b).intoArray(y, q + i);
        if (i < n) {
            VectorMask<Float> k = tail(i, n);
            FloatVector.fromArray(S, x, p + i, k).fma(a, b).intoArray(y, q + i, k);
        }
    }

    /** y[q+i] = (x[p+i] − mu)·rs·g[c+i] + b[c+i] (layer norm: a per-element affine; g, b may be null). */
    static void normAffine(float[] x, int p, float mu, float rs, float[] g, float[] b, int c, float[] y, int q, int n) {
        FloatVector m = FloatVector.broadcast(S, mu), r = FloatVector.broadcast(S, rs);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, p + i).sub(m).mul(r);
            if (g != null) v = v.mul(FloatVector.fromArray(S, g, c + i));
            if (b != null) v = v.add(FloatVector.fromArray(S, b, c + i));
            v.intoArray(y, q + i);
        }
        if (i < n) {
            VectorMask<Float> k = tail(i, n);
            FloatVector v = FloatVector.fromArray(S, x, p + i, k).sub(m).mul(r);
            if (g != null) v = v.mul(FloatVector.fromArray(S, g, c + i, k));
            if (b != null) v = v.add(FloatVector.fromArray(S, b, c + i, k));
            v.intoArray(y, q + i, k);
        }
    }

    /** Σ dy[q+i]·(x[q+i] − mu) over i < n. */
    static float dotCentered(float[] dy, float[] x, int q, float mu, int n) {
        FloatVector m = FloatVector.broadcast(S, mu), acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= n; i += L) acc = FloatVector.fromArray(S, x, q + i).sub(m).fma(FloatVector.fromArray(S, dy, q + i), acc);
        if (i < n) {
            VectorMask<Float> k = tail(i, n);   // dy's masked-off lanes load as 0
            acc = FloatVector.fromArray(S, x, q + i, k).sub(m).fma(FloatVector.fromArray(S, dy, q + i, k), acc);
        }
        float[] t = VectorKernels.laneScratch();
        acc.intoArray(t, 0);
        return VectorKernels.sumStored(t);
    }

    /** out[o+i] = dy[q+i]·(x[q+i] − mu)·rs: layer norm's dy·x̂, the per-element terms of dγ. */
    static void dyXhat(float[] dy, float[] x, int q, float mu, float rs, float[] out, int o, int n) {
        FloatVector m = FloatVector.broadcast(S, mu), r = FloatVector.broadcast(S, rs);
        int i = 0;
        for (; i + L <= n; i += L)
            FloatVector.fromArray(S, x, q + i).sub(m).mul(r).mul(FloatVector.fromArray(S, dy, q + i)).intoArray(out, o + i);
        if (i < n) {
            VectorMask<Float> k = tail(i, n);
            FloatVector.fromArray(S, x, q + i, k).sub(m).mul(r).mul(FloatVector.fromArray(S, dy, q + i, k)).intoArray(out, o + i, k);
        }
    }

    /** dx[q+i] = gs·dy[q+i] − a·x[q+i] + c (group norm: one channel's run, gs = γ·rstd). */
    static void dxChannel(float gs, float[] dy, float a, float[] x, float c, float[] dx, int q, int n) {
        FloatVector vg = FloatVector.broadcast(S, gs), va = FloatVector.broadcast(S, -a), vc = FloatVector.broadcast(S, c);
        int i = 0;
        for (; i + L <= n; i += L)
            FloatVector.fromArray(S, x, q + i).fma(va, FloatVector.fromArray(S, dy, q + i).fma(vg, vc)).intoArray(dx, q + i);
        if (i < n) {
            VectorMask<Float> k = tail(i, n);
            FloatVector.fromArray(S, x, q + i, k).fma(va, FloatVector.fromArray(S, dy, q + i, k).fma(vg, vc)).intoArray(dx, q + i, k);
        }
    }

    /** dx[q+i] = g[gc+i]·rs·dy[q+i] − a·x[q+i] + c (layer norm: per-element γ, null for 1). */
    static void dxRow(float[] g, int gc, float rs, float[] dy, float a, float[] x, float c, float[] dx, int q, int n) {
        FloatVector vr = FloatVector.broadcast(S, rs), va = FloatVector.broadcast(S, -a), vc = FloatVector.broadcast(S, c);
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector gs = g == null ? vr : FloatVector.fromArray(S, g, gc + i).mul(vr);
            FloatVector.fromArray(S, x, q + i).fma(va, FloatVector.fromArray(S, dy, q + i).fma(gs, vc)).intoArray(dx, q + i);
        }
        if (i < n) {
            VectorMask<Float> k = tail(i, n);
            FloatVector gs = g == null ? vr : FloatVector.fromArray(S, g, gc + i, k).mul(vr);
            FloatVector.fromArray(S, x, q + i, k).fma(va, FloatVector.fromArray(S, dy, q + i, k).fma(gs, vc)).intoArray(dx, q + i, k);
        }
    }
}
