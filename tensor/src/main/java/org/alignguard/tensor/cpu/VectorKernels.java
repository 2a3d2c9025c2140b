package org.alignguard.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
     * One lane-wise op. A switch on a loop-invariant code rather than {@code lanewise(op)} with a
     * variable operator: only calls with a constant operator compile to single AVX instructions.
     */
    private static FloatVector apply(int code, FloatVector x, FloatVector y) {
        return switch (code) {
            case 0 -> x.add(y);
            case 1 -> x.sub(y);
            case 2 -> x.mul(y);
            case 3 -> x.div(y);
            case 4 -> x.max(y);
            case 5 -> x.min(y);
            case 7 -> {
                // GELU_GRAD: y · (Φ(x) + x·φ(x))
                FloatVector cdf = phi(x);
                FloatVector pdf = exp(x.mul(x).mul(-0.5f)).mul(0.39894228f);
                yield y.mul(cdf.add(x.mul(pdf)));
            }
            default -> {
                // SILU_GRAD: y · σ(x) · (1 + x · (1 − σ(x)))
                FloatVector one = FloatVector.broadcast(S, 1f);
                FloatVector sig = one.div(one.add(exp(x.neg())));
                yield y.mul(sig).mul(one.add(x.mul(one.sub(sig))));
            }
        };
    }

    private static int code(BinaryOp op) {
        return switch (op) {
            case ADD -> 0;
            case SUB -> 1;
            case MUL -> 2;
            case DIV -> 3;
            case MAXIMUM -> 4;
            case MINIMUM -> 5;
            case SILU_GRAD -> 6;
            case GELU_GRAD -> 7;
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    /**
     * out[o+i] = a[pa + i*sa] op b[pb + i*sb] for i < n, with sa, sb in {0, 1} (0 = broadcast scalar).
     * Returns the number of elements done; the caller finishes the tail with scalar code.
     */
    static int binary(BinaryOp op, float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        int code = code(op);
        int bound = S.loopBound(n), i = 0;
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += LANES)
                apply(code, FloatVector.fromArray(S, a, pa + i), FloatVector.fromArray(S, b, pb + i)).intoArray(out, o + i);
        } else if (sa == 1) {
            FloatVector vb = FloatVector.broadcast(S, b[pb]);
            for (; i < bound; i += LANES) apply(code, FloatVector.fromArray(S, a, pa + i), vb).intoArray(out, o + i);
        } else {
            FloatVector va = FloatVector.broadcast(S, a[pa]);
            for (; i < bound; i += LANES) apply(code, va, FloatVector.fromArray(S, b, pb + i)).intoArray(out, o + i);
        }
        return i;
    }

    /** out[o+i] = op(a[pa+i]) for contiguous runs; returns elements done. */
    static int unary(UnaryOp op, float[] a, int pa, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f);
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, a, pa + i);
            FloatVector r = switch (op) {
                case NEG -> v.neg();
                case ABS -> v.abs();
                case SQUARE -> v.mul(v);
                case RELU -> v.max(zero);
                case SQRT -> v.sqrt();
                case EXP -> exp(v);
                // σ(x) = 1 / (1 + e^{-x}); e^{-x} overflows to +inf for x < -88, giving 0 as it should.
                case SIGMOID -> one.div(one.add(exp(v.neg())));
                case SILU -> v.div(one.add(exp(v.neg())));
                case GELU -> v.mul(phi(v));
                default -> throw new IllegalArgumentException(op.name());
            };
            r.intoArray(out, o + i);
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
        float s = sumLanes(acc0.add(acc1));
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

    /** Sum of the lanes in a fixed order (reduceLanes' order differs between compiled and interpreted code). */
    static float sumLanes(FloatVector v) {
        float[] tmp = new float[LANES];
        v.intoArray(tmp, 0);
        float s = 0;
        for (float x : tmp) s += x;
        return s;
    }

    /** max of a[p .. p+n). */
    static float max(float[] a, int p, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += LANES) acc = acc.max(FloatVector.fromArray(S, a, p + i));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, a[p + i]);
        return m;
    }

    /** y[q+i] = exp(x[p+i] - m); returns the sum of the y (softmax's numerator and denominator). */
    static float expShiftSum(float[] x, int p, float m, float[] y, int q, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector vm = FloatVector.broadcast(S, m), acc = FloatVector.zero(S);
        for (; i < bound; i += LANES) {
            FloatVector e = exp(FloatVector.fromArray(S, x, p + i).sub(vm));
            e.intoArray(y, q + i);
            acc = acc.add(e);
        }
        float s = sumLanes(acc);
        for (; i < n; i++) {
            y[q + i] = (float) Math.exp(x[p + i] - m);
            s += y[q + i];
        }
        return s;
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
