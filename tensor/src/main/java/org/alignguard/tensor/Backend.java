package org.alignguard.tensor;

import java.util.List;

/**
 * Every tensor op goes through a backend. The CPU backend ({@code cpu.CpuBackend}) is the default;
 * a GPU backend implements the same interface over device-resident {@link Storage}, so model code
 * does not change when the backend does.
 *
 * <p>Arguments are validated by {@link Tensor} before they get here: shapes are compatible, axes are
 * normalized to 0..ndim-1. Inputs may be arbitrary strided views; outputs are new contiguous tensors.
 */
public interface Backend {
    String name();

    /** A fresh zero-filled storage of {@code n} floats. */
    Storage allocate(int n);

    /** Copy of {@code a} into new contiguous storage. */
    Tensor contiguous(Tensor a);

    Tensor unary(UnaryOp op, Tensor a);

    /** Element-wise op with NumPy broadcasting; {@code outShape} is the broadcast shape. */
    Tensor binary(BinaryOp op, Tensor a, Tensor b, int[] outShape);

    /** Reduce over the given axes (sorted, distinct, in range), keeping them as size-1 dims. */
    Tensor reduce(ReduceOp op, Tensor a, int[] axes);

    /**
     * Batched matrix product: {@code a} is [..., M, K], {@code b} is [..., K, N] with batch dims
     * already broadcast to {@code batchShape}. Result is [batchShape..., M, N].
     */
    Tensor matmul(Tensor a, Tensor b, int[] batchShape);

    /**
     * c + a·b for 2-D a [m, k] and b [k, n], with c [n] (a bias, added to every row) or [m, n]: one
     * pass over the output instead of a product and then an add.
     */
    Tensor addmm(Tensor c, Tensor a, Tensor b);

    /** 2-D cross-correlation, NCHW input, [Cout, Cin, kh, kw] weight, optional [Cout] bias. */
    Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding);

    /** Gradient of conv2d with respect to its input. */
    Tensor conv2dGradInput(Tensor gradOut, Tensor w, int[] inputShape, int stride, int padding);

    /** Gradient of conv2d with respect to its weight. */
    Tensor conv2dGradWeight(Tensor gradOut, Tensor x, int[] weightShape, int stride, int padding);

    /** Nearest-neighbour 2x upsample of an NCHW tensor. */
    Tensor upsampleNearest2x(Tensor x);

    /** Backward of the 2x nearest upsample: sums each 2x2 block. */
    Tensor sumPool2x(Tensor g);

    /** Softmax (or log-softmax) along {@code axis}. */
    Tensor softmax(Tensor a, int axis, boolean log);

    /** Backward of softmax given its output {@code y} and upstream gradient {@code g}. */
    Tensor softmaxBackward(Tensor y, Tensor g, int axis, boolean log);

    /** Concatenation along an axis; all other dims already checked equal. */
    Tensor concat(List<Tensor> parts, int axis);

    /** Rows of a 2-D table picked by index: result shape is indexShape + [table.dim(1)]. */
    Tensor indexSelect(Tensor table, int[] indices, int[] indexShape);

    /** Backward of indexSelect: scatter-adds the rows of {@code grad} into a [rows, cols] zero table. */
    Tensor indexAdd(Tensor grad, int[] indices, int rows);

    /**
     * Group normalization of an [N, C, ...] tensor in {@code groups} groups, with optional per-channel
     * affine {@code gamma} and {@code beta}. Returns y plus the per-(n, group) mean and 1/std, which
     * the backward reuses.
     */
    NormResult groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps);

    /** Backward of group norm: gradients for x, gamma and beta (the last two null if absent). */
    Tensor[] groupNormBackward(Tensor x, Tensor gradY, NormResult saved, int groups, Tensor gamma);

    /** Layer normalization over the last dim, with optional affine parameters of that size. */
    NormResult layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps);

    /** Backward of layer norm: gradients for x, gamma and beta. */
    Tensor[] layerNormBackward(Tensor x, Tensor gradY, NormResult saved, Tensor gamma);

    /**
     * One AdamW step (Loshchilov and Hutter 2019, Algorithm 2) of parameter {@code w} with gradient
     * {@code g} and moments {@code m}, {@code v}, all the same shape; returns {w, m, v} updated (the
     * moments may be updated in place). {@code stepSize} is lr / (1 − β1^t), {@code bc2Sqrt} is
     * sqrt(1 − β2^t), {@code decay} is 1 − lr·λ. A device backend keeps parameters and moments there.
     */
    Tensor[] adamw(Tensor w, Tensor g, Tensor m, Tensor v, float beta1, float beta2, float eps, float stepSize, float bc2Sqrt, float decay);

    /** Σ x² over all elements of all the tensors (for gradient clipping), summed in double. */
    double sumOfSquares(List<Tensor> tensors);

    /** Launch and host<->device transfer counts of a device backend; the CPU backend has none. */
    default DeviceStats stats() {
        return DeviceStats.NONE;
    }

    /**
     * Output of a normalization plus the statistics its backward needs, one per row: tensors, so that a
     * device backend keeps them on the device.
     */
    record NormResult(Tensor y, Tensor mean, Tensor rstd) {}
}
