package org.alignguard.tensor.cpu;

import java.util.List;
import org.alignguard.tensor.Backend;
import org.alignguard.tensor.BinaryOp;
import org.alignguard.tensor.HeapStorage;
import org.alignguard.tensor.NormLayout;
import org.alignguard.tensor.ReduceOp;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Storage;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.UnaryOp;

/**
 * The default backend: plain Java on the heap, Vector API inner loops (see {@link Simd}), and
 * multi-threading over independent output rows (see {@link Parallel}).
 */
public final class CpuBackend implements Backend {

    @Override public String name() {
        return "cpu(threads=" + Parallel.THREADS + ", simd=" + (Simd.ENABLED ? VectorKernels.S.vectorBitSize() + "bit" : "off") + ")";
    }

    @Override public Storage allocate(int n) { return new HeapStorage(n); }

    @Override public Tensor contiguous(Tensor a) { return ElementwiseKernels.copy(a); }

    @Override public Tensor unary(UnaryOp op, Tensor a) { return ElementwiseKernels.unary(op, a); }

    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b, int[] outShape) {
        return ElementwiseKernels.binary(op, a, b, outShape);
    }

    @Override public Tensor reduce(ReduceOp op, Tensor a, int[] axes) {
        return ReduceKernels.reduce(op, a, axes);
    }

    @Override public Tensor matmul(Tensor a, Tensor b, int[] batchShape) {
        int nd = a.ndim(), m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
        int batch = Shape.numel(batchShape);
        int[] outShape = Shape.concat(batchShape, m, n);
        Tensor out = Tensor.zeros(outShape);
        float[] c = out.data(), as = a.storage().hostArray(), bs = b.storage().hostArray();
        int[] sa = a.strides(), sb = b.strides();
        int[] bStridesA = java.util.Arrays.copyOf(sa, nd - 2), bStridesB = java.util.Arrays.copyOf(sb, nd - 2);
        boolean inner = batch == 1;
        Parallel.forRange(batch, (long) m * n * k, bi -> {
            int oa = a.offset(), ob = b.offset(), rem = bi;
            for (int d = batchShape.length - 1; d >= 0; d--) {
                int i = rem % batchShape[d];
                rem /= batchShape[d];
                oa += i * bStridesA[d];
                ob += i * bStridesB[d];
            }
            Sgemm.gemm(m, n, k, as, oa, sa[nd - 2], sa[nd - 1], bs, ob, sb[nd - 2], sb[nd - 1], c, bi * m * n, n, false, inner);
        });
        return out;
    }

    /** The output starts as c (each row the bias, or a copy of c) and the GEMM accumulates into it. */
    @Override public Tensor addmm(Tensor c, Tensor a, Tensor b) {
        int m = a.dim(0), k = a.dim(1), n = b.dim(1);
        Tensor out = c.ndim() == 2 ? ElementwiseKernels.copy(c) : Tensor.zeros(m, n);
        float[] o = out.data();
        if (c.ndim() == 1) {
            float[] bias = Host.read(c);
            for (int i = 0; i < m; i++) System.arraycopy(bias, 0, o, i * n, n);
        }
        int[] sa = a.strides(), sb = b.strides();
        Sgemm.gemm(m, n, k, a.storage().hostArray(), a.offset(), sa[0], sa[1], b.storage().hostArray(), b.offset(), sb[0], sb[1], o, 0, n, true, true);
        return out;
    }

    @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        return Conv2dKernels.forward(x, w, bias, stride, padding);
    }

    @Override public Tensor conv2dGradInput(Tensor gradOut, Tensor w, int[] inputShape, int stride, int padding) {
        return Conv2dKernels.gradInput(gradOut, w, inputShape, stride, padding);
    }

    @Override public Tensor conv2dGradWeight(Tensor gradOut, Tensor x, int[] weightShape, int stride, int padding) {
        return Conv2dKernels.gradWeight(gradOut, x, weightShape, stride, padding);
    }

    @Override public Tensor upsampleNearest2x(Tensor x) {
        int[] s = x.shape();
        int planes = s[0] * s[1], h = s[2], w = s[3];
        float[] xs = Host.read(x);
        Tensor out = Tensor.zeros(s[0], s[1], 2 * h, 2 * w);
        float[] o = out.data();
        Parallel.forRange(planes, 4L * h * w, p -> {
            for (int i = 0; i < 2 * h; i++)
                for (int j = 0; j < 2 * w; j++) o[(p * 2 * h + i) * 2 * w + j] = xs[(p * h + i / 2) * w + j / 2];
        });
        return out;
    }

    @Override public Tensor sumPool2x(Tensor g) {
        int[] s = g.shape();
        int planes = s[0] * s[1], h = s[2] / 2, w = s[3] / 2;
        float[] gs = Host.read(g);
        Tensor out = Tensor.zeros(s[0], s[1], h, w);
        float[] o = out.data();
        Parallel.forRange(planes, 4L * h * w, p -> {
            for (int i = 0; i < 2 * h; i++)
                for (int j = 0; j < 2 * w; j++) o[(p * h + i / 2) * w + j / 2] += gs[(p * 2 * h + i) * 2 * w + j];
        });
        return out;
    }

    @Override public Tensor softmax(Tensor a, int axis, boolean log) {
        return SoftmaxKernels.forward(a, axis, log);
    }

    @Override public Tensor softmaxBackward(Tensor y, Tensor g, int axis, boolean log) {
        return SoftmaxKernels.backward(y, g, axis, log);
    }

    @Override public Tensor concat(List<Tensor> parts, int axis) {
        int[] shape = parts.get(0).shape();
        int total = 0;
        for (Tensor t : parts) total += t.dim(axis);
        shape[axis] = total;
        Tensor out = Tensor.zeros(shape);
        int start = 0;
        for (Tensor t : parts) {
            int len = t.dim(axis);
            Tensor dst = out.slice(axis, start, start + len);
            ElementwiseKernels.copyInto(t, dst);
            start += len;
        }
        return out;
    }

    @Override public Tensor indexSelect(Tensor table, int[] indices, int[] indexShape) {
        int cols = table.dim(1);
        float[] t = Host.read(table);
        Tensor out = Tensor.zeros(Shape.concat(indexShape, cols));
        float[] o = out.data();
        for (int i = 0; i < indices.length; i++) System.arraycopy(t, indices[i] * cols, o, i * cols, cols);
        return out;
    }

    @Override public Tensor indexAdd(Tensor grad, int[] indices, int rows) {
        int cols = grad.dim(-1);
        float[] g = Host.read(grad);
        Tensor out = Tensor.zeros(rows, cols);
        float[] o = out.data();
        for (int i = 0; i < indices.length; i++) Simd.axpy(1f, g, i * cols, o, indices[i] * cols, cols);
        return out;
    }

    @Override public NormResult groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps) {
        return NormKernels.forward(x, NormLayout.group(x.shape(), groups), gamma, beta, eps);
    }

    @Override public Tensor[] groupNormBackward(Tensor x, Tensor gradY, NormResult saved, int groups, Tensor gamma) {
        return NormKernels.backward(x, gradY, saved, NormLayout.group(x.shape(), groups), gamma, gamma != null, x.dim(1));
    }

    @Override public NormResult layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return NormKernels.forward(x, NormLayout.layer(x.shape()), gamma, beta, eps);
    }

    @Override public Tensor[] layerNormBackward(Tensor x, Tensor gradY, NormResult saved, Tensor gamma) {
        return NormKernels.backward(x, gradY, saved, NormLayout.layer(x.shape()), gamma, gamma != null, x.dim(-1));
    }

    /** The moments are the optimizer's own arrays, updated in place; only the new weights are a fresh array. */
    @Override public Tensor[] adamw(Tensor w, Tensor g, Tensor m, Tensor v, float beta1, float beta2, float eps, float stepSize, float bc2Sqrt, float decay) {
        float[] wt = w.toArray(), gt = Host.read(g), mt = Host.read(m), vt = Host.read(v);
        for (int i = 0; i < wt.length; i++) {
            mt[i] = beta1 * mt[i] + (1 - beta1) * gt[i];
            vt[i] = beta2 * vt[i] + (1 - beta2) * gt[i] * gt[i];
            float denom = (float) Math.sqrt(vt[i]) / bc2Sqrt + eps;
            wt[i] = wt[i] * decay - stepSize * mt[i] / denom;
        }
        int[] s = w.shape();
        return new Tensor[] {Tensor.of(wt, s), Tensor.of(mt, s), Tensor.of(vt, s)};
    }

    @Override public double sumOfSquares(List<Tensor> tensors) {
        double sq = 0;
        for (Tensor t : tensors)
            for (float x : Host.read(t)) sq += (double) x * x;
        return sq;
    }
}
