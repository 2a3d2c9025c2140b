package org.alignguard.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional float32 array: a view (shape, strides, offset) onto a {@link Storage}.
 *
 * <p>Reshape (of contiguous data), permute, transpose, slice, expand and broadcast return views that
 * share storage. Every computing op validates its arguments here, with a message that names the op
 * and the shapes, then hands the work to the current {@link Backend}. Tensors are immutable from the
 * point of view of the ops: each op returns a new tensor.
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    public Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        if (shape.length != strides.length)
            throw new IllegalArgumentException("shape " + Shape.str(shape) + " and strides " + Shape.str(strides) + " differ in rank");
        this.storage = storage;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
    }

    // ---------------------------------------------------------------- creation

    /** A contiguous tensor over the given data (not copied). */
    public static Tensor of(float[] data, int... shape) {
        if (Shape.numel(shape) != data.length)
            throw new IllegalArgumentException("of: " + data.length + " values do not fill shape " + Shape.str(shape));
        return new Tensor(new HeapStorage(data), shape, Shape.contiguousStrides(shape), 0);
    }

    public static Tensor scalar(float v) {
        return of(new float[] {v});
    }

    public static Tensor zeros(int... shape) {
        int n = Shape.numel(shape);
        return new Tensor(Backends.get().allocate(n), shape, Shape.contiguousStrides(shape), 0);
    }

    public static Tensor full(float value, int... shape) {
        float[] d = new float[Shape.numel(shape)];
        Arrays.fill(d, value);
        return of(d, shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    /** 0, 1, ..., n-1. */
    public static Tensor arange(int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = i;
        return of(d, n);
    }

    /** Uniform in [0, 1), drawn in order from {@code rng}. */
    public static Tensor rand(Rng rng, int... shape) {
        float[] d = new float[Shape.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = rng.nextFloat();
        return of(d, shape);
    }

    /** Standard normal, drawn in order from {@code rng}. */
    public static Tensor randn(Rng rng, int... shape) {
        float[] d = new float[Shape.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = (float) rng.nextGaussian();
        return of(d, shape);
    }

    // ---------------------------------------------------------------- layout

    public Storage storage() { return storage; }
    public int[] shape() { return shape.clone(); }
    public int[] strides() { return strides.clone(); }
    public int offset() { return offset; }
    public int ndim() { return shape.length; }
    public int numel() { return Shape.numel(shape); }

    /** Size of one dim; negative axes count from the end. */
    public int dim(int axis) {
        return shape[Shape.axis("dim", axis, shape)];
    }

    public int stride(int axis) {
        return strides[Shape.axis("stride", axis, shape)];
    }

    public boolean isContiguous() {
        if (numel() == 0) return true;
        int expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    /** This tensor if it is contiguous, else a contiguous copy. */
    public Tensor contiguous() {
        return isContiguous() ? this : Backends.get().contiguous(this);
    }

    /** The values in row-major order, always a fresh array. */
    public float[] toArray() {
        if (!isContiguous()) return Backends.get().contiguous(this).storage.hostArray();   // already a fresh exact copy
        return Arrays.copyOfRange(storage.hostArray(), offset, offset + numel());
    }

    /**
     * The backing array of a contiguous tensor that starts at offset 0 and fills its storage, for
     * kernels and I/O that want to avoid a copy. Throws otherwise.
     */
    public float[] data() {
        if (!isContiguous() || offset != 0 || storage.length() != numel())
            throw new IllegalStateException("data(): tensor is a view; call contiguous().toArray() instead");
        return storage.hostArray();
    }

    public float get(int... index) {
        if (index.length != shape.length)
            throw new IllegalArgumentException("get: index of rank " + index.length + " for shape " + Shape.str(shape));
        int p = offset;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i])
                throw new IndexOutOfBoundsException("get: index " + Arrays.toString(index) + " out of shape " + Shape.str(shape));
            p += index[i] * strides[i];
        }
        return storage.hostArray()[p];
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new IllegalStateException("item: tensor of shape " + Shape.str(shape) + " has " + numel() + " elements");
        return storage.hostArray()[offset];
    }

    // ---------------------------------------------------------------- views

    /** Same data, new shape; one dim may be -1. A view when contiguous, otherwise a copy. */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1, known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: more than one -1 in " + Shape.str(newShape));
                infer = i;
            } else known *= s[i];
        }
        if (infer >= 0) {
            if (known == 0 || numel() % known != 0)
                throw new IllegalArgumentException("reshape: cannot reshape " + Shape.str(shape) + " into " + Shape.str(newShape));
            s[infer] = numel() / known;
        }
        if (Shape.numel(s) != numel())
            throw new IllegalArgumentException("reshape: cannot reshape " + Shape.str(shape) + " (" + numel() + " elements) into " + Shape.str(newShape));
        Tensor c = contiguous();
        return new Tensor(c.storage, s, Shape.contiguousStrides(s), c.offset);
    }

    /** Reorders the dims: result dim i is this tensor's dim {@code order[i]}. Always a view. */
    public Tensor permute(int... order) {
        if (order.length != shape.length)
            throw new IllegalArgumentException("permute: order " + Arrays.toString(order) + " for shape " + Shape.str(shape));
        int[] s = new int[order.length], st = new int[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            int a = Shape.axis("permute", order[i], shape);
            if (seen[a]) throw new IllegalArgumentException("permute: axis " + a + " repeated in " + Arrays.toString(order));
            seen[a] = true;
            s[i] = shape[a];
            st[i] = strides[a];
        }
        return new Tensor(storage, s, st, offset);
    }

    /** Swaps two dims (a view). */
    public Tensor transpose(int a, int b) {
        return permute(Shape.swapOrder("transpose", shape, a, b));
    }

    /** Every element limited to [lo, hi]. */
    public Tensor clamp(float lo, float hi) {
        return binary(BinaryOp.MAXIMUM, scalar(lo)).binary(BinaryOp.MINIMUM, scalar(hi));
    }

    /** Elements {@code start <= i < end} along one axis (a view). */
    public Tensor slice(int axis, int start, int end) {
        int a = Shape.axis("slice", axis, shape);
        if (start < 0 || end > shape[a] || start > end)
            throw new IllegalArgumentException("slice: range [" + start + ", " + end + ") out of dim " + a + " of shape " + Shape.str(shape));
        int[] s = shape.clone();
        s[a] = end - start;
        return new Tensor(storage, s, strides, offset + start * strides[a]);
    }

    /** Broadcasts to a larger shape with zero strides (a view). */
    public Tensor expand(int... target) {
        int[] b = Shape.broadcast("expand", shape, target);
        if (!Arrays.equals(b, target))
            throw new IllegalArgumentException("expand: shape " + Shape.str(shape) + " cannot be expanded to " + Shape.str(target));
        int[] st = new int[target.length];
        int lead = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            int j = i - lead;
            st[i] = j < 0 || shape[j] == 1 && target[i] != 1 ? 0 : strides[j];
        }
        return new Tensor(storage, target, st, offset);
    }

    /** Inserts a size-1 dim at {@code axis} (a view). */
    public Tensor unsqueeze(int axis) {
        int a = axis < 0 ? axis + shape.length + 1 : axis;
        if (a < 0 || a > shape.length) throw new IllegalArgumentException("unsqueeze: axis " + axis + " for shape " + Shape.str(shape));
        int[] s = new int[shape.length + 1], st = new int[shape.length + 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i == a) { s[i] = 1; st[i] = 0; }
            else { s[i] = shape[j]; st[i] = strides[j]; j++; }
        }
        return new Tensor(storage, s, st, offset);
    }

    /** Removes a size-1 dim (a view). */
    public Tensor squeeze(int axis) {
        int a = Shape.axis("squeeze", axis, shape);
        if (shape[a] != 1) throw new IllegalArgumentException("squeeze: dim " + a + " of shape " + Shape.str(shape) + " is not 1");
        int[] s = new int[shape.length - 1], st = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != a) { s[j] = shape[i]; st[j++] = strides[i]; }
        return new Tensor(storage, s, st, offset);
    }

    /** Splits into pieces of the given sizes along an axis (views). */
    public List<Tensor> split(int axis, int... sizes) {
        int a = Shape.axis("split", axis, shape);
        int total = 0;
        for (int s : sizes) total += s;
        if (total != shape[a])
            throw new IllegalArgumentException("split: sizes " + Arrays.toString(sizes) + " do not sum to dim " + a + " of shape " + Shape.str(shape));
        List<Tensor> out = new ArrayList<>();
        int start = 0;
        for (int s : sizes) {
            out.add(slice(a, start, start + s));
            start += s;
        }
        return out;
    }

    // ---------------------------------------------------------------- element-wise

    public Tensor unary(UnaryOp op) { return Backends.get().unary(op, this); }

    public Tensor binary(BinaryOp op, Tensor other) {
        int[] out = Shape.broadcast(op.name().toLowerCase(), shape, other.shape);
        return Backends.get().binary(op, this, other, out);
    }

    public Tensor add(Tensor o) { return binary(BinaryOp.ADD, o); }
    public Tensor sub(Tensor o) { return binary(BinaryOp.SUB, o); }
    public Tensor mul(Tensor o) { return binary(BinaryOp.MUL, o); }
    public Tensor div(Tensor o) { return binary(BinaryOp.DIV, o); }
    public Tensor add(float s) { return add(scalar(s)); }
    public Tensor mul(float s) { return mul(scalar(s)); }
    public Tensor neg() { return unary(UnaryOp.NEG); }
    public Tensor exp() { return unary(UnaryOp.EXP); }
    public Tensor log() { return unary(UnaryOp.LOG); }
    public Tensor sqrt() { return unary(UnaryOp.SQRT); }
    public Tensor tanh() { return unary(UnaryOp.TANH); }
    public Tensor sigmoid() { return unary(UnaryOp.SIGMOID); }
    public Tensor silu() { return unary(UnaryOp.SILU); }
    public Tensor gelu() { return unary(UnaryOp.GELU); }
    public Tensor relu() { return unary(UnaryOp.RELU); }

    // ---------------------------------------------------------------- reductions

    /** Reduces over {@code axes} (all axes if none given). */
    public Tensor reduce(ReduceOp op, boolean keepdim, int... axes) {
        String name = op.name().toLowerCase();
        boolean[] red = new boolean[shape.length];
        if (axes.length == 0) Arrays.fill(red, true);
        for (int ax : axes) {
            int a = Shape.axis(name, ax, shape);
            if (red[a] && axes.length > 0) throw new IllegalArgumentException(name + ": axis " + ax + " given twice");
            red[a] = true;
        }
        int n = 0;
        for (boolean r : red) if (r) n++;
        int[] sorted = new int[n];
        for (int i = 0, j = 0; i < red.length; i++) if (red[i]) sorted[j++] = i;
        if (op == ReduceOp.MAX) for (int a : sorted)
            if (shape[a] == 0) throw new IllegalArgumentException("max: cannot reduce empty dim " + a + " of shape " + Shape.str(shape));
        Tensor r = Backends.get().reduce(op, this, sorted);
        if (keepdim) return r;
        int[] s = new int[shape.length - n];
        for (int i = 0, j = 0; i < shape.length; i++) if (!red[i]) s[j++] = shape[i];
        return r.reshape(s);
    }

    public Tensor sum(boolean keepdim, int... axes) { return reduce(ReduceOp.SUM, keepdim, axes); }
    public Tensor max(boolean keepdim, int... axes) { return reduce(ReduceOp.MAX, keepdim, axes); }

    public Tensor mean(boolean keepdim, int... axes) {
        Tensor s = sum(keepdim, axes);
        return s.mul(1f / Math.max(1, numel() / Math.max(1, s.numel())));
    }

    // ---------------------------------------------------------------- linear algebra and conv

    /** Matrix product; 1-D operands are not promoted, both must be at least 2-D. Batch dims broadcast. */
    public Tensor matmul(Tensor b) {
        if (ndim() < 2 || b.ndim() < 2)
            throw new IllegalArgumentException("matmul: operands must be at least 2-D, got " + Shape.str(shape) + " and " + Shape.str(b.shape));
        int k = dim(-1);
        if (b.dim(-2) != k)
            throw new IllegalArgumentException("matmul: inner dims differ, " + Shape.str(shape) + " @ " + Shape.str(b.shape));
        int[] batchA = Arrays.copyOf(shape, ndim() - 2), batchB = Arrays.copyOf(b.shape, b.ndim() - 2);
        int[] batch = Shape.broadcast("matmul", batchA, batchB);
        Tensor ea = expand(Shape.concat(batch, dim(-2), k));
        Tensor eb = b.expand(Shape.concat(batch, k, b.dim(-1)));
        return Backends.get().matmul(ea, eb, batch);
    }

    /** c + a·b for 2-D a [m, k], b [k, n] and c [n] or [m, n] (PyTorch's {@code addmm}). */
    public static Tensor addmm(Tensor c, Tensor a, Tensor b) {
        if (a.ndim() != 2 || b.ndim() != 2 || a.dim(1) != b.dim(0))
            throw new IllegalArgumentException("addmm: need a [m, k] and b [k, n], got " + Shape.str(a.shape) + " and " + Shape.str(b.shape));
        int m = a.dim(0), n = b.dim(1);
        if (!(c.ndim() == 1 && c.dim(0) == n) && !(c.ndim() == 2 && c.dim(0) == m && c.dim(1) == n))
            throw new IllegalArgumentException("addmm: c must be [" + n + "] or [" + m + ", " + n + "], got " + Shape.str(c.shape));
        return Backends.get().addmm(c, a, b);
    }

    /** 2-D convolution (cross-correlation) of an NCHW tensor; {@code bias} may be null. */
    public Tensor conv2d(Tensor w, Tensor bias, int stride, int padding) {
        checkConv(shape, w.shape, stride, padding);
        if (bias != null && (bias.ndim() != 1 || bias.dim(0) != w.dim(0)))
            throw new IllegalArgumentException("conv2d: bias " + Shape.str(bias.shape) + " does not match weight " + Shape.str(w.shape));
        return Backends.get().conv2d(this, w, bias, stride, padding);
    }

    /** Validates conv2d shapes and returns the output shape. */
    public static int[] checkConv(int[] x, int[] w, int stride, int padding) {
        if (x.length != 4 || w.length != 4)
            throw new IllegalArgumentException("conv2d: need NCHW input and [Cout,Cin,kh,kw] weight, got " + Shape.str(x) + " and " + Shape.str(w));
        if (x[1] != w[1])
            throw new IllegalArgumentException("conv2d: input " + Shape.str(x) + " has " + x[1] + " channels but weight " + Shape.str(w) + " expects " + w[1]);
        if (stride < 1 || padding < 0)
            throw new IllegalArgumentException("conv2d: stride " + stride + " and padding " + padding + " must be >= 1 and >= 0");
        int oh = (x[2] + 2 * padding - w[2]) / stride + 1, ow = (x[3] + 2 * padding - w[3]) / stride + 1;
        if (oh <= 0 || ow <= 0)
            throw new IllegalArgumentException("conv2d: kernel " + Shape.str(w) + " larger than padded input " + Shape.str(x));
        return new int[] {x[0], w[0], oh, ow};
    }

    /** Nearest-neighbour 2x upsample of an NCHW tensor. */
    public Tensor upsampleNearest2x() {
        if (ndim() != 4) throw new IllegalArgumentException("upsample: need an NCHW tensor, got " + Shape.str(shape));
        return Backends.get().upsampleNearest2x(this);
    }

    // ---------------------------------------------------------------- softmax, joins, gather

    public Tensor softmax(int axis) {
        return Backends.get().softmax(this, Shape.axis("softmax", axis, shape), false);
    }

    public Tensor logSoftmax(int axis) {
        return Backends.get().softmax(this, Shape.axis("log_softmax", axis, shape), true);
    }

    /** Joins tensors along an axis; all other dims must match. */
    public static Tensor concat(List<Tensor> parts, int axis) {
        if (parts.isEmpty()) throw new IllegalArgumentException("concat: no tensors given");
        int[] first = parts.get(0).shape;
        int a = Shape.axis("concat", axis, first);
        for (Tensor t : parts) {
            boolean ok = t.shape.length == first.length;
            for (int i = 0; ok && i < first.length; i++) ok = i == a || t.shape[i] == first[i];
            if (!ok) throw new IllegalArgumentException("concat: shape " + Shape.str(t.shape) + " does not match " + Shape.str(first) + " outside axis " + a);
        }
        return Backends.get().concat(parts, a);
    }

    /** Embedding lookup: rows of this [rows, cols] table; result shape indexShape + [cols]. */
    public Tensor indexSelect(int[] indices, int... indexShape) {
        if (ndim() != 2) throw new IllegalArgumentException("index_select: table must be 2-D, got " + Shape.str(shape));
        if (Shape.numel(indexShape) != indices.length)
            throw new IllegalArgumentException("index_select: " + indices.length + " indices do not fill shape " + Shape.str(indexShape));
        for (int i : indices)
            if (i < 0 || i >= shape[0]) throw new IndexOutOfBoundsException("index_select: index " + i + " out of range for table " + Shape.str(shape));
        return Backends.get().indexSelect(this, indices, indexShape);
    }

    @Override
    public String toString() {
        float[] v = toArray();
        String vals = v.length <= 8 ? Arrays.toString(v) : Arrays.toString(Arrays.copyOf(v, 8)).replace("]", ", ...]");
        return "Tensor" + Shape.str(shape) + " " + vals;
    }
}
