package org.alignguard.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.alignguard.tensor.Rng;
import org.junit.jupiter.api.Test;

/** MACE's closed-form fusion on cases with known answers. */
class MaceFusionTest {
    private static final double TINY = 1e-9;
    private static final double[][] NO_CACHE = new double[0][];

    static void assertMatrix(double[][] expected, double[][] actual, double tol) {
        assertEquals(expected.length, actual.length, "rows");
        for (int r = 0; r < expected.length; r++)
            for (int c = 0; c < expected[r].length; c++) assertEquals(expected[r][c], actual[r][c], tol, "W[" + r + "][" + c + "]");
    }

    static double[][] random(Rng rng, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) for (int c = 0; c < cols; c++) row[c] = rng.nextGaussian();
        return m;
    }

    @Test
    void oneLoraOverInputsThatSpanTheSpaceGivesBackWcfrPlusDelta() {
        Rng rng = new Rng(1);
        double[][] wCfr = random(rng, 3, 4), w0 = random(rng, 3, 4), delta = random(rng, 3, 4);
        double[][] inputs = random(rng, 10, 4);   // 10 generic rows span R⁴
        double[][] fused = MaceFusion.fuse(wCfr, w0, List.<double[][]>of(delta), List.<double[][]>of(inputs), NO_CACHE, 0, TINY);
        assertMatrix(MaceFusion.plus(wCfr, delta), fused, 1e-6);
    }

    @Test
    void twoLorasOnOrthogonalInputsAreEachKeptOnTheirOwnInputs() {
        // Hand-solved: concept 1 sees only e1, concept 2 only e2, so column 1 of W* is (W_cfr + ΔW_1) e1
        // and column 2 is (W_cfr + ΔW_2) e2.
        double[][] wCfr = {{1, 2}, {3, 4}}, d1 = {{1, 0}, {0, 0}}, d2 = {{0, 0}, {0, 2}};
        double[][] fused = MaceFusion.fuse(wCfr, wCfr, List.of(d1, d2), List.of(new double[][] {{1, 0}, {2, 0}}, new double[][] {{0, 3}}), NO_CACHE, 0, TINY);
        assertMatrix(new double[][] {{2, 2}, {3, 6}}, fused, 1e-6);
    }

    @Test
    void twoLorasOnOrthogonalSubspacesReproduceEachOnItsInputs() {
        Rng rng = new Rng(2);
        double[][] wCfr = random(rng, 3, 4), d1 = random(rng, 3, 4), d2 = random(rng, 3, 4);
        double[][] in1 = new double[5][4], in2 = new double[5][4];   // span(e1, e2) and span(e3, e4)
        for (int k = 0; k < 5; k++) {
            in1[k][0] = rng.nextGaussian();
            in1[k][1] = rng.nextGaussian();
            in2[k][2] = rng.nextGaussian();
            in2[k][3] = rng.nextGaussian();
        }
        double[][] fused = MaceFusion.fuse(wCfr, wCfr, List.of(d1, d2), List.of(in1, in2), NO_CACHE, 0, TINY);
        double[][] w1 = MaceFusion.plus(wCfr, d1), w2 = MaceFusion.plus(wCfr, d2);
        for (int k = 0; k < 5; k++) {
            double[] got1 = ClosedForm.times(fused, in1[k]), want1 = ClosedForm.times(w1, in1[k]);
            double[] got2 = ClosedForm.times(fused, in2[k]), want2 = ClosedForm.times(w2, in2[k]);
            for (int r = 0; r < 3; r++) {
                assertEquals(want1[r], got1[r], 1e-6, "concept 1, input " + k);
                assertEquals(want2[r], got2[r], 1e-6, "concept 2, input " + k);
            }
        }
    }

    @Test
    void lambdaAndPreservationWeighAsTheClosedFormSays() {
        // 1×1: W_cfr = 1, W₀ = 0.5, ΔW = 2 on x = 1 (target 3), cache x = 1 with ρ = 2, λ = 1:
        // W* = (λ·1 + 3·1 + ρ·0.5·1) / (λ + 1 + ρ) = (1 + 3 + 1) / 4 = 1.25.
        double[][] fused = MaceFusion.fuse(new double[][] {{1}}, new double[][] {{0.5}}, List.<double[][]>of(new double[][] {{2}}),
                List.<double[][]>of(new double[][] {{1}}), new double[][] {{1}}, 2, 1);
        assertEquals(1.25, fused[0][0], 1e-12);
        // Without the cache: (1 + 3) / 2.
        assertEquals(2, MaceFusion.fuse(new double[][] {{1}}, new double[][] {{0.5}}, List.<double[][]>of(new double[][] {{2}}),
                List.<double[][]>of(new double[][] {{1}}), new double[][] {{1}}, 0, 1)[0][0], 1e-12);
    }

    @Test
    void refusesMismatchedLorasAndInputs() {
        assertThrows(IllegalArgumentException.class, () -> MaceFusion.fuse(new double[][] {{1}}, new double[][] {{1}}, List.of(), List.<double[][]>of(new double[][] {{1}}), NO_CACHE, 0, 1));
    }
}
