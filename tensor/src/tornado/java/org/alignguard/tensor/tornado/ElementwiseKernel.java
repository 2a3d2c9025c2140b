package org.alignguard.tensor.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * One GPU kernel for every element-wise op: copies, the unary ops and the broadcasting binary ops,
 * over arbitrary strided views of the device arena.
 *
 * <pre>
 *   arena ──► a[view A] ─┐
 *                        ├─► f(a, b) ──► out[view OUT]      one work-item per output element
 *   arena ──► b[view B] ─┘   (or b = fp[0] when B is a host scalar)
 * </pre>
 * A view is an offset into the arena plus one stride per dim; all three views share the output's
 * shape, padded on the left to {@link #DIMS} dims (a broadcast dim has stride 0); the host first merges
 * dims that are laid out back to back in all three views, so that a contiguous op is one dim and the
 * index arithmetic (a division per dim) stays short. Work-item i turns its row-major index into
 * coordinates and each view into an arena index. One kernel with an op code
 * instead of one per op: TornadoVM compiles it once, and the branch is uniform across work-items.
 * The formulas are those of {@code UnaryOp.apply} and {@code BinaryOp.apply}, in float.
 */
final class ElementwiseKernel {
    private ElementwiseKernel() {}

    static final int DIMS = 8;
    // Integer parameters (IntArray ip):
    static final int N = 0, OP = 1, SHAPE = 2, OUT = SHAPE + DIMS, A = OUT + 1 + DIMS, B = A + 1 + DIMS;
    static final int B_SCALAR = B + 1 + DIMS, A_SCALAR = B_SCALAR + 1, NDIM = A_SCALAR + 1, PARAMS = NDIM + 1;
    // Op codes: unary ops by UnaryOp ordinal, binary ops at BINARY + BinaryOp ordinal.
    static final int BINARY = 100, COPY = 200;

    static void run(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int i = ctx.globalIdx;
        if (i < ip.get(N)) {
            int rem = i;
            int oo = ip.get(OUT), oa = ip.get(A), ob = ip.get(B);
            for (int d = DIMS - 1; d >= DIMS - ip.get(NDIM); d--) {   // only the dims left after merging (usually 1 or 2)
                int size = ip.get(SHAPE + d);
                int c = rem % size;
                rem = rem / size;
                oo += c * ip.get(OUT + 1 + d);
                oa += c * ip.get(A + 1 + d);
                ob += c * ip.get(B + 1 + d);
            }
            float a = ip.get(A_SCALAR) == 1 ? fp.get(1) : mem.get(oa);
            int op = ip.get(OP);
            float r;
            if (op == COPY) {
                r = a;
            } else if (op < BINARY) {
                r = unary(op, a);
            } else {
                float b = ip.get(B_SCALAR) == 1 ? fp.get(0) : mem.get(ob);
                r = binary(op - BINARY, a, b);
            }
            mem.set(oo, r);
        }
    }

    /** UnaryOp by ordinal: NEG, EXP, LOG, SQRT, TANH, SIGMOID, SILU, GELU, RELU, ABS, SQUARE, RECIPROCAL. */
    static float unary(int op, float x) {
        float r;
        if (op == 0) r = -x;
        else if (op == 1) r = TornadoMath.exp(x);
        else if (op == 2) r = TornadoMath.log(x);
        else if (op == 3) r = TornadoMath.sqrt(x);
        else if (op == 4) r = TornadoMath.tanh(x);
        else if (op == 5) r = sigmoid(x);
        else if (op == 6) r = x * sigmoid(x);
        else if (op == 7) r = 0.5f * x * (1f + erf(x * 0.70710678f));
        else if (op == 8) r = x > 0f ? x : (x == x ? 0f : x);   // NaN stays NaN
        else if (op == 9) r = TornadoMath.abs(x);
        else if (op == 10) r = x * x;
        else r = 1f / x;
        return r;
    }

    /** BinaryOp by ordinal: ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, GT, EQ, then the fused *_GRAD rules. */
    static float binary(int op, float a, float b) {
        float r;
        if (op == 0) r = a + b;
        else if (op == 1) r = a - b;
        else if (op == 2) r = a * b;
        else if (op == 3) r = a / b;
        else if (op == 4) r = TornadoMath.pow(a, b);
        else if (op == 5) r = a != a || b != b ? a + b : TornadoMath.max(a, b);   // NaN propagates, as Math.max
        else if (op == 6) r = a != a || b != b ? a + b : TornadoMath.min(a, b);
        else if (op == 7) r = a > b ? 1f : 0f;
        else if (op == 8) r = a == b ? 1f : 0f;
        else if (op == 9) {                                                        // SILU_GRAD
            float s = sigmoid(a);
            r = b * s * (1f + a * (1f - s));
        } else if (op == 10) {                                                     // GELU_GRAD: Φ(x) + x φ(x)
            float cdf = 0.5f * (1f + erf(a * 0.70710678f));
            float pdf = TornadoMath.exp(-0.5f * a * a) * 0.39894228f;
            r = b * (cdf + a * pdf);
        } else if (op == 11) r = a > 0f ? b : 0f;                                  // RELU_GRAD
        else if (op == 12) r = b * (1f - a * a);                                   // TANH_GRAD (a = y)
        else r = b * a * (1f - a);                                                 // SIGMOID_GRAD (a = y)
        return r;
    }

    /** Split by sign so exp never overflows, as UnaryOp.sigmoid. */
    static float sigmoid(float x) {
        float r;
        if (x >= 0f) {
            r = 1f / (1f + TornadoMath.exp(-x));
        } else {
            float e = TornadoMath.exp(x);
            r = e / (1f + e);
        }
        return r;
    }

    /** The Numerical Recipes erfc fit of Erf.erf, in float (fractional error 1.2e-7 before rounding). */
    static float erf(float x) {
        float z = TornadoMath.abs(x);
        float t = 1f / (1f + 0.5f * z);
        float poly = -z * z - 1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f
                + t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f
                + t * (-0.82215223f + t * 0.17087277f))))))));
        float erfc = t * TornadoMath.exp(poly);
        return x >= 0f ? 1f - erfc : erfc - 1f;
    }
}
