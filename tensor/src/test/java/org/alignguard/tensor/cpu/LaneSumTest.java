package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The vector paths' lane sums add in a fixed butterfly order (t[i] += t[i + w], w = LANES/2 … 1). */
class LaneSumTest {
    @Test
    void addsInButterflyOrder() {
        int n = VectorKernels.LANES;
        Assumptions.assumeTrue(n >= 4, "a vector of at least 4 lanes");
        // 1e8 and −1e8 meet in the first step and cancel exactly; every 1 then survives. Added left to
        // right instead, each 1 after 1e8 would be lost (float's spacing at 1e8 is 8), giving n/2 − 1.
        float[] t = new float[n];
        java.util.Arrays.fill(t, 1f);
        t[0] = 1e8f;
        t[n / 2] = -1e8f;
        assertEquals(n - 2, VectorKernels.sumStored(t.clone()));
        float sequential = 0;
        for (float x : t) sequential += x;
        assertEquals(n / 2 - 1, sequential, "the left-to-right sum this order avoids");
    }

    @Test
    void expShiftSumMatchesDoubleReferencesAtShortLengths() {
        // Rows shorter than, equal to and just over one vector: the masked exp-and-sum of softmax.
        for (int len : new int[] {3, VectorKernels.LANES, VectorKernels.LANES + 8, 2 * VectorKernels.LANES + 1}) {
            float[] x = new float[len], y = new float[len];
            for (int i = 0; i < len; i++) x[i] = (float) Math.sin(3 * i) * 4;
            float m = VectorKernels.max(x, 0, len);
            float s = VectorKernels.expShiftSum(x, 0, m, y, 0, len);
            double ref = 0;
            for (int i = 0; i < len; i++) {
                ref += Math.exp(x[i] - m);
                assertEquals(Math.exp(x[i] - m), y[i], 1e-6 * Math.exp(x[i] - m) + 1e-7, "exp at " + i + " of " + len);
            }
            assertEquals(ref, s, 1e-6 * ref, "sum of " + len);
        }
    }
}
