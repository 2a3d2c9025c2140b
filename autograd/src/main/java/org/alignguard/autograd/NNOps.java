package org.alignguard.autograd;

import org.alignguard.tensor.Backend.NormResult;
import org.alignguard.tensor.Backends;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Tensor;

/** The fused ops neural networks are made of: conv, upsample, softmax, norms, embedding, dropout. */
public final class NNOps {
    private NNOps() {}

    /** conv2d(x, w) + b; dx and dW come from the backend's two gradient kernels, db = Σ dy over N, H, W. */
    public static Variable conv2d(Variable x, Variable w, Variable b, int stride, int padding) {
        Tensor out = x.data().conv2d(w.data(), b == null ? null : b.data(), stride, padding);
        int[] xs = x.shape(), ws = w.shape();
        Variable.Node xn = x.node(), wn = w.node(), bn = b == null ? null : b.node();
        // dx needs the weights, dW the input: frozen weights keep the input out of the graph.
        Tensor xd = wn.requiresGrad() ? x.data() : null, wd = w.data();
        return Variable.result("conv2d", out, g -> {
            if (xn.requiresGrad()) xn.accumulate(Backends.get().conv2dGradInput(g, wd, xs, stride, padding));
            if (wn.requiresGrad()) wn.accumulate(Backends.get().conv2dGradWeight(g, xd, ws, stride, padding));
            if (bn != null && bn.requiresGrad()) bn.accumulate(g.sum(false, 0, 2, 3));
        }, x, w, b);
    }

    /** Nearest 2x upsample; its adjoint sums each 2x2 block. */
    public static Variable upsampleNearest2x(Variable x) {
        Variable.Node xn = x.node();
        return Variable.result("upsample", x.data().upsampleNearest2x(), g -> xn.accumulate(Backends.get().sumPool2x(g)), x);
    }

    public static Variable softmax(Variable x, int axis) {
        int ax = Shape.axis("softmax", axis, x.ndim());
        Tensor y = x.data().softmax(ax);
        Variable.Node xn = x.node();
        return Variable.result("softmax", y, g -> xn.accumulate(Backends.get().softmaxBackward(y, g, ax, false)), x);
    }

    public static Variable logSoftmax(Variable x, int axis) {
        int ax = Shape.axis("log_softmax", axis, x.ndim());
        Tensor y = x.data().logSoftmax(ax);
        Variable.Node xn = x.node();
        return Variable.result("log_softmax", y, g -> xn.accumulate(Backends.get().softmaxBackward(y, g, ax, true)), x);
    }

    /** GroupNorm over [N, C, ...] in {@code groups} groups (Wu & He 2018); gamma/beta may be null. */
    public static Variable groupNorm(Variable x, int groups, Variable gamma, Variable beta, float eps) {
        int[] s = x.shape();
        if (s.length < 2 || groups <= 0 || s[1] % groups != 0)
            throw new IllegalArgumentException("group_norm: " + s[Math.min(1, s.length - 1)] + " channels of " + Shape.str(s) + " do not split into " + groups + " groups");
        checkAffine("group_norm", gamma, beta, s[1]);
        Tensor xd = x.data(), gd = gamma == null ? null : gamma.data();
        NormResult r = Backends.get().groupNorm(xd, groups, gd, beta == null ? null : beta.data(), eps);
        Variable.Node xn = x.node(), gn = gamma == null ? null : gamma.node(), bn = beta == null ? null : beta.node();
        return Variable.result("group_norm", r.y(), g -> {
            Tensor[] d = Backends.get().groupNormBackward(xd, g, r, groups, gd);
            xn.accumulate(d[0]);
            if (gn != null) gn.accumulate(d[1]);
            if (bn != null) bn.accumulate(d[2]);
        }, x, gamma, beta);
    }

    /** LayerNorm over the last dim (Ba et al. 2016); gamma/beta may be null. */
    public static Variable layerNorm(Variable x, Variable gamma, Variable beta, float eps) {
        int d = x.dim(-1);
        checkAffine("layer_norm", gamma, beta, d);
        Tensor xd = x.data(), gd = gamma == null ? null : gamma.data();
        NormResult r = Backends.get().layerNorm(xd, gd, beta == null ? null : beta.data(), eps);
        Variable.Node xn = x.node(), gn = gamma == null ? null : gamma.node(), bn = beta == null ? null : beta.node();
        return Variable.result("layer_norm", r.y(), g -> {
            Tensor[] t = Backends.get().layerNormBackward(xd, g, r, gd);
            xn.accumulate(t[0]);
            if (gn != null) gn.accumulate(t[1]);
            if (bn != null) bn.accumulate(t[2]);
        }, x, gamma, beta);
    }

    private static void checkAffine(String op, Variable gamma, Variable beta, int channels) {
        for (Variable p : new Variable[] {gamma, beta})
            if (p != null && (p.ndim() != 1 || p.dim(0) != channels))
                throw new IllegalArgumentException(op + ": affine parameter " + Shape.str(p.shape()) + " does not match " + channels + " channels");
    }

    /** Embedding lookup: rows of {@code table} by index; backward scatter-adds into the rows used. */
    public static Variable embedding(Variable table, int[] indices, int... indexShape) {
        Tensor out = table.data().indexSelect(indices, indexShape);
        int rows = table.dim(0), cols = table.dim(1);
        Variable.Node tn = table.node();
        return Variable.result("embedding", out, g -> tn.accumulate(Backends.get().indexAdd(g.reshape(-1, cols), indices, rows)), table);
    }

    /** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). */
    public static Variable dropout(Variable x, float p, Rng rng) {
        if (p <= 0f) return x;
        if (p >= 1f) throw new IllegalArgumentException("dropout: p must be < 1, got " + p);
        float[] m = new float[x.data().numel()];
        float scale = 1f / (1f - p);
        for (int i = 0; i < m.length; i++) m[i] = rng.nextFloat() >= p ? scale : 0f;
        Tensor mask = Tensor.of(m, x.shape());
        Variable.Node xn = x.node();
        return Variable.result("dropout", x.data().mul(mask), g -> xn.accumulate(g.mul(mask)), x);
    }

    /**
     * log σ(x), computed stably as min(x, 0) − log(1 + e^{−|x|}) (log of a sigmoid underflows to −∞
     * for very negative x); d/dx = σ(−x). The Diffusion-DPO loss is −log σ(·).
     */
    public static Variable logSigmoid(Variable x) {
        float[] in = x.data().toArray(), out = new float[in.length], grad = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            double v = in[i];
            out[i] = (float) (Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))));
            grad[i] = (float) (1 / (1 + Math.exp(v)));
        }
        Tensor dydx = Tensor.of(grad, x.shape());
        Variable.Node xn = x.node();
        return Variable.result("log_sigmoid", Tensor.of(out, x.shape()), g -> xn.accumulate(g.mul(dydx)), x);
    }
}
