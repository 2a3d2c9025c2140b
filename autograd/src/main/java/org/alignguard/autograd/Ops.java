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
        Variable.Node an = a.node(), bn = b.node();
        int[] as = a.shape(), bs = b.shape();
        return Variable.result("add", a.data().add(b.data()), g -> {
            an.accumulate(unbroadcast(g, as));
            bn.accumulate(unbroadcast(g, bs));
        }, a, b);
    }

    public static Variable sub(Variable a, Variable b) {
        Variable.Node an = a.node(), bn = b.node();
        int[] as = a.shape(), bs = b.shape();
        return Variable.result("sub", a.data().sub(b.data()), g -> {
            an.accumulate(unbroadcast(g, as));
            if (bn.requiresGrad()) bn.accumulate(unbroadcast(g.neg(), bs));
        }, a, b);
    }

    public static Variable mul(Variable a, Variable b) {
        Variable.Node an = a.node(), bn = b.node();
        int[] as = a.shape(), bs = b.shape();
        // Each side's gradient needs the other side's value: keep it only when that gradient is wanted.
        Tensor ad = bn.requiresGrad() ? a.data() : null, bd = an.requiresGrad() ? b.data() : null;
        return Variable.result("mul", a.data().mul(b.data()), g -> {
            if (an.requiresGrad()) an.accumulate(unbroadcast(g.mul(bd), as));
            if (bn.requiresGrad()) bn.accumulate(unbroadcast(g.mul(ad), bs));
        }, a, b);
    }

    public static Variable div(Variable a, Variable b) {
        Tensor bd = b.data(), out = a.data().div(bd);
        Variable.Node an = a.node(), bn = b.node();
        int[] as = a.shape(), bs = b.shape();
        Tensor saved = bn.requiresGrad() ? out : null;   // only db reads the quotient
        return Variable.result("div", out, g -> {
            if (an.requiresGrad()) an.accumulate(unbroadcast(g.div(bd), as));
            // d(a/b)/db = -a/b² = -out/b
            if (bn.requiresGrad()) bn.accumulate(unbroadcast(g.mul(saved).div(bd).neg(), bs));
        }, a, b);
    }

    public static Variable addScalar(Variable a, float s) {
        return Variable.result("add_scalar", a.data().add(s), a.node()::accumulate, a);
    }

    public static Variable mulScalar(Variable a, float s) {
        Variable.Node an = a.node();
        return Variable.result("mul_scalar", a.data().mul(s), g -> an.accumulate(g.mul(s)), a);
    }

    /** a^p for a constant exponent p. */
    public static Variable pow(Variable a, float p) {
        Tensor ad = a.data(), out = ad.binary(BinaryOp.POW, Tensor.scalar(p));
        Variable.Node an = a.node();
        return Variable.result("pow", out, g -> {
            Tensor d = ad.binary(BinaryOp.POW, Tensor.scalar(p - 1)).mul(p);
            an.accumulate(g.mul(d));
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
        Variable.Node an = a.node();
        return Variable.result("exp", out, g -> an.accumulate(g.mul(out)), a);
    }

    public static Variable log(Variable a) {
        Tensor ad = a.data();
        Variable.Node an = a.node();
        return Variable.result("log", ad.log(), g -> an.accumulate(g.div(ad)), a);
    }

    public static Variable sqrt(Variable a) {
        Tensor out = a.data().sqrt();
        Variable.Node an = a.node();
        return Variable.result("sqrt", out, g -> an.accumulate(g.div(out.mul(2f))), a);
    }

    public static Variable square(Variable a) {
        Tensor ad = a.data();
        Variable.Node an = a.node();
        return Variable.result("square", ad.unary(UnaryOp.SQUARE), g -> an.accumulate(g.mul(ad).mul(2f)), a);
    }

    public static Variable tanh(Variable a) {
        Tensor out = a.data().tanh();
        Variable.Node an = a.node();
        return Variable.result("tanh", out, g -> an.accumulate(out.binary(BinaryOp.TANH_GRAD, g)), a);
    }

    public static Variable sigmoid(Variable a) {
        Tensor out = a.data().sigmoid();
        Variable.Node an = a.node();
        return Variable.result("sigmoid", out, g -> an.accumulate(out.binary(BinaryOp.SIGMOID_GRAD, g)), a);
    }

    /** SiLU(x) = x·σ(x), the UNet's activation. */
    public static Variable silu(Variable a) {
        Tensor ad = a.data();
        Variable.Node an = a.node();
        return Variable.result("silu", ad.silu(), g -> an.accumulate(ad.binary(BinaryOp.SILU_GRAD, g)), a);
    }

    /** GELU(x) = x·Φ(x), exact (erf) form, as PyTorch's default. */
    public static Variable gelu(Variable a) {
        Tensor ad = a.data();
        Variable.Node an = a.node();
        return Variable.result("gelu", ad.gelu(), g -> an.accumulate(ad.binary(BinaryOp.GELU_GRAD, g)), a);
    }

    public static Variable relu(Variable a) {
        Tensor ad = a.data();
        Variable.Node an = a.node();
        return Variable.result("relu", ad.relu(), g -> an.accumulate(ad.binary(BinaryOp.RELU_GRAD, g)), a);
    }

    // ------------------------------------------------------------------ reductions

    public static Variable sum(Variable a, boolean keepdim, int... axes) {
        int[] inShape = a.shape();
        Tensor out = a.data().sum(keepdim, axes);
        Variable.Node an = a.node();
        return Variable.result("sum", out, g -> an.accumulate(g.reshape(keptShape(inShape, axes)).expand(inShape).contiguous()), a);
    }

    public static Variable mean(Variable a, boolean keepdim, int... axes) {
        Variable s = sum(a, keepdim, axes);
        int count = a.data().numel() / Math.max(1, s.data().numel());
        return mulScalar(s, 1f / Math.max(1, count));
    }

    /** Max over axes; the gradient goes to every position that equals the max. */
    public static Variable max(Variable a, boolean keepdim, int... axes) {
        int[] inShape = a.shape();
        Tensor ad = a.data(), out = ad.max(keepdim, axes);
        Variable.Node an = a.node();
        return Variable.result("max", out, g -> {
            int[] k = keptShape(inShape, axes);
            Tensor mask = ad.binary(BinaryOp.EQ, out.reshape(k));
            an.accumulate(mask.mul(g.reshape(k)));
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
        Variable.Node cn = c.node(), an = a.node(), bn = b.node();
        int[] cs = c.shape();
        // da needs b, db needs a: a frozen layer's weight b keeps its input a out of the graph.
        Tensor ad = bn.requiresGrad() ? a.data() : null, bd = an.requiresGrad() ? b.data() : null;
        return Variable.result("addmm", out, g -> {
            if (cn.requiresGrad()) cn.accumulate(unbroadcast(g, cs));
            if (an.requiresGrad()) an.accumulate(g.matmul(bd.transpose(0, 1)));
            if (bn.requiresGrad()) bn.accumulate(ad.transpose(0, 1).matmul(g));
        }, c, a, b);
    }

    /** C = A·B with batch broadcasting; dA = dC·Bᵀ, dB = Aᵀ·dC (summed over broadcast batch dims). */
    public static Variable matmul(Variable a, Variable b) {
        Tensor out = a.data().matmul(b.data());
        Variable.Node an = a.node(), bn = b.node();
        int[] as = a.shape(), bs = b.shape();
        Tensor ad = bn.requiresGrad() ? a.data() : null, bd = an.requiresGrad() ? b.data() : null;
        return Variable.result("matmul", out, g -> {
            if (an.requiresGrad()) an.accumulate(unbroadcast(g.matmul(bd.transpose(-1, -2)), as));
            if (bn.requiresGrad()) bn.accumulate(unbroadcast(ad.transpose(-1, -2).matmul(g), bs));
        }, a, b);
    }
}
