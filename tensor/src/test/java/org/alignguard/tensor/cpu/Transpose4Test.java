package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Transpose4.block against its definition, on every host (packA uses it only where MR = 12). */
class Transpose4Test {

    @Test
    void movesEachOfTheSixteenFloatsAndNothingElse() {
        Random r = new Random(3);
        for (int[] g : new int[][] {{0, 4, 0, 4}, {5, 7, 3, 9}, {1, 13, 2, 12}, {3, 4, 6, 5}}) {
            int s = g[0], rs = g[1], d = g[2], ldo = g[3];
            float[] a = new float[s + 3 * rs + 4 + 2];
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
            float[] out = new float[d + 3 * ldo + 4 + 3];
            java.util.Arrays.fill(out, Float.NaN);
            Transpose4.block(a, s, rs, out, d, ldo);
            boolean[] written = new boolean[out.length];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {
                    assertEquals(a[s + i * rs + j], out[d + j * ldo + i], "s=" + s + " rs=" + rs + " i=" + i + " j=" + j);
                    written[d + j * ldo + i] = true;
                }
            for (int q = 0; q < out.length; q++)
                if (!written[q]) assertEquals(Float.NaN, out[q], "wrote outside the block at " + q);
        }
    }
}
