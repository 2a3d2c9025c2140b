package org.alignguard.tensor.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * Walks one or more same-shaped strided views in row-major order, one innermost "row" at a time.
 *
 * <p>First it merges adjacent dims that are laid out back to back in every operand ("coalescing"),
 * so a contiguous tensor becomes a single long row and a bias broadcast becomes rows with stride 0.
 * Then {@link #offsets} gives each operand's start offset for row {@code r}, and the caller runs its
 * inner loop over {@link #rowLength} elements with {@link #innerStride}.
 */
final class StridedLoop {
    final int[] shape;        // coalesced shape; the last dim is the row
    final int[][] strides;    // per operand
    final int[] bases;        // per operand starting offset
    final int rowLength;
    final int rows;

    StridedLoop(int[] shape, int[][] strides, int[] bases) {
        List<Integer> dims = new ArrayList<>();
        List<int[]> st = new ArrayList<>();
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;             // size-1 dims never move the offset
            int[] s = new int[strides.length];
            for (int k = 0; k < strides.length; k++) s[k] = strides[k][d];
            if (!dims.isEmpty()) {
                int last = dims.size() - 1;
                int[] prev = st.get(last);
                boolean merge = true;
                for (int k = 0; k < s.length && merge; k++) merge = prev[k] == s[k] * shape[d];
                if (merge) {
                    dims.set(last, dims.get(last) * shape[d]);
                    st.set(last, s);
                    continue;
                }
            }
            dims.add(shape[d]);
            st.add(s);
        }
        if (dims.isEmpty()) {
            dims.add(1);
            st.add(new int[strides.length]);
        }
        this.shape = dims.stream().mapToInt(Integer::intValue).toArray();
        this.strides = new int[strides.length][this.shape.length];
        for (int d = 0; d < this.shape.length; d++)
            for (int k = 0; k < strides.length; k++) this.strides[k][d] = st.get(d)[k];
        this.bases = bases.clone();
        this.rowLength = this.shape[this.shape.length - 1];
        int r = 1;
        for (int d = 0; d < this.shape.length - 1; d++) r *= this.shape[d];
        this.rows = r;
    }

    int innerStride(int operand) {
        return strides[operand][shape.length - 1];
    }

    /** Start offsets of every operand for row {@code row}, written into {@code out}. */
    void offsets(int row, int[] out) {
        for (int k = 0; k < bases.length; k++) out[k] = bases[k];
        for (int d = shape.length - 2; d >= 0; d--) {
            int i = row % shape[d];
            row /= shape[d];
            for (int k = 0; k < bases.length; k++) out[k] += i * strides[k][d];
        }
    }

    /**
     * Walks rows r, r+1, ... from a start row, carrying each operand's offset forward (an odometer
     * over the outer dims) instead of recomputing it by division for every row: for a permuted copy
     * with short rows (an attention head's 16 values) the division was most of the work.
     */
    final class Cursor {
        final int[] off;
        private final int[] idx;

        Cursor(int row) {
            off = new int[bases.length];
            idx = new int[shape.length];
            offsets(row, off);
            for (int d = shape.length - 2; d >= 0; d--) {
                idx[d] = row % shape[d];
                row /= shape[d];
            }
        }

        /** Moves to the next row. */
        void next() {
            for (int d = shape.length - 2; d >= 0; d--) {
                for (int k = 0; k < off.length; k++) off[k] += strides[k][d];
                if (++idx[d] < shape[d]) return;
                for (int k = 0; k < off.length; k++) off[k] -= strides[k][d] * shape[d];
                idx[d] = 0;
            }
        }
    }
}
