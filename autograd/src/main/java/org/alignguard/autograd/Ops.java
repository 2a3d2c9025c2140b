package org.alignguard.autograd;

import org.alignguard.tensor.BinaryOp;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.UnaryOp;

/**
 * Element-wise ops, reductions and matmul, each forward next to its backward (micrograd style).
 *
 * <p>Broadcasting in the forward means summing in the backward: {@link #unbroadcast} reduces a
 * gradient back to the shape of the input it belongs to.
 */
public final class Ops {
    private Ops() {}

    // ------------------------------------------------------------------ binary, with broadcasting

    public static Variable add(Variable a, Variable b) {
        return Variable.result("add", a.data().add(b.data()), g -> {
            a.accumulate(unbroadcast(g, a.shape()));
            b.accumulate(unbroadcast(g, b.shape()));
        }, a, b);
    }

    public static Variable sub(Variable a, Variable b) {
        return Variable.result("sub", a.data().sub(b.data()), g -> {
            a.accumulate(unbroadcast(g, a.shape()));
            b.accumulate(unbroadcast(g.neg(), b.shape()));
        }, a, b);
    }

    public static Variable mul(Variable a, Variable b) {
        return Variable.result("mul", a.data().mul(b.data()), g -> {
            if (a.requiresGrad()) a.accumulate(unbroadcast(g.mul(b.data()), a.shape()));
            if (b.requiresGrad()) b.accumulate(unbroadcast(g.mul(a.data()), b.shape()));
        }, a, b);
    }

    public static Variable div(Variable a, Variable b) {
        Tensor out = a.data().div(b.data());
        return Variable.result("div", out, g -> {
            if (a.requiresGrad()) a.accumulate(unbroadcast(g.div(b.data()), a.shape()));
            // d(a/b)/db = -a/b² = -out/b
            if (b.requiresGrad()) b.accumulate(unbroadcast(g.mul(out).div(b.data()).neg(), b.shape()));
        }, a, b);
    }

    public static Variable addScalar(Variable a, float s) {
        return Variable.result("add_scalar", a.data().add(s), a::accumulate, a);
    }

    public static Variable mulScalar(Variable a, float s) {
        return Variable.result("mul_scalar", a.data().mul(s), g -> a.accumulate(g.mul(s)), a);
    }

    /** a^p for a constant exponent p. */
    public static Variable pow(Variable a, float p) {
        Tensor out = a.data().binary(BinaryOp.POW, Tensor.scalar(p));
        return Variable.result("pow", out, g -> {
            Tensor d = a.data().binary(BinaryOp.POW, Tensor.scalar(p - 1)).mul(p);
            a.accumulate(g.mul(d));
        }, a);
    }

