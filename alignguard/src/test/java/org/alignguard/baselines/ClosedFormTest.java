package org.alignguard.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** UCE's and MACE's closed form W = (Σ w y xᵀ + λW₀)(Σ w x xᵀ + λI)⁻¹ on cases solved by hand. */
class ClosedFormTest {
    @Test void oneErasedDirectionOnHandSolvedCase() {
        // W₀ = [1 0], λ = 1, one pair x = (1, 0) -> y = 3:
        // (y xᵀ + λW₀) = [4 0], (x xᵀ + λI) = diag(2, 1), so W = [2 0].
        ClosedForm cf = new ClosedForm(new double[][] {{1, 0}}, 1);
        cf.add(new double[] {1, 0}, new double[] {3}, 1);
        assertArrayEquals(new double[] {2, 0}, cf.solve()[0], 1e-12);
    }

    @Test void twoPairsAndAPreservedInput() {
        // W₀ = [[1, 2], [0, 1]], λ = 0.5. Pairs: x1 = (1, 0) -> y1 = (0, 0) with weight 2; preserve x2 = (0, 1) (y2 = W₀x2 = (2, 1)), weight 1.
        // A = 2·y1 x1ᵀ + y2 x2ᵀ + 0.5 W₀ = [[0.5, 1 + 2], [0, 0.5 + 1]] = [[0.5, 3], [0, 1.5]]
        // B = 2·x1 x1ᵀ + x2 x2ᵀ + 0.5 I = diag(2.5, 1.5)  =>  W = A B⁻¹ = [[0.2, 2], [0, 1]]
        ClosedForm cf = new ClosedForm(new double[][] {{1, 2}, {0, 1}}, 0.5);
        cf.add(new double[] {1, 0}, new double[] {0, 0}, 2);
        cf.preserve(new double[] {0, 1}, 1);
        double[][] w = cf.solve();
        assertArrayEquals(new double[] {0.2, 2}, w[0], 1e-12);
        assertArrayEquals(new double[] {0, 1}, w[1], 1e-12);
    }

    @Test void exactWhenConstraintsDominate() {
        // With λ → 0 and a full set of exact pairs, the solution maps every x onto its y.
        double[][] w0 = {{0.3, -0.2, 0.5}, {1, 0, -1}};
        double[][] target = {{2, -1, 0}, {0.5, 0.5, 3}};
        ClosedForm cf = new ClosedForm(w0, 1e-9);
        double[][] xs = {{1, 0, 0}, {0.5, 1, 0}, {0, 0.3, 2}};
        for (double[] x : xs) cf.add(x, ClosedForm.times(target, x), 1);
        double[][] w = cf.solve();
        for (int i = 0; i < 2; i++) assertArrayEquals(target[i], w[i], 1e-6);
        assertEquals(3, cf.in());
    }
}
