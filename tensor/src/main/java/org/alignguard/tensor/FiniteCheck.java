package org.alignguard.tensor;

import java.util.Arrays;
import java.util.Map;

/**
 * Finds NaN and infinity in weights. Every loader of weights and every trainer's checkpoint runs it:
 * one broken number in a weight turns every image black, so a broken tensor is refused with one line
 * that names it, the value and where it sits ({@code tensor 'unet.conv_in.weight' holds NaN at [3, 0, 1, 2]}).
 *
 * <p>The scan sits on the load path, so it must cost little next to reading the file. It adds up
 * v·0 in eight independent partial sums: v·0 is ±0 for every finite v and NaN for NaN and ±∞, and
 * NaN survives any sum, so the range is clean exactly when the total is 0. Eight sums let the adds
 * overlap instead of waiting on each other. Only a range that fails is walked again to say where.
 * Measured on the shipped base model (1.7 M weights, a 2-core machine shared with other jobs):
 * <ul>
 *   <li>in a fresh JVM, where the first pass runs mostly interpreted: about 10 ms, against about 20 ms
 *       for a {@code Float.isFinite} loop, next to a first model load of about 250 ms CPU time;</li>
 *   <li>once compiled: 11 µs per 64K floats (an {@code isFinite} loop 19 µs, a test of the exponent
 *       bits 13 µs); checked chunk by chunk while reading, it adds 0.2–0.3 ms to a 7–15 ms load.</li>
 * </ul>
 */
public final class FiniteCheck {
    private FiniteCheck() {}

    /** Index of the first NaN or infinity in {@code v[from, to)}, or -1 when there is none. */
    public static int firstNonFinite(float[] v, int from, int to) {
        if (isFinite(v, from, to)) return -1;
        for (int i = from; i < to; i++) if (!Float.isFinite(v[i])) return i;
        return -1;   // unreachable: the sum was NaN, so some element is not finite
    }

    private static boolean isFinite(float[] v, int from, int to) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            s0 += v[i] * 0f;
            s1 += v[i + 1] * 0f;
            s2 += v[i + 2] * 0f;
            s3 += v[i + 3] * 0f;
            s4 += v[i + 4] * 0f;
            s5 += v[i + 5] * 0f;
            s6 += v[i + 6] * 0f;
            s7 += v[i + 7] * 0f;
        }
        for (; i < to; i++) s0 += v[i] * 0f;
        return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7) == 0f;
    }

    /** What is wrong with tensor {@code name}, or null when every value is finite. */
    public static String find(String name, Tensor t) {
        if (t.numel() == 0) return null;
        float[] v;
        int from;
        if (t.isContiguous()) {
            v = t.storage().hostArray();
            from = t.offset();
        } else {
            v = t.toArray();
            from = 0;
        }
        int bad = firstNonFinite(v, from, from + t.numel());
        return bad < 0 ? null : describe(name, t.shape(), bad - from, v[bad]);
    }

    /** The first problem among {@code tensors}, in their order, or null when all are finite. */
    public static String find(Map<String, Tensor> tensors) {
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String p = find(e.getKey(), e.getValue());
            if (p != null) return p;
        }
        return null;
    }

    /** "tensor 'name' holds NaN at [1, 2]": element {@code index} (row-major) of a tensor of {@code shape}. */
    public static String describe(String name, int[] shape, long index, float value) {
        int[] at = new int[shape.length];
        long rest = index;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 0) break;
            at[d] = (int) (rest % shape[d]);
            rest /= shape[d];
        }
        return "tensor '" + name + "' holds " + value + (shape.length == 0 ? " (a scalar)" : " at " + Arrays.toString(at));
    }
}
