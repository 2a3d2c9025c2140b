package org.alignguard.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.alignguard.tensor.BinaryOp;
import org.alignguard.tensor.UnaryOp;

/**
 * JDK Vector API inner loops. Only this class (and the GEMM kernel) touches {@code jdk.incubator.vector},
 * so the backend still runs on the scalar path when the module is absent.
 */
final class VectorKernels {
    private VectorKernels() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int LANES = S.length();

    /** True for the binary ops that have a lane-wise vector form here. */
    static boolean supports(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, SILU_GRAD, GELU_GRAD -> true;
            default -> false;
        };
    }

    static boolean supports(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, SQUARE, RELU, SQRT, EXP, SIGMOID, SILU, GELU -> true;
            default -> false;
        };
    }

    /**
     * out[o+i] = a[pa + i*sa] op b[pb + i*sb] for i < n, with sa, sb in {0, 1} (0 = broadcast scalar).
     * Returns the number of elements done; the caller finishes the tail with scalar code.
     */
    static int binary(BinaryOp op, float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        // One small loop per op: a loop that switches between ops, with exp and erf inlined, grows past
        // C2's inlining budget and leaves vector ops as boxed Java objects (several times slower).
        return switch (op) {
            case ADD -> add(a, pa, sa, b, pb, sb, out, o, n);
            case SUB -> sub(a, pa, sa, b, pb, sb, out, o, n);
            case MUL -> mul(a, pa, sa, b, pb, sb, out, o, n);
            case DIV -> div(a, pa, sa, b, pb, sb, out, o, n);
            case MAXIMUM -> maximum(a, pa, sa, b, pb, sb, out, o, n);
            case MINIMUM -> minimum(a, pa, sa, b, pb, sb, out, o, n);
            case SILU_GRAD -> siluGrad(a, pa, sa, b, pb, sb, out, o, n);
            case GELU_GRAD -> geluGrad(a, pa, sa, b, pb, sb, out, o, n);
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    /** Lanes i.. of a run with stride s: 1 reads consecutive values, 0 broadcasts a[p]. */
    private static FloatVector load(float[] a, int p, int s, int i) {
        return s == 0 ? FloatVector.broadcast(S, a[p]) : FloatVector.fromArray(S, a, p + i);
    }

    private static int add(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += LANES) load(a, pa, sa, i).add(load(b, pb, sb, i)).intoArray(out, o + i);
        return i;
    }

    private static int sub(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += LANES) load(a, pa, sa, i).sub(load(b, pb, sb, i)).intoArray(out, o + i);
        return i;
    }

    private static int mul(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += LANES) load(a, pa, sa, i).mul(load(b, pb, sb, i)).intoArray(out, o + i);
        return i;
    }

    private static int div(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += LANES) load(a, pa, sa, i).div(load(b, pb, sb, i)).intoArray(out, o + i);
        return i;
    }

    private static int maximum(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += LANES) load(a, pa, sa, i).max(load(b, pb, sb, i)).intoArray(out, o + i);
        return i;
    }

    private static int minimum(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += LANES) load(a, pa, sa, i).min(load(b, pb, sb, i)).intoArray(out, o + i);
        return i;
    }

    /** SILU_GRAD: y · σ(x) · (1 + x · (1 − σ(x))). */
    private static int siluGrad(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i < bound; i += LANES) {
            FloatVector x = load(a, pa, sa, i), y = load(b, pb, sb, i);
            FloatVector sig = one.div(one.add(exp(x.neg())));
            y.mul(sig).mul(one.add(x.mul(one.sub(sig)))).intoArray(out, o + i);
        }
        return i;
    }

    /**
     * GELU_GRAD: y · (Φ(x) + x·φ(x)), in two loops of one exp each: Φ(x) into a scratch row, then the
     * rest. One loop with both exps grew past C2's node budget, which left the second exp a call on
     * boxed vectors (docs/PERFORMANCE.md, ninth session).
     */
    private static int geluGrad(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        int bound = S.loopBound(n);
        float[] cdf = GELU_CDF.get();
        if (cdf.length < bound) GELU_CDF.set(cdf = new float[bound]);
        geluCdf(a, pa, sa, cdf, bound);
        geluGradRest(a, pa, sa, b, pb, sb, cdf, out, o, bound);
        return bound;
    }

    private static final ThreadLocal<float[]> GELU_CDF = ThreadLocal.withInitial(() -> new float[0]);

    /** cdf[i] = Φ(x_i) for i < bound (a multiple of LANES). */
    private static void geluCdf(float[] a, int pa, int sa, float[] cdf, int bound) {
        for (int i = 0; i < bound; i += LANES) phi(load(a, pa, sa, i)).intoArray(cdf, i);
    }

    /** out[o+i] = y_i · (cdf[i] + x_i·φ(x_i)) for i < bound. */
    private static void geluGradRest(float[] a, int pa, int sa, float[] b, int pb, int sb, float[] cdf, float[] out, int o, int bound) {
        for (int i = 0; i < bound; i += LANES) {
            FloatVector x = load(a, pa, sa, i), y = load(b, pb, sb, i);
            FloatVector pdf = exp(x.mul(x).mul(-0.5f)).mul(0.39894228f);
            y.mul(FloatVector.fromArray(S, cdf, i).add(x.mul(pdf))).intoArray(out, o + i);
        }
    }

    /** out[o+i] = op(a[pa+i]) for contiguous runs; returns elements done. */
    static int unary(UnaryOp op, float[] a, int pa, float[] out, int o, int n) {
        return switch (op) {
            case NEG, ABS, SQUARE, RELU, SQRT -> simple(op, a, pa, out, o, n);
            case EXP -> exp(a, pa, out, o, n);
            case SIGMOID -> sigmoid(a, pa, out, o, n);
            case SILU -> silu(a, pa, out, o, n);
            case GELU -> gelu(a, pa, out, o, n);
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    private static int simple(UnaryOp op, float[] a, int pa, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, a, pa + i);
            FloatVector r = switch (op) {
                case NEG -> v.neg();
                case ABS -> v.abs();
                case SQUARE -> v.mul(v);
                case RELU -> v.max(zero);
                default -> v.sqrt();
            };
            r.intoArray(out, o + i);
        }
        return i;
    }

    private static int exp(float[] a, int pa, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += LANES) exp(FloatVector.fromArray(S, a, pa + i)).intoArray(out, o + i);
        return i;
    }

    /** σ(x) = 1 / (1 + e^{-x}); e^{-x} overflows to +inf for x < -88, giving 0 as it should. */
    private static int sigmoid(float[] a, int pa, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i < bound; i += LANES) one.div(one.add(exp(FloatVector.fromArray(S, a, pa + i).neg()))).intoArray(out, o + i);
        return i;
    }

    private static int silu(float[] a, int pa, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, a, pa + i);
            v.div(one.add(exp(v.neg()))).intoArray(out, o + i);
        }
        return i;
    }

    private static int gelu(float[] a, int pa, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, a, pa + i);
            v.mul(phi(v)).intoArray(out, o + i);
        }
        return i;
    }

    /** Sum of a[p .. p+n). */
    static float sum(float[] a, int p, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        for (; i + LANES <= bound - LANES; i += 2 * LANES) {
            acc0 = acc0.add(FloatVector.fromArray(S, a, p + i));
            acc1 = acc1.add(FloatVector.fromArray(S, a, p + i + LANES));
        }
        for (; i < bound; i += LANES) acc0 = acc0.add(FloatVector.fromArray(S, a, p + i));
        float[] t = laneScratch();
        acc0.add(acc1).intoArray(t, 0);
        float s = sumStored(t);
        for (; i < n; i++) s += a[p + i];
        return s;
    }

    /**
     * The normal CDF Φ(x) lane-wise, through erfc so the left tail keeps its precision:
     * Φ(x) = ½·erfc(|x|/√2) for x < 0 and 1 − ½·erfc(|x|/√2) otherwise, with the same
     * Chebyshev-fitted erfc as the scalar {@code Erf}: erfc(z) = t·exp(−z² − 1.26551223 + t·P(t)), t = 1/(1 + z/2).
     */
    static FloatVector phi(FloatVector x) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector z = x.abs().mul(0.70710678f);
        FloatVector t = one.div(one.add(z.mul(0.5f)));
        FloatVector p = t.mul(0.17087277f).add(-0.82215223f);
        p = p.mul(t).add(1.48851587f);
        p = p.mul(t).add(-1.13520398f);
        p = p.mul(t).add(0.27886807f);
        p = p.mul(t).add(-0.18628806f);
        p = p.mul(t).add(0.09678418f);
        p = p.mul(t).add(0.37409196f);
        p = p.mul(t).add(1.00002368f);
        p = p.mul(t).add(-1.26551223f);
        FloatVector halfErfc = t.mul(exp(p.sub(z.mul(z)))).mul(0.5f);
        return one.sub(halfErfc).blend(halfErfc, x.lt(0f));
    }

    /**
     * e^x lane-wise from plain arithmetic (Cephes' expf): n = round(x·log2 e), r = x − n·ln 2 in two
     * parts, e^r by a degree-6 polynomial, times 2^n built in the exponent bits. Not
     * {@code lanewise(EXP)}: that runs an intrinsic once compiled but a Java fallback before, and
     * the two differ in the last bit, which would make results depend on JIT warm-up. Add, multiply
     * and bit operations round the same on every path. Accurate to about 2 ulp.
     */
    static FloatVector exp(FloatVector x) {
        // Below −86.5 the result (< 3e-38) is returned as 0; above ln(FLT_MAX) it is +inf.
        FloatVector c = x.max(-86.5f).min(88.72283f);
        FloatVector t = c.mul(1.44269504f).add(12582912f);          // 1.5·2^23: rounds to nearest integer
        FloatVector n = t.sub(12582912f);
        FloatVector r = c.sub(n.mul(0.693359375f)).sub(n.mul(-2.12194440e-4f));
        FloatVector p = r.mul(1.9875691500e-4f).add(1.3981999507e-3f);
        p = p.mul(r).add(8.3334519073e-3f);
        p = p.mul(r).add(4.1665795894e-2f);
        p = p.mul(r).add(1.6666665459e-1f);
        p = p.mul(r).add(5.0000001201e-1f);
        FloatVector er = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n as 2^(n−1)·2, so n = 128 (x near ln FLT_MAX) does not overflow the exponent field.
        IntVector bits = t.reinterpretAsInts().sub(0x4B400000).add(126).lanewise(VectorOperators.LSHL, 23);
        FloatVector out = er.mul(bits.reinterpretAsFloats()).mul(2f);
        return out.blend(0f, x.lt(-86.5f))
                .blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, 88.72283f))
                .blend(x, x.test(VectorOperators.IS_NAN));
    }

    /**
     * Sum of the lanes of a vector that the caller stored into t (from {@link #laneScratch}), in a fixed
     * butterfly order: t[i] += t[i + w] for w = LANES/2, …, 1. The order is the same on every JIT tier,
     * where reduceLanes' differs between compiled and interpreted code. Callers store the vector and
     * pass the array, never the vector: a vector passed to a method that C2 does not inline (it runs
     * out of node budget after an inlined exp: NodeCountInliningCutoff) is boxed into a fresh object on
     * every call (docs/PERFORMANCE.md, ninth session).
     */
    static float sumStored(float[] t) {
        for (int w = LANES / 2; w >= 1; w >>= 1)
            for (int i = 0; i < w; i++) t[i] += t[i + w];
        return t[0];
    }

    /** This thread's LANES floats for {@link #sumStored}. */
    static float[] laneScratch() {
        return LANE_SCRATCH.get();
    }

    private static final ThreadLocal<float[]> LANE_SCRATCH = ThreadLocal.withInitial(() -> new float[LANES]);

    /** max of a[p .. p+n). */
    static float max(float[] a, int p, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += LANES) acc = acc.max(FloatVector.fromArray(S, a, p + i));
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            acc = acc.max(FloatVector.fromArray(S, a, p + i, k).blend(Float.NEGATIVE_INFINITY, k.not()));
        }
        return acc.reduceLanes(VectorOperators.MAX);
    }

    /**
     * y[q+i] = exp(x[p+i] - m); returns the sum of the y (softmax's numerator and denominator). Each
     * loop below has ONE exp call site: with a second one for a tail, C2 ran out of node budget and left
     * it a call on boxed vectors (docs/PERFORMANCE.md, ninth session). Rows of whole vectors run
     * unmasked; other rows mask every vector (all lanes on but in the last), which long rows should
     * not pay for.
     */
    static float expShiftSum(float[] x, int p, float m, float[] y, int q, int n) {
        return n % LANES == 0 ? expShiftSumWhole(x, p, m, y, q, n) : expShiftSumMasked(x, p, m, y, q, n);
    }

    private static float expShiftSumWhole(float[] x, int p, float m, float[] y, int q, int n) {
        FloatVector vm = FloatVector.broadcast(S, m), acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += LANES) {
            FloatVector e = exp(FloatVector.fromArray(S, x, p + i).sub(vm));
            e.intoArray(y, q + i);
            acc = acc.add(e);
        }
        float[] t = laneScratch();
        acc.intoArray(t, 0);
        return sumStored(t);
    }

    private static float expShiftSumMasked(float[] x, int p, float m, float[] y, int q, int n) {
        FloatVector vm = FloatVector.broadcast(S, m), acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += LANES) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector e = exp(FloatVector.fromArray(S, x, p + i, k).sub(vm)).blend(0f, k.not());
            e.intoArray(y, q + i, k);
            acc = acc.add(e);
        }
        float[] t = laneScratch();
        acc.intoArray(t, 0);
        return sumStored(t);
    }

    /** y[q+i] = a·x[p+i] (in place allowed). */
    static void scale(float a, float[] x, int p, float[] y, int q, int n) {
        FloatVector va = FloatVector.broadcast(S, a);
        int i = 0;
        for (; i + LANES <= n; i += LANES) FloatVector.fromArray(S, x, p + i).mul(va).intoArray(y, q + i);
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, p + i, k).mul(va).intoArray(y, q + i, k);
        }
    }

    /** dx[p+i] = y[p+i]·(g[p+i] − s): softmax's backward once s = Σ g·y is known. */
    static void softmaxGrad(float[] y, float[] g, float s, float[] dx, int p, int n) {
        FloatVector vs = FloatVector.broadcast(S, s);
        int i = 0;
        for (; i + LANES <= n; i += LANES)
            FloatVector.fromArray(S, g, p + i).sub(vs).mul(FloatVector.fromArray(S, y, p + i)).intoArray(dx, p + i);
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, g, p + i, k).sub(vs).mul(FloatVector.fromArray(S, y, p + i, k)).intoArray(dx, p + i, k);
        }
    }

    /** Σ a[pa+i]·b[pb+i] over i < n (masked-off lanes load as 0). */
    static float dot(float[] a, int pa, float[] b, int pb, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + LANES <= n; i += LANES) acc = FloatVector.fromArray(S, a, pa + i).fma(FloatVector.fromArray(S, b, pb + i), acc);
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            acc = FloatVector.fromArray(S, a, pa + i, k).fma(FloatVector.fromArray(S, b, pb + i, k), acc);
        }
        float[] t = laneScratch();
        acc.intoArray(t, 0);
        return sumStored(t);
    }

    /** y[py + i] += alpha * x[px + i]. */
    static void axpy(float alpha, float[] x, int px, float[] y, int py, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (; i < bound; i += LANES)
            FloatVector.fromArray(S, x, px + i).fma(va, FloatVector.fromArray(S, y, py + i)).intoArray(y, py + i);
        for (; i < n; i++) y[py + i] += alpha * x[px + i];
    }
}
