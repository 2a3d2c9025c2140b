package org.alignguard.tensor;

import java.util.Arrays;

/** Static helpers for shapes and strides: element counts, broadcasting and axis checks. */
public final class Shape {
    private Shape() {}

    /** Number of elements of a shape; throws if it overflows an int. */
    public static int numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + str(shape));
            n *= d;
            if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("shape " + str(shape) + " has more than 2^31-1 elements");
        }
        return (int) n;
    }

    /** Row-major (C-order) strides for a shape. */
    public static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /** NumPy broadcasting: align on the right, each pair of dims must be equal or one of them 1. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int n = Math.max(a.length, b.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int da = i < n - a.length ? 1 : a[i - (n - a.length)];
            int db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1)
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b) + " cannot be broadcast together");
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Turns a possibly negative axis into 0..ndim-1, naming the op if it is out of range. */
    public static int axis(String op, int axis, int ndim) {
        int a = axis < 0 ? axis + ndim : axis;
        if (a < 0 || a >= ndim)
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for a tensor with " + ndim + " dims");
        return a;
    }

    /** As {@link #axis(String, int, int)}, with the tensor's shape in the message. */
    public static int axis(String op, int axis, int[] shape) {
        int a = axis < 0 ? axis + shape.length : axis;
        if (a < 0 || a >= shape.length)
            throw new IllegalArgumentException(op + ": axis " + axis + " is out of range for shape " + str(shape) + " (" + shape.length + " dims)");
        return a;
    }

    /** The permutation 0..ndim-1 with axes a and b swapped (what transpose permutes by). */
    public static int[] swapOrder(String op, int[] shape, int a, int b) {
        int[] order = new int[shape.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        a = axis(op, a, shape);
        b = axis(op, b, shape);
        order[a] = b;
        order[b] = a;
        return order;
    }

    /** {@code lead} followed by {@code tail}. */
    public static int[] concat(int[] lead, int... tail) {
        int[] r = Arrays.copyOf(lead, lead.length + tail.length);
        System.arraycopy(tail, 0, r, lead.length, tail.length);
        return r;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }
}