    /** Sums {@code g} over the dims that broadcasting added or stretched, to get back {@code shape}. */
    public static Tensor unbroadcast(Tensor g, int[] shape) {
        int[] gs = g.shape();
        int lead = gs.length - shape.length;
        int n = 0;
        int[] axes = new int[gs.length];
        for (int i = 0; i < gs.length; i++)
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) axes[n++] = i;
        if (n == 0) return g;
        Tensor s = g.sum(true, java.util.Arrays.copyOf(axes, n));
        return s.reshape(shape);
    }

    // ------------------------------------------------------------------ unary

    public static Variable exp(Variable a) {
        Tensor out = a.data().exp();
        return Variable.result("exp", out, g -> a.accumulate(g.mul(out)), a);
    }

    public static Variable log(Variable a) {
        return Variable.result("log", a.data().log(), g -> a.accumulate(g.div(a.data())), a);
    }

    public static Variable sqrt(Variable a) {
        Tensor out = a.data().sqrt();
        return Variable.result("sqrt", out, g -> a.accumulate(g.div(out.mul(2f))), a);
    }

    public static Variable square(Variable a) {
        return Variable.result("square", a.data().unary(UnaryOp.SQUARE), g -> a.accumulate(g.mul(a.data()).mul(2f)), a);
    }

    public static Variable tanh(Variable a) {
        Tensor out = a.data().tanh();
        return Variable.result("tanh", out, g -> a.accumulate(out.binary(BinaryOp.TANH_GRAD, g)), a);
    }

    public static Variable sigmoid(Variable a) {
        Tensor out = a.data().sigmoid();
        return Variable.result("sigmoid", out, g -> a.accumulate(out.binary(BinaryOp.SIGMOID_GRAD, g)), a);
    }

    /** SiLU(x) = x·σ(x), the UNet's activation. */
    public static Variable silu(Variable a) {
        return Variable.result("silu", a.data().silu(), g -> a.accumulate(a.data().binary(BinaryOp.SILU_GRAD, g)), a);
    }

    /** GELU(x) = x·Φ(x), exact (erf) form, as PyTorch's default. */
    public static Variable gelu(Variable a) {
        return Variable.result("gelu", a.data().gelu(), g -> a.accumulate(a.data().binary(BinaryOp.GELU_GRAD, g)), a);
    }

    public static Variable relu(Variable a) {
        return Variable.result("relu", a.data().relu(), g -> a.accumulate(a.data().binary(BinaryOp.RELU_GRAD, g)), a);
    }

    // ------------------------------------------------------------------ reductions

    public static Variable sum(Variable a, boolean keepdim, int... axes) {
        int[] inShape = a.shape();
        Tensor out = a.data().sum(keepdim, axes);
        return Variable.result("sum", out, g -> a.accumulate(g.reshape(keptShape(inShape, axes)).expand(inShape).contiguous()), a);
    }

    public static Variable mean(Variable a, boolean keepdim, int... axes) {
        Variable s = sum(a, keepdim, axes);
        int count = a.data().numel() / Math.max(1, s.data().numel());
        return mulScalar(s, 1f / Math.max(1, count));
    }

    /** Max over axes; the gradient goes to every position that equals the max. */
    public static Variable max(Variable a, boolean keepdim, int... axes) {
        int[] inShape = a.shape();
        Tensor out = a.data().max(keepdim, axes);
        return Variable.result("max", out, g -> {
            int[] k = keptShape(inShape, axes);
            Tensor mask = a.data().binary(BinaryOp.EQ, out.reshape(k));
            a.accumulate(mask.mul(g.reshape(k)));
        }, a);
    }

    /** The input shape with the reduced axes set to 1 (all axes when none are given). */
    static int[] keptShape(int[] shape, int[] axes) {
        int[] k = shape.clone();
        if (axes.length == 0) java.util.Arrays.fill(k, 1);
        for (int ax : axes) k[org.alignguard.tensor.Shape.axis("sum", ax, shape.length)] = 1;
        return k;
    }

    // ------------------------------------------------------------------ matmul

    /**
     * c + a·b for 2-D a and b, c a bias [n] or a matrix [m, n] (PyTorch's addmm): a Linear layer's
     * x·Wᵀ + b, or a LoRA's y + (x·Aᵀ)·Bᵀ, in one pass. dc = g (summed over rows for a bias),
     * da = g·bᵀ, db = aᵀ·g.
     */
    public static Variable addmm(Variable c, Variable a, Variable b) {
        Tensor out = Tensor.addmm(c.data(), a.data(), b.data());
        return Variable.result("addmm", out, g -> {
            if (c.requiresGrad()) c.accumulate(unbroadcast(g, c.shape()));
            if (a.requiresGrad()) a.accumulate(g.matmul(b.data().transpose(0, 1)));
            if (b.requiresGrad()) b.accumulate(a.data().transpose(0, 1).matmul(g));
        }, c, a, b);
    }

    /** C = A·B with batch broadcasting; dA = dC·Bᵀ, dB = Aᵀ·dC (summed over broadcast batch dims). */
    public static Variable matmul(Variable a, Variable b) {
        Tensor out = a.data().matmul(b.data());
        return Variable.result("matmul", out, g -> {
            if (a.requiresGrad()) a.accumulate(unbroadcast(g.matmul(b.data().transpose(-1, -2)), a.shape()));
            if (b.requiresGrad()) b.accumulate(unbroadcast(a.data().transpose(-1, -2).matmul(g), b.shape()));
        }, a, b);
    }
}
