package org.alignguard.eval;

/**
 * The Fréchet distance between two Gaussians fitted to feature vectors (Heusel et al. 2017, the
 * "FID" formula), here on the measuring classifier's features instead of Inception's:
 * <pre>
 *   FD = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})
 * </pre>
 * Tr((Σ₁Σ₂)^{1/2}) is computed as Tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}), whose argument is symmetric, so
 * two symmetric eigendecompositions (Jacobi rotations) suffice. Everything is in double precision.
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    /** {@code a} and {@code b}: rows are samples, columns are features. */
    public static double of(double[][] a, double[][] b) {
        if (a.length < 2 || b.length < 2) throw new IllegalArgumentException("Fréchet distance needs at least 2 samples on each side");
        int d = a[0].length;
        double[] ma = mean(a), mb = mean(b);
        double[][] ca = cov(a, ma), cb = cov(b, mb);
        double diff = 0;
        for (int i = 0; i < d; i++) diff += (ma[i] - mb[i]) * (ma[i] - mb[i]);
        double[][] ra = sqrtPsd(ca);
        double[][] inner = mul(mul(ra, cb), ra);
        double trSqrt = 0;
        for (double ev : eigen(inner, null)) trSqrt += Math.sqrt(Math.max(0, ev));
        double tr = 0;
        for (int i = 0; i < d; i++) tr += ca[i][i] + cb[i][i];
        return Math.max(0, diff + tr - 2 * trSqrt);
    }

    static double[] mean(double[][] x) {
        double[] m = new double[x[0].length];
        for (double[] r : x) for (int j = 0; j < m.length; j++) m[j] += r[j];
        for (int j = 0; j < m.length; j++) m[j] /= x.length;
        return m;
    }

    /** The unbiased covariance (divided by n − 1, as numpy.cov). */
    static double[][] cov(double[][] x, double[] m) {
        int d = m.length;
        double[][] c = new double[d][d];
        for (double[] r : x)
            for (int i = 0; i < d; i++) {
                double u = r[i] - m[i];
                for (int j = i; j < d; j++) c[i][j] += u * (r[j] - m[j]);
            }
        for (int i = 0; i < d; i++)
            for (int j = i; j < d; j++) c[j][i] = c[i][j] /= (x.length - 1);
        return c;
    }

    /** The square root of a symmetric positive semi-definite matrix: V diag(√λ) Vᵀ. */
    static double[][] sqrtPsd(double[][] s) {
        int d = s.length;
        double[][] v = new double[d][d];
        double[] ev = eigen(s, v);
        double[][] out = new double[d][d];
        for (int k = 0; k < d; k++) {
            double r = Math.sqrt(Math.max(0, ev[k]));
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) out[i][j] += v[i][k] * r * v[j][k];
        }
        return out;
    }

    static double[][] mul(double[][] a, double[][] b) {
        int n = a.length, m = b[0].length, k = b.length;
        double[][] c = new double[n][m];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < k; p++) {
                double x = a[i][p];
                for (int j = 0; j < m; j++) c[i][j] += x * b[p][j];
            }
        return c;
    }

    /**
     * Eigenvalues of a symmetric matrix by cyclic Jacobi rotations; with {@code vectors} non-null the
     * eigenvectors are written into its columns.
     */
    static double[] eigen(double[][] sym, double[][] vectors) {
        int n = sym.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = sym[i].clone();
        double[][] v = vectors == null ? null : vectors;
        if (v != null) for (int i = 0; i < n; i++) { java.util.Arrays.fill(v[i], 0); v[i][i] = 1; }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0, scale = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    if (i != j) off += a[i][j] * a[i][j];
                    scale += a[i][j] * a[i][j];
                }
            if (off <= 1e-22 * Math.max(scale, 1e-300)) break;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0) continue;
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p], akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k], aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    if (v != null)
                        for (int k = 0; k < n; k++) {
                            double vkp = v[k][p], vkq = v[k][q];
                            v[k][p] = c * vkp - s * vkq;
                            v[k][q] = s * vkp + c * vkq;
                        }
                }
        }
        double[] ev = new double[n];
        for (int i = 0; i < n; i++) ev[i] = a[i][i];
        return ev;
    }
}
