package org.alignguard.tensor.cpu;

import jdk.incubator.vector.FloatVector;
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
            case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM -> true;
            default -> false;
        };
    }

    static boolean supports(UnaryOp op) {
        return switch (op) {
            case NEG, ABS, SQUARE, RELU, SQRT -> true;
            default -> false;
        };
    }

    private static VectorOperators.Binary lanewise(BinaryOp op) {
        return switch (op) {
            case ADD -> VectorOperators.ADD;
            case SUB -> VectorOperators.SUB;
            case MUL -> VectorOperators.MUL;
            case DIV -> VectorOperators.DIV;
            case MAXIMUM -> VectorOperators.MAX;
            case MINIMUM -> VectorOperators.MIN;
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    /**
     * out[o+i] = a[pa + i*sa] op b[pb + i*sb] for i < n, with sa, sb in {0, 1} (0 = broadcast scalar).
     * Returns the number of elements done; the caller finishes the tail with scalar code.
     */
    static int binary(BinaryOp op, float[] a, int pa, int sa, float[] b, int pb, int sb, float[] out, int o, int n) {
        VectorOperators.Binary vop = lanewise(op);
        int bound = S.loopBound(n), i = 0;
        if (sa == 1 && sb == 1) {
            for (; i < bound; i += LANES)
                FloatVector.fromArray(S, a, pa + i).lanewise(vop, FloatVector.fromArray(S, b, pb + i)).intoArray(out, o + i);
        } else if (sa == 1) {
            FloatVector vb = FloatVector.broadcast(S, b[pb]);
            for (; i < bound; i += LANES) FloatVector.fromArray(S, a, pa + i).lanewise(vop, vb).intoArray(out, o + i);
        } else {
            FloatVector va = FloatVector.broadcast(S, a[pa]);
            for (; i < bound; i += LANES) va.lanewise(vop, FloatVector.fromArray(S, b, pb + i)).intoArray(out, o + i);
        }
        return i;
    }

    /** out[o+i] = op(a[pa+i]) for contiguous runs; returns elements done. */
    static int unary(UnaryOp op, float[] a, int pa, float[] out, int o, int n) {
        int bound = S.loopBound(n), i = 0;
        FloatVector zero = FloatVector.zero(S);
        for (; i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(S, a, pa + i);
            FloatVector r = switch (op) {
                case NEG -> v.neg();
                case ABS -> v.abs();
                case SQUARE -> v.mul(v);
                case RELU -> v.max(zero);
                case SQRT -> v.sqrt();
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
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[p + i];
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
