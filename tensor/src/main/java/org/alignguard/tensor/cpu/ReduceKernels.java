package org.alignguard.tensor.cpu;

import org.alignguard.tensor.ReduceOp;
import org.alignguard.tensor.Tensor;

/**
 * Sum and max over a set of axes.
 *
 * <p>The input is permuted so the kept axes come first and the reduced axes last, then made
 * contiguous; each output element then reduces one contiguous run. When the reduced axes already
 * are the trailing ones of a contiguous tensor this costs no copy. The special case of reducing the
 * leading axes (bias gradients: [B, N] -> [N]) adds whole rows instead, also without a copy.
 */
final class ReduceKernels {
    private ReduceKernels() {}

    static Tensor reduce(ReduceOp op, Tensor a, int[] axes) {
        int nd = a.ndim();
        int[] shape = a.shape(), outShape = shape.clone();
        boolean[] red = new boolean[nd];
        for (int ax : axes) { red[ax] = true; outShape[ax] = 1; }
        int runLen = 1;
        for (int ax : axes) runLen *= shape[ax];
        int outN = a.numel() / Math.max(1, runLen);
        if (a.numel() == 0) outN = Tensor.zeros(outShape).numel();

        boolean leading = a.isContiguous() && axes.length > 0 && axes[axes.length - 1] == axes.length - 1 && op == ReduceOp.SUM;
        if (leading && axes.length < nd) return sumLeading(a.contiguous(), runLen, outN, outShape);

        int[] order = new int[nd];
        int j = 0;
        for (int i = 0; i < nd; i++) if (!red[i]) order[j++] = i;
        for (int i = 0; i < nd; i++) if (red[i]) order[j++] = i;
        Tensor c = a.permute(order).contiguous();
        float[] x = c.storage().hostArray();
        int base = c.offset(), len = runLen;
        Tensor out = Tensor.zeros(outShape);
        float[] o = out.data();
        Parallel.forRange(outN, len, r -> {
            int p = base + r * len;
            if (op == ReduceOp.SUM) o[r] = Simd.sum(x, p, len);
            else {
                float m = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < len; i++) {
                    float v = x[p + i];
                    if (v > m || Float.isNaN(v)) m = v;
                    if (Float.isNaN(m)) break;
                }
                o[r] = m;
            }
        });
        return out;
    }

    /** out[j] = Σ_i a[i, j] for a contiguous a viewed as [rows, cols]; rows added in order. */
    private static Tensor sumLeading(Tensor a, int rows, int cols, int[] outShape) {
        float[] x = a.storage().hostArray();
        int base = a.offset();
        Tensor out = Tensor.zeros(outShape);
        float[] o = out.data();
        Parallel.forChunks(cols, rows, (c0, c1) -> {
            for (int i = 0; i < rows; i++) Simd.axpy(1f, x, base + i * cols + c0, o, c0, c1 - c0);
        });
        return out;
    }
}
