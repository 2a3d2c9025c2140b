package org.alignguard.tensor.cpu;

import org.alignguard.tensor.BinaryOp;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.UnaryOp;

/** Unary and broadcast binary ops over arbitrary strided views, writing contiguous outputs. */
final class ElementwiseKernels {
    private ElementwiseKernels() {}

    static Tensor unary(UnaryOp op, Tensor a) {
        int[] shape = a.shape();
        Tensor out = Tensor.zeros(shape);
        float[] o = out.data(), x = a.storage().hostArray();
        StridedLoop loop = new StridedLoop(shape, new int[][] {a.strides(), Shape.contiguousStrides(shape)}, new int[] {a.offset(), 0});
        int sa = loop.innerStride(0), n = loop.rowLength;
        boolean vec = Simd.ENABLED && sa == 1 && VectorKernels.supports(op);
        Parallel.forRange(loop.rows, n, row -> {
            int[] off = new int[2];
            loop.offsets(row, off);
            int i = vec ? VectorKernels.unary(op, x, off[0], o, off[1], n) : 0;
            for (; i < n; i++) o[off[1] + i] = op.apply(x[off[0] + i * sa]);
        });
        return out;
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b, int[] shape) {
        Tensor ea = a.expand(shape), eb = b.expand(shape);
        Tensor out = Tensor.zeros(shape);
        float[] o = out.data(), x = ea.storage().hostArray(), y = eb.storage().hostArray();
        StridedLoop loop = new StridedLoop(shape, new int[][] {ea.strides(), eb.strides(), Shape.contiguousStrides(shape)},
                new int[] {ea.offset(), eb.offset(), 0});
        int sa = loop.innerStride(0), sb = loop.innerStride(1), n = loop.rowLength;
        boolean vec = Simd.ENABLED && VectorKernels.supports(op) && (sa | sb) == 1 && sa >= 0 && sb >= 0 && sa <= 1 && sb <= 1;
        Parallel.forRange(loop.rows, n, row -> {
            int[] off = new int[3];
            loop.offsets(row, off);
            int i = vec ? VectorKernels.binary(op, x, off[0], sa, y, off[1], sb, o, off[2], n) : 0;
            for (; i < n; i++) o[off[2] + i] = op.apply(x[off[0] + i * sa], y[off[1] + i * sb]);
        });
        return out;
    }

    /** Contiguous copy of a strided view. */
    static Tensor copy(Tensor a) {
        Tensor out = Tensor.zeros(a.shape());
        copyInto(a, out);
        return out;
    }

    /** Writes the values of {@code src} into the (possibly strided) view {@code dst} of the same shape. */
    static void copyInto(Tensor src, Tensor dst) {
        float[] s = src.storage().hostArray(), d = dst.storage().hostArray();
        StridedLoop loop = new StridedLoop(src.shape(), new int[][] {src.strides(), dst.strides()}, new int[] {src.offset(), dst.offset()});
        int ss = loop.innerStride(0), ds = loop.innerStride(1), n = loop.rowLength;
        Parallel.forRange(loop.rows, n, row -> {
            int[] off = new int[2];
            loop.offsets(row, off);
            if (ss == 1 && ds == 1) System.arraycopy(s, off[0], d, off[1], n);
            else for (int i = 0; i < n; i++) d[off[1] + i * ds] = s[off[0] + i * ss];
        });
    }
}
