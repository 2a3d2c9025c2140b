package org.alignguard.tensor;

/**
 * Element-wise functions of two broadcast tensors.
 *
 * <p>The {@code *_GRAD} entries are fused backward rules: {@code op.apply(x, g)} returns the
 * upstream gradient {@code g} times the derivative of the activation, evaluated at {@code x} (for
 * SILU, GELU, RELU: the input) or at {@code y} (for TANH, SIGMOID: the saved output).
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, GT, EQ,
    SILU_GRAD, GELU_GRAD, RELU_GRAD, TANH_GRAD, SIGMOID_GRAD;

    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> (float) Math.pow(a, b);
            case MAXIMUM -> Math.max(a, b);
            case MINIMUM -> Math.min(a, b);
            case GT -> a > b ? 1f : 0f;
            case EQ -> a == b ? 1f : 0f;
            case SILU_GRAD -> {
                float s = UnaryOp.sigmoid(a);
                yield b * s * (1f + a * (1f - s));
            }
            case GELU_GRAD -> {
                // d/dx [x Φ(x)] = Φ(x) + x φ(x)
                double cdf = 0.5 * (1.0 + Erf.erf(a * UnaryOp.INV_SQRT2));
                double pdf = Math.exp(-0.5 * a * a) * 0.3989422804014327;
                yield (float) (b * (cdf + a * pdf));
            }
            case RELU_GRAD -> a > 0 ? b : 0f;
            case TANH_GRAD -> b * (1f - a * a);
            case SIGMOID_GRAD -> b * a * (1f - a);
        };
    }
}
