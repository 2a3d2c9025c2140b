package org.alignguard.baselines;

/**
 * The least-squares edit of one linear layer that UCE and MACE solve in closed form:
 * <pre>
 *   W = argmin_W  Σ_k w_k ‖W x_k − y_k‖²  +  λ ‖W − W₀‖²_F
 *     = (Σ_k w_k y_k x_kᵀ + λ W₀) (Σ_k w_k x_k x_kᵀ + λ I)⁻¹
 * </pre>
 * (set the gradient 2 Σ w (W x − y) xᵀ + 2λ (W − W₀) to zero). The pairs (x_k, y_k) say where inputs
 * should go: an erased concept's embedding onto its target's output, a preserved one onto its own
 * old output W₀x. The λ term is the identity term both papers' code adds, which keeps the system
 * invertible and W near W₀ in directions no pair constrains. Sums and the solve are in double
 * precision; the right factor is symmetric positive definite, so a Cholesky solve suffices.
 */
final class ClosedForm {
    private final double[][] w0;
    private final double lambda;
    private final double[][] yx, xx;   // Σ w y xᵀ [out][in], Σ w x xᵀ [in][in]

    /** {@code w0}: the old weight [out][in]; {@code lambda} > 0. */
    ClosedForm(double[][] w0, double lambda) {
        if (!(lambda > 0)) throw new IllegalArgumentException("the closed form's regularization must be positive, got " + lambda);
        this.w0 = w0;
        this.lambda = lambda;
        this.yx = new double[w0.length][w0[0].length];
        this.xx = new double[w0[0].length][w0[0].length];
    }

    int in() { return xx.length; }

    int out() { return yx.length; }

    /** Adds one pair: input x [in] should give y [out], with weight w. */
    void add(double[] x, double[] y, double w) {
        int in = xx.length;
        for (int i = 0; i < yx.length; i++) {
            double wy = w * y[i];
            for (int j = 0; j < in; j++) yx[i][j] += wy * x[j];
        }
        for (int i = 0; i < in; i++) {
            double wx = w * x[i];
            for (int j = 0; j < in; j++) xx[i][j] += wx * x[j];
        }
    }

    /** Adds a pair that keeps x where the old weight sends it: y = W₀x. */
    void preserve(double[] x, double w) {
        add(x, times(w0, x), w);
    }

    /** The solution W [out][in]. */
    double[][] solve() {
        int in = xx.length, out = yx.length;
        double[][] b = new double[in][in];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < in; j++) b[i][j] = xx[i][j];
            b[i][i] += lambda;
        }
        double[][] l = cholesky(b);
        double[][] w = new double[out][];
        for (int r = 0; r < out; r++) {
            // Row r of W solves W_r B = A_r, i.e. B W_rᵀ = A_rᵀ (B is symmetric).
            double[] a = new double[in];
            for (int j = 0; j < in; j++) a[j] = yx[r][j] + lambda * w0[r][j];
            w[r] = choleskySolve(l, a);
        }
        return w;
    }

    static double[] times(double[][] m, double[] x) {
        double[] y = new double[m.length];
        for (int i = 0; i < m.length; i++) {
            double s = 0;
            for (int j = 0; j < x.length; j++) s += m[i][j] * x[j];
            y[i] = s;
        }
        return y;
    }

    /** The lower-triangular L with L Lᵀ = B. */
    static double[][] cholesky(double[][] b) {
        int n = b.length;
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) {
                double s = b[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                if (i == j) {
                    if (!(s > 0)) throw new IllegalStateException("the closed form's system is not positive definite (pivot " + s + " at " + i + ")");
                    l[i][i] = Math.sqrt(s);
                } else l[i][j] = s / l[j][j];
            }
        return l;
    }

    /** x with L Lᵀ x = a. */
    static double[] choleskySolve(double[][] l, double[] a) {
        int n = a.length;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = a[i];
            for (int k = 0; k < i; k++) s -= l[i][k] * y[k];
            y[i] = s / l[i][i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) s -= l[k][i] * x[k];
            x[i] = s / l[i][i];
        }
        return x;
    }
}
