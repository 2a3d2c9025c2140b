package org.alignguard.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.alignguard.tensor.Rng;
import org.junit.jupiter.api.Test;

/** The Fréchet distance on cases with exact answers. */
class FrechetDistanceTest {
    static double[][] sample(long seed, int n, int d) {
        Rng rng = new Rng(seed);
        double[][] x = new double[n][d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) x[i][j] = rng.nextGaussian() * (1 + j) + 0.3 * (i % 3) * j;
        return x;
    }

    @Test
    void identicalSetsAreZeroAndAShiftCostsItsSquaredLength() {
        double[][] a = sample(1, 200, 6), b = new double[200][6];
        double[] shift = {1, -2, 0.5, 0, 3, -1};
        for (int i = 0; i < 200; i++) for (int j = 0; j < 6; j++) b[i][j] = a[i][j] + shift[j];
        assertEquals(0, FrechetDistance.of(a, a), 1e-8);
        assertEquals(1 + 4 + 0.25 + 0 + 9 + 1, FrechetDistance.of(a, b), 1e-8);
    }

    /** b = 2a: means μ and 2μ, covariances Σ and 4Σ, so FD = |μ|² + Tr(Σ + 4Σ − 2·2Σ) = |μ|² + Tr Σ. */
    @Test
    void scalingByTwo() {
        double[][] a = sample(2, 300, 5), b = new double[300][5];
        for (int i = 0; i < 300; i++) for (int j = 0; j < 5; j++) b[i][j] = 2 * a[i][j];
        double[] mu = FrechetDistance.mean(a);
        double[][] cov = FrechetDistance.cov(a, mu);
        double expected = 0;
        for (int j = 0; j < 5; j++) expected += mu[j] * mu[j] + cov[j][j];
        assertEquals(expected, FrechetDistance.of(a, b), 1e-7 * expected);
    }

    @Test
    void jacobiFindsTheEigenvaluesOfAKnownMatrix() {
        // [[2,1],[1,2]] has eigenvalues 1 and 3.
        double[] ev = FrechetDistance.eigen(new double[][] {{2, 1}, {1, 2}}, null);
        java.util.Arrays.sort(ev);
        assertEquals(1, ev[0], 1e-12);
        assertEquals(3, ev[1], 1e-12);
        double[][] r = FrechetDistance.sqrtPsd(new double[][] {{4, 0}, {0, 9}});
        assertEquals(2, r[0][0], 1e-12);
        assertEquals(3, r[1][1], 1e-12);
        assertThrows(IllegalArgumentException.class, () -> FrechetDistance.of(new double[1][2], new double[3][2]));
    }
}
