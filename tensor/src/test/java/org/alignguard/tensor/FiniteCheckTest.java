package org.alignguard.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The finiteness check finds every NaN and infinity, at any position, and says where it is. */
class FiniteCheckTest {
    private static final float[] BAD = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7f800001)};

    @Test
    void extremeFiniteValuesPass() {
        float[] v = {0f, -0f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_NORMAL, 1e-45f, 3e38f, 1f, -1f, 0.5f};
        assertEquals(-1, FiniteCheck.firstNonFinite(v, 0, v.length));
        assertEquals(-1, FiniteCheck.firstNonFinite(new float[0], 0, 0));
    }

    @Test
    void findsTheFirstBadValueAtEveryPositionOfEveryLength() {
        // Lengths around the 8-wide unrolling, bad values at every index, one or two of them.
        for (int n = 1; n <= 40; n++)
            for (int at = 0; at < n; at++)
                for (float bad : BAD) {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = (i % 3 - 1) * 1e30f;
                    v[at] = bad;
                    assertEquals(at, FiniteCheck.firstNonFinite(v, 0, n), "n " + n + ", " + bad + " at " + at);
                    if (at + 1 < n) {
                        v[n - 1] = Float.NaN;
                        assertEquals(at, FiniteCheck.firstNonFinite(v, 0, n), "the first of two");
                    }
                }
    }

    @Test
    void looksOnlyInsideTheRange() {
        float[] v = {Float.NaN, 1, 2, 3, Float.POSITIVE_INFINITY};
        assertEquals(-1, FiniteCheck.firstNonFinite(v, 1, 4));
        assertEquals(4, FiniteCheck.firstNonFinite(v, 1, 5));
        assertEquals(0, FiniteCheck.firstNonFinite(v, 0, 1));
    }

    @Test
    void namesTheTensorTheValueAndItsIndex() {
        float[] v = new float[24];
        v[1 * 12 + 2 * 4 + 3] = Float.NEGATIVE_INFINITY;
        Tensor t = Tensor.of(v, 2, 3, 4);
        assertEquals("tensor 'w' holds -Infinity at [1, 2, 3]", FiniteCheck.find("w", t));
        // A view: indices are the view's own. The transpose puts [1, 2, 3] at [3, 2, 1].
        assertEquals("tensor 'w.T' holds -Infinity at [3, 2, 1]", FiniteCheck.find("w.T", t.permute(2, 1, 0)));
        // A slice that starts after the bad row finds nothing; one that holds it counts from its start.
        assertNull(FiniteCheck.find("rows", Tensor.of(v, 6, 4).slice(0, 0, 5)));
        assertEquals("tensor 'rows' holds -Infinity at [0, 3]", FiniteCheck.find("rows", Tensor.of(v, 6, 4).slice(0, 5, 6)));
        assertEquals("tensor 's' holds NaN (a scalar)", FiniteCheck.find("s", Tensor.scalar(Float.NaN)));
        assertNull(FiniteCheck.find("empty", Tensor.zeros(0, 3)));
    }

    @Test
    void reportsTheFirstBadTensorInOrder() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", Tensor.ones(3));
        m.put("b", Tensor.of(new float[] {1, Float.NaN}, 2));
        m.put("c", Tensor.of(new float[] {Float.NaN}, 1));
        assertEquals("tensor 'b' holds NaN at [1]", FiniteCheck.find(m));
        m.remove("b");
        m.remove("c");
        assertNull(FiniteCheck.find(m));
    }
}
