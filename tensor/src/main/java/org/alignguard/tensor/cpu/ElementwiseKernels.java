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
        int parts = parts(loop);
        if (parts == 1) {
            // Whole rows per thread, walked with a cursor: many short rows cost little more than their elements.
            Parallel.forChunks(loop.rows, n, (r0, r1) -> {
                StridedLoop.Cursor c = loop.new Cursor(r0);
                for (int r = r0; r < r1; r++, c.next()) {
                    int xa = c.off[0], oa = c.off[1];
                    int i = vec ? VectorKernels.unary(op, x, xa, o, oa, n) : 0;
                    for (; i < n; i++) o[oa + i] = op.apply(x[xa + i * sa]);
                }
            });
            return out;
        }
        Parallel.forRange(loop.rows * parts, (long) n / parts, seg -> {
            int[] off = new int[2];
            loop.offsets(seg / parts, off);
            int from = pieceStart(n, seg % parts, parts), len = pieceStart(n, seg % parts + 1, parts) - from;
            int xa = off[0] + from * sa, oa = off[1] + from;
            int i = vec ? VectorKernels.unary(op, x, xa, o, oa, len) : 0;
            for (; i < len; i++) o[oa + i] = op.apply(x[xa + i * sa]);
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
        int parts = parts(loop);
        if (parts == 1) {
            // Whole rows per thread, walked with a cursor: a [16, 64, 4, 4] + [16, 64, 1, 1] add has
            // 1,024 rows of 16, and working out each row's offsets anew cost more than adding them.
            Parallel.forChunks(loop.rows, n, (r0, r1) -> {
                StridedLoop.Cursor c = loop.new Cursor(r0);
                for (int r = r0; r < r1; r++, c.next()) {
                    int xa = c.off[0], ya = c.off[1], oa = c.off[2];
                    int i = vec ? VectorKernels.binary(op, x, xa, sa, y, ya, sb, o, oa, n) : 0;
                    for (; i < n; i++) o[oa + i] = op.apply(x[xa + i * sa], y[ya + i * sb]);
                }
            });
            return out;
        }
        Parallel.forRange(loop.rows * parts, (long) n / parts, seg -> {
            int[] off = new int[3];
            loop.offsets(seg / parts, off);
            int from = pieceStart(n, seg % parts, parts), len = pieceStart(n, seg % parts + 1, parts) - from;
            int xa = off[0] + from * sa, ya = off[1] + from * sb, oa = off[2] + from;
            int i = vec ? VectorKernels.binary(op, x, xa, sa, y, ya, sb, o, oa, len) : 0;
            for (; i < len; i++) o[oa + i] = op.apply(x[xa + i * sa], y[ya + i * sb]);
        });
        return out;
    }

    /**
     * Pieces each row is cut into so that every thread gets work: a contiguous tensor is one long
     * row, which would otherwise run on one thread. Element-wise work has no sums, so the pieces
     * give the same bits as one loop.
     */
    static int parts(StridedLoop loop) {
        if (loop.rows >= Parallel.THREADS || loop.rowLength < 16_384) return 1;
        return Math.min((Parallel.THREADS + loop.rows - 1) / loop.rows, loop.rowLength / 8_192);
    }

    /** Where piece k of {@code parts} starts in a row of n elements. */
    private static int pieceStart(int n, int k, int parts) {
        return (int) ((long) n * k / parts);
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
        int parts = parts(loop);
        if (parts == 1) {
            // Whole rows per thread, walked with a cursor: many short rows (a permuted [B, N, h, d]
            // view has rows of d values) cost little more than their copies.
            Parallel.forChunks(loop.rows, n, (r0, r1) -> {
                StridedLoop.Cursor c = loop.new Cursor(r0);
                for (int r = r0; r < r1; r++, c.next()) {
                    int sa = c.off[0], da = c.off[1];
                    if (ss == 1 && ds == 1) System.arraycopy(s, sa, d, da, n);
                    else for (int i = 0; i < n; i++) d[da + i * ds] = s[sa + i * ss];
                }
            });
            return;
        }
        Parallel.forRange(loop.rows * parts, (long) n / parts, seg -> {
            int[] off = new int[2];
            loop.offsets(seg / parts, off);
            int from = pieceStart(n, seg % parts, parts), len = pieceStart(n, seg % parts + 1, parts) - from;
            int sa = off[0] + from * ss, da = off[1] + from * ds;
            if (ss == 1 && ds == 1) System.arraycopy(s, sa, d, da, len);
            else for (int i = 0; i < len; i++) d[da + i * ds] = s[sa + i * ss];
        });
    }
}
