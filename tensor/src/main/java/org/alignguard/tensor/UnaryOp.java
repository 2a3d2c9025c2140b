package org.alignguard.tensor;

/** Element-wise functions of one tensor. The scalar formula here is the reference for every backend. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, TANH, SIGMOID, SILU, GELU, RELU, ABS, SQUARE, RECIPROCAL;

    public float apply(float x) {
        return switch (this) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case TANH -> (float) Math.tanh(x);
            case SIGMOID -> sigmoid(x);
            case SILU -> x * sigmoid(x);
            case GELU -> (float) (0.5 * x * (1.0 + Erf.erf(x * INV_SQRT2)));
            case RELU -> Math.max(x, 0f); // NaN stays NaN, as in the vector kernel and PyTorch
            case ABS -> Math.abs(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1f / x;
        };
    }

    static final double INV_SQRT2 = 0.7071067811865476;

    public static float sigmoid(float x) {
        // Split by sign so exp never overflows.
        if (x >= 0) return (float) (1.0 / (1.0 + Math.exp(-x)));
        double e = Math.exp(x);
        return (float) (e / (1.0 + e));
    }
}
