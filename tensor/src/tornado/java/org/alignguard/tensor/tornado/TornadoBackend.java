package org.alignguard.tensor.tornado;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import org.alignguard.tensor.Backend;
import org.alignguard.tensor.BinaryOp;
import org.alignguard.tensor.DeviceStats;
import org.alignguard.tensor.HeapStorage;
import org.alignguard.tensor.NormLayout;
import org.alignguard.tensor.ReduceOp;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Storage;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.UnaryOp;
import org.alignguard.tensor.cpu.CpuBackend;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The TornadoVM backend: tensors live in a device arena ({@link DeviceArena}) and ops are OpenCL (or
 * PTX) kernels that TornadoVM compiles from the Java in this package. Data crosses to the host only
 * when the host reads it.
 *
 * <p>Inputs may be device tensors (results of earlier ops) or host tensors ({@code Tensor.of},
 * weights loaded from a file). A host tensor is uploaded once and the device copy is kept for as long
 * as its host storage lives (a weak map), on the rule every op here keeps: a host array that was
 * handed to an op is not written afterwards. A one-element host tensor in a binary op (the scalar of
 * {@code x.mul(0.5f)}) is passed as a kernel parameter instead.
 *
 * <p>Ops without a device kernel yet run on the {@link CpuBackend} (their inputs are downloaded, their
 * output uploaded when a kernel next reads it); {@link DeviceStats#fallbacks()} counts them.
 *
 * <p>System properties: {@code alignguard.tornado.arenaMB} (device memory for tensors, default 1024).
 */
public final class TornadoBackend implements Backend {
    private final DeviceArena arena;
    private final CpuBackend cpu = new CpuBackend();
    private final Map<Storage, DeviceStorage> uploaded = Collections.synchronizedMap(new WeakHashMap<>());

    public TornadoBackend() {
        // A kernel that fails to compile must be an error, not a silent run of the Java code on the CPU.
        if (System.getProperty("tornado.recover.bailout") == null) System.setProperty("tornado.recover.bailout", "False");
        int mb = Integer.getInteger("alignguard.tornado.arenaMB", 1024);
        // The kernels index the arena with int: at most 2^31 - 1 floats, just under 8 GB.
        if (mb < 1 || mb > 8191)
            throw new org.alignguard.tensor.BackendUnavailableException("backend 'tornado': -Dalignguard.tornado.arenaMB must be 1..8191, got " + mb);
        arena = DeviceArena.open(mb * (1 << 18));
    }

    @Override public String name() { return "tornado(" + arena.deviceName() + ")"; }

    @Override public DeviceStats stats() { return arena.stats(); }

    @Override public Storage allocate(int n) { return DeviceStorage.onHost(arena, n); }

    // ------------------------------------------------------------------ placement

    /** The arena index of a tensor's element 0, uploading a host tensor first (once). */
    private int at(Tensor t) {
        Storage s = t.storage();
        DeviceStorage d;
        if (s instanceof DeviceStorage ds) d = ds;
        else {
            d = uploaded.get(s);
            if (d == null) {
                float[] h = s.hostArray();
                d = DeviceStorage.onDevice(arena, h.length);
                arena.upload(h, 0, h.length, d.deviceBase());
                uploaded.put(s, d);
            }
        }
        return d.deviceBase() + t.offset();
    }

    private Tensor newTensor(int... shape) {
        return new Tensor(DeviceStorage.onDevice(arena, Shape.numel(shape)), shape, Shape.contiguousStrides(shape), 0);
    }

    private static boolean hostScalar(Tensor t) {
        return t.numel() == 1 && t.storage() instanceof HeapStorage;
    }

    // ------------------------------------------------------------------ element-wise

    /** out[view] = f(a, b) over {@code shape}; a and b broadcast to it, b may be null (unary, copy). */
    private void elementwise(int op, Tensor a, Tensor b, Tensor out) {
        if (out.numel() == 0) return;
        synchronized (arena) {
            elementwiseTask(arena.elementwise, op, a, b, out);
            arena.launch(arena.elementwise);
        }
    }

    /** Sets the parameters and grid of an element-wise task (alone or in a group) for a non-empty out. */
    private void elementwiseTask(DeviceArena.Slot slot, int op, Tensor a, Tensor b, Tensor out) {
        int[] shape = out.shape();
        int n = Shape.numel(shape), D = ElementwiseKernel.DIMS;
        boolean aScalar = hostScalar(a) && b != null, bScalar = b != null && hostScalar(b);
        int oa = aScalar ? 0 : at(a), ob = b == null || bScalar ? 0 : at(b), oo = at(out);
        int[][] st = {broadcastStrides(out, shape), aScalar ? new int[shape.length] : broadcastStrides(a, shape),
                b == null || bScalar ? new int[shape.length] : broadcastStrides(b, shape)};
        // Merge dims that are back to back in all three views; size-1 dims never move an index.
        int[] ms = new int[shape.length];
        int[][] mst = new int[3][shape.length];
        int nd = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) continue;
            boolean merge = nd > 0;
            for (int v = 0; v < 3 && merge; v++) merge = mst[v][nd - 1] == st[v][d] * shape[d];
            if (merge) {
                ms[nd - 1] *= shape[d];
                for (int v = 0; v < 3; v++) mst[v][nd - 1] = st[v][d];
            } else {
                ms[nd] = shape[d];
                for (int v = 0; v < 3; v++) mst[v][nd] = st[v][d];
                nd++;
            }
        }
        if (nd > D) throw new IllegalArgumentException("tornado: element-wise op over more than " + D + " dims that cannot be merged");
        synchronized (arena) {
            IntArray ip = slot.ip;
            ip.set(ElementwiseKernel.N, n);
            ip.set(ElementwiseKernel.OP, op);
            ip.set(ElementwiseKernel.NDIM, nd);
            ip.set(ElementwiseKernel.OUT, oo);
            ip.set(ElementwiseKernel.A, oa);
            ip.set(ElementwiseKernel.B, ob);
            int lead = D - nd;
            for (int d = 0; d < D; d++) {
                boolean real = d >= lead;
                ip.set(ElementwiseKernel.SHAPE + d, real ? ms[d - lead] : 1);
                ip.set(ElementwiseKernel.OUT + 1 + d, real ? mst[0][d - lead] : 0);
                ip.set(ElementwiseKernel.A + 1 + d, real ? mst[1][d - lead] : 0);
                ip.set(ElementwiseKernel.B + 1 + d, real ? mst[2][d - lead] : 0);
            }
            ip.set(ElementwiseKernel.A_SCALAR, aScalar ? 1 : 0);
            ip.set(ElementwiseKernel.B_SCALAR, bScalar ? 1 : 0);
            if (aScalar) slot.fp.set(1, a.item());
            if (bScalar) slot.fp.set(0, b.item());
            DeviceArena.grid1d(slot, n);
        }
    }

    /** The strides of {@code t} broadcast to {@code shape}: 0 along dims it lacks or has as 1. */
    private static int[] broadcastStrides(Tensor t, int[] shape) {
        int[] s = new int[shape.length];
        for (int d = 0; d < shape.length; d++) {
            int td = d - (shape.length - t.ndim());
            if (td >= 0 && t.dim(td) != 1) s[d] = t.stride(td);
        }
        return s;
    }

    @Override public Tensor contiguous(Tensor a) {
        Tensor out = newTensor(a.shape());
        elementwise(ElementwiseKernel.COPY, a, null, out);
        return out;
    }

    @Override public Tensor unary(UnaryOp op, Tensor a) {
        Tensor out = newTensor(a.shape());
        elementwise(op.ordinal(), a, null, out);
        return out;
    }

    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b, int[] outShape) {
        Tensor out = newTensor(outShape);
        elementwise(ElementwiseKernel.BINARY + op.ordinal(), a, b, out);
        return out;
    }

    // ------------------------------------------------------------------ reductions and softmax

    @Override public Tensor reduce(ReduceOp op, Tensor a, int[] axes) {
        int nd = a.ndim();
        int[] shape = a.shape(), outShape = shape.clone();
        boolean[] red = new boolean[nd];
        int runLen = 1;
        for (int ax : axes) { red[ax] = true; outShape[ax] = 1; runLen *= shape[ax]; }
        if (a.numel() == 0 || runLen == 0) return fallback().reduce(op, a, axes);
        int[] order = new int[nd];
        int j = 0;
        for (int i = 0; i < nd; i++) if (!red[i]) order[j++] = i;
        for (int i = 0; i < nd; i++) if (red[i]) order[j++] = i;
        Tensor c = contig(a.permute(order));           // reduced axes last: one contiguous run per output
        Tensor out = newTensor(outShape);
        rows(op == ReduceOp.SUM ? arena.sum : arena.max, c.reshape(out.numel(), runLen), null, out, false);
        return out;
    }

    /** A contiguous copy made here, not by whatever backend is current. */
    private Tensor contig(Tensor t) {
        return t.isContiguous() ? t : contiguous(t);
    }

    private Tensor lastAxis(Tensor t, int axis) {
        return contig(axis == t.ndim() - 1 ? t : t.transpose(axis, -1));
    }

    private Tensor restore(Tensor t, int axis) {
        return axis == t.ndim() - 1 ? t : contig(t.transpose(axis, -1));
    }

    @Override public Tensor softmax(Tensor a, int axis, boolean log) {
        Tensor c = lastAxis(a, axis);
        Tensor out = newTensor(c.shape());
        rows(arena.softmax, c, null, out, log);
        return restore(out, axis);
    }

    @Override public Tensor softmaxBackward(Tensor y, Tensor g, int axis, boolean log) {
        Tensor yc = lastAxis(y, axis), gc = lastAxis(g, axis);
        Tensor out = newTensor(yc.shape());
        rows(arena.softmaxBackward, yc, gc, out, log);
        return restore(out, axis);
    }

    private void rows(DeviceArena.Slot slot, Tensor x, Tensor x2, Tensor out, boolean log) {
        int len = x.dim(-1), rows = len == 0 ? 0 : x.numel() / len;
        int in = at(x), in2 = x2 == null ? 0 : at(x2), o = at(out);
        synchronized (arena) {
            IntArray ip = slot.ip;
            ip.set(RowKernels.ROWS, rows);
            ip.set(RowKernels.LEN, len);
            ip.set(RowKernels.FLAG, log ? 1 : 0);
            ip.set(RowKernels.IN, in);
            ip.set(RowKernels.IN2, in2);
            ip.set(RowKernels.OUT, o);
            arena.launch1d(slot, rows);
        }
    }

    // ------------------------------------------------------------------ matrix products

    @Override public Tensor matmul(Tensor a, Tensor b, int[] batchShape) {
        Tensor out = newTensor(Shape.concat(batchShape, a.dim(-2), b.dim(-1)));
        gemm(a, b, batchShape, out, false);
        return out;
    }

    /** The output starts as c broadcast to [m, n], and the GEMM adds the product to it. */
    @Override public Tensor addmm(Tensor c, Tensor a, Tensor b) {
        int m = a.dim(0), n = b.dim(1);
        Tensor out = newTensor(m, n);
        if (out.numel() == 0) return out;
        synchronized (arena) {                          // one launch: out = c, then out += a·b
            DeviceArena.Group g = arena.addmm;
            elementwiseTask(g.task[0], ElementwiseKernel.COPY, c.expand(m, n), null, out);
            gemmTask(g.task[1], a, b, new int[0], out, true);
            arena.launch(g);
        }
        return out;
    }

    private void gemm(Tensor a, Tensor b, int[] batchShape, Tensor out, boolean accumulate) {
        if (out.numel() == 0) return;
        synchronized (arena) {
            gemmTask(arena.gemm, a, b, batchShape, out, accumulate);
            arena.launch(arena.gemm);
        }
    }

    /** Sets the parameters and grid of a GEMM task, out[batch] (+)= a[batch]·b[batch], for a non-empty out. */
    private void gemmTask(DeviceArena.Slot slot, Tensor a, Tensor b, int[] batchShape, Tensor out, boolean accumulate) {
        int nd = a.ndim(), m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
        int BD = GemmKernel.BATCH_DIMS;
        if (batchShape.length > BD) throw new IllegalArgumentException("tornado: matmul with more than " + BD + " batch dims");
        int oa = at(a), ob = at(b), oc = at(out);
        int[] sa = a.strides(), sb = b.strides();
        synchronized (arena) {
            IntArray ip = slot.ip;
            ip.set(GemmKernel.M, m);
            ip.set(GemmKernel.N, n);
            ip.set(GemmKernel.K, k);
            ip.set(GemmKernel.ACCUMULATE, accumulate ? 1 : 0);
            ip.set(GemmKernel.A_OFF, oa);
            ip.set(GemmKernel.A_ROW, sa[nd - 2]);
            ip.set(GemmKernel.A_COL, sa[nd - 1]);
            ip.set(GemmKernel.B_OFF, ob);
            ip.set(GemmKernel.B_ROW, sb[nd - 2]);
            ip.set(GemmKernel.B_COL, sb[nd - 1]);
            ip.set(GemmKernel.C_OFF, oc);
            int lead = BD - batchShape.length;
            for (int d = 0; d < BD; d++) {
                boolean real = d >= lead;
                ip.set(GemmKernel.BATCH_SHAPE + d, real ? batchShape[d - lead] : 1);
                ip.set(GemmKernel.A_BATCH + d, real ? sa[d - lead] : 0);
                ip.set(GemmKernel.B_BATCH + d, real ? sb[d - lead] : 0);
            }
            int blk = GemmKernel.BLOCK, t = GemmKernel.THREADS;
            DeviceArena.grid3d(slot, (n + blk - 1) / blk * t, (m + blk - 1) / blk * t, Shape.numel(batchShape), t, t);
        }
    }

    // ------------------------------------------------------------------ layout ops as strided copies

    @Override public Tensor concat(List<Tensor> parts, int axis) {
        int[] shape = parts.get(0).shape();
        int total = 0;
        for (Tensor t : parts) total += t.dim(axis);
        shape[axis] = total;
        Tensor out = newTensor(shape);
        int start = 0;
        for (Tensor t : parts) {
            int len = t.dim(axis);
            elementwise(ElementwiseKernel.COPY, t, null, out.slice(axis, start, start + len));
            start += len;
        }
        return out;
    }

    /** out[n, c, 2i+di, 2j+dj] = x[n, c, i, j]: x read as a [N, C, H, 2, W, 2] view with stride 0 on the 2s. */
    @Override public Tensor upsampleNearest2x(Tensor x) {
        int[] s = x.shape(), st = x.strides();
        Tensor src = new Tensor(x.storage(), new int[] {s[0], s[1], s[2], 2, s[3], 2}, new int[] {st[0], st[1], st[2], 0, st[3], 0}, x.offset());
        Tensor out = newTensor(s[0], s[1], 2 * s[2], 2 * s[3]);
        elementwise(ElementwiseKernel.COPY, src, null, out.reshape(src.shape()));
        return out;
    }

    /** Each 2x2 block summed: g read as [N, C, H, 2, W, 2] and reduced over the two 2s. */
    @Override public Tensor sumPool2x(Tensor g) {
        int[] s = g.shape();
        int h = s[2] / 2, w = s[3] / 2;
        return reduce(ReduceOp.SUM, contig(g).reshape(s[0], s[1], h, 2, w, 2), new int[] {3, 5}).reshape(s[0], s[1], h, w);
    }

    // ------------------------------------------------------------------ convolution

    /** Contiguous conv geometry: {N, C, H, W, kh, kw, OH, OW, stride, padding}. */
    private static int[] geometry(int[] x, int[] w, int stride, int padding) {
        int[] o = Tensor.checkConv(x, w, stride, padding);   // {N, Cout, OH, OW}
        return new int[] {x[0], x[1], x[2], x[3], w[2], w[3], o[2], o[3], stride, padding};
    }

    /** Sets the parameters and grid of an im2col or col2im task over {@code work} outputs. */
    private void convTask(DeviceArena.Slot slot, int[] g, int x, int cols, int work) {
        synchronized (arena) {
            for (int i = 0; i < 10; i++) slot.ip.set(i, g[i]);
            slot.ip.set(ConvKernels.X, x);
            slot.ip.set(ConvKernels.COLS, cols);
            DeviceArena.grid1d(slot, work);
        }
    }

    /** Each convolution op is one launch of a group: im2col + GEMM, GEMM + col2im, or copies + im2col + GEMM. */
    @Override public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        if (x.numel() == 0 || w.numel() == 0) return fallback().conv2d(x, w, bias, stride, padding);
        int[] g = geometry(x.shape(), w.shape(), stride, padding);
        int k = g[1] * g[4] * g[5], cout = w.dim(0), p = g[6] * g[7];
        Tensor xc = contig(x), w2 = contig(w).reshape(cout, k);        // the same W for every sample: batch stride 0
        Tensor cols = newTensor(g[0], k, p);                           // cols [N, C·kh·kw, OH·OW]
        Tensor out = newTensor(g[0], cout, g[6], g[7]);
        Tensor out3 = out.reshape(g[0], cout, p);
        synchronized (arena) {
            DeviceArena.Group grp = bias != null ? arena.conv2dBias : arena.conv2d;
            int t = 0;
            if (bias != null) elementwiseTask(grp.task[t++], ElementwiseKernel.COPY, bias.reshape(1, cout, 1), null, out3);
            convTask(grp.task[t++], g, at(xc), at(cols), cols.numel());
            gemmTask(grp.task[t], w2.unsqueeze(0).expand(g[0], cout, k), cols, new int[] {g[0]}, out3, bias != null);
            arena.launch(grp);
        }
        return out;
    }

    @Override public Tensor conv2dGradInput(Tensor gradOut, Tensor w, int[] inputShape, int stride, int padding) {
        if (gradOut.numel() == 0 || w.numel() == 0) return fallback().conv2dGradInput(gradOut, w, inputShape, stride, padding);
        int[] g = geometry(inputShape, w.shape(), stride, padding);
        int k = g[1] * g[4] * g[5], cout = w.dim(0), p = g[6] * g[7];
        Tensor wt = contig(w).reshape(cout, k).transpose(0, 1);        // Wᵀ as a view
        Tensor go = contig(gradOut).reshape(g[0], cout, p);
        Tensor dcols = newTensor(g[0], k, p), dx = newTensor(inputShape);
        synchronized (arena) {
            DeviceArena.Group grp = arena.conv2dGradInput;
            gemmTask(grp.task[0], wt.unsqueeze(0).expand(g[0], k, cout), go, new int[] {g[0]}, dcols, false);
            convTask(grp.task[1], g, at(dx), at(dcols), dx.numel());
            arena.launch(grp);
        }
        return dx;
    }

    @Override public Tensor conv2dGradWeight(Tensor gradOut, Tensor x, int[] weightShape, int stride, int padding) {
        if (gradOut.numel() == 0 || x.numel() == 0) return fallback().conv2dGradWeight(gradOut, x, weightShape, stride, padding);
        int[] g = geometry(x.shape(), weightShape, stride, padding);
        int k = g[1] * g[4] * g[5], cout = weightShape[0], p = g[6] * g[7];
        // dW = Σ_n g[n]·cols[n]ᵀ as one GEMM over the merged (n, position) index: both operands laid out for it first.
        Tensor gm = newTensor(cout, g[0], p), cols = newTensor(g[0], k, p), cm = newTensor(g[0], p, k), dw = newTensor(cout, k);
        Tensor xc = contig(x), go = contig(gradOut).reshape(g[0], cout, p);
        synchronized (arena) {
            DeviceArena.Group grp = arena.conv2dGradWeight;
            elementwiseTask(grp.task[0], ElementwiseKernel.COPY, go.permute(1, 0, 2), null, gm);
            convTask(grp.task[1], g, at(xc), at(cols), cols.numel());
            elementwiseTask(grp.task[2], ElementwiseKernel.COPY, cols.permute(0, 2, 1), null, cm);
            gemmTask(grp.task[3], gm.reshape(cout, g[0] * p), cm.reshape(g[0] * p, k), new int[0], dw, false);
            arena.launch(grp);
        }
        return dw.reshape(weightShape);
    }

    // ------------------------------------------------------------------ normalization

    /**
     * Sets a norm kernel's parameters: the layout, then every offset (the forward kernel reads x, γ, β
     * and writes out, mean, rstd; the backward kernels also read dy and write dγ, dβ). Unused ones are
     * never read.
     */
    private void normTask(DeviceArena.Slot s, NormLayout L, int x, int dy, int gamma, int beta, int mean, int rstd, int out, int dg, int db, int channels) {
        // The parameter block in NormKernels' order: ROWS .. SPATIAL, then X, DY, GAMMA, BETA, MEAN, RSTD, OUT, DGAMMA, DBETA, CHANNELS.
        int[] v = {L.rows(), L.rowLen(), L.groupsPerSample(), L.channelsPerGroup(), L.spatial(), x, dy, gamma, beta, mean, rstd, out, dg, db, channels};
        for (int i = 0; i < v.length; i++) s.ip.set(NormKernels.ROWS + i, v[i]);
    }

    private NormResult normForward(Tensor x, NormLayout L, Tensor gamma, Tensor beta, float eps) {
        Tensor xc = contig(x), y = newTensor(x.shape()), mean = newTensor(L.rows()), rstd = newTensor(L.rows());
        int ox = at(xc), og = gamma == null ? -1 : at(contig(gamma)), ob = beta == null ? -1 : at(contig(beta));
        int oy = at(y), om = at(mean), or = at(rstd);
        synchronized (arena) {
            DeviceArena.Slot s = arena.normForward;
            normTask(s, L, ox, 0, og, ob, om, or, oy, 0, 0, 0);
            s.fp.set(0, eps);
            arena.launch1d(s, L.rows());
        }
        return new NormResult(y, mean, rstd);
    }

    private Tensor[] normBackward(Tensor x, Tensor gradY, NormResult saved, NormLayout L, Tensor gamma, int channels) {
        Tensor xc = contig(x), dy = contig(gradY), dx = newTensor(x.shape());
        int ox = at(xc), ody = at(dy), og = gamma == null ? -1 : at(contig(gamma)), om = at(saved.mean()), or = at(saved.rstd()), odx = at(dx);
        Tensor dg = gamma == null ? null : newTensor(channels), db = gamma == null ? null : newTensor(channels);
        int odg = dg == null ? 0 : at(dg), odb = db == null ? 0 : at(db);
        synchronized (arena) {
            // With γ: dx and dγ, dβ in one launch; without: dx alone.
            DeviceArena.Slot[] tasks = gamma != null ? arena.normBackwardAffine.task : new DeviceArena.Slot[] {arena.normBackward};
            for (DeviceArena.Slot s : tasks) normTask(s, L, ox, ody, og, 0, om, or, odx, odg, odb, channels);
            DeviceArena.grid1d(tasks[0], L.rows());
            if (gamma != null) {
                DeviceArena.grid1d(tasks[1], channels);
                arena.launch(arena.normBackwardAffine);
            } else {
                arena.launch(arena.normBackward);
            }
        }
        return new Tensor[] {dx, dg, db};
    }

    @Override public NormResult groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps) {
        return normForward(x, NormLayout.group(x.shape(), groups), gamma, beta, eps);
    }

    @Override public Tensor[] groupNormBackward(Tensor x, Tensor gradY, NormResult saved, int groups, Tensor gamma) {
        return normBackward(x, gradY, saved, NormLayout.group(x.shape(), groups), gamma, x.dim(1));
    }

    @Override public NormResult layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        return normForward(x, NormLayout.layer(x.shape()), gamma, beta, eps);
    }

    @Override public Tensor[] layerNormBackward(Tensor x, Tensor gradY, NormResult saved, Tensor gamma) {
        return normBackward(x, gradY, saved, NormLayout.layer(x.shape()), gamma, x.dim(-1));
    }

    // ------------------------------------------------------------------ embedding rows

    /** The indices as floats on the device: the op's input from the host, one upload. */
    private int indexTensor(int[] indices) {
        float[] f = new float[indices.length];
        for (int i = 0; i < f.length; i++) f[i] = indices[i];
        return at(Tensor.of(f, f.length));
    }

    private void gatherLaunch(DeviceArena.Slot s, int count, int cols, int rows, int idx, int src, int out, int work) {
        synchronized (arena) {
            s.ip.set(GatherKernels.COUNT, count);
            s.ip.set(GatherKernels.COLS, cols);
            s.ip.set(GatherKernels.ROWS, rows);
            s.ip.set(GatherKernels.IDX, idx);
            s.ip.set(GatherKernels.SRC, src);
            s.ip.set(GatherKernels.OUT, out);
            arena.launch1d(s, work);
        }
    }

    @Override public Tensor indexSelect(Tensor table, int[] indices, int[] indexShape) {
        int cols = table.dim(1);
        Tensor out = newTensor(Shape.concat(indexShape, cols));
        if (indices.length == 0 || cols == 0) return out;
        int idx = indexTensor(indices), src = at(contig(table)), o = at(out);
        gatherLaunch(arena.gather, indices.length, cols, table.dim(0), idx, src, o, out.numel());
        return out;
    }

    @Override public Tensor indexAdd(Tensor grad, int[] indices, int rows) {
        int cols = grad.dim(-1);
        Tensor out = newTensor(rows, cols);
        if (rows * cols == 0) return out;
        if (indices.length == 0) {
            arena.fill(at(out), rows * cols, 0f);
            return out;
        }
        int idx = indexTensor(indices), src = at(contig(grad)), o = at(out);
        gatherLaunch(arena.scatterAdd, indices.length, cols, rows, idx, src, o, out.numel());
        return out;
    }

    // ------------------------------------------------------------------ optimizer

    @Override public Tensor[] adamw(Tensor w, Tensor g, Tensor m, Tensor v, float beta1, float beta2, float eps, float stepSize, float bc2Sqrt, float decay) {
        int[] shape = w.shape();
        int n = w.numel();
        Tensor wo = newTensor(shape), mo = newTensor(shape), vo = newTensor(shape);
        int[] off = {at(contig(w)), at(contig(g)), at(contig(m)), at(contig(v)), at(wo), at(mo), at(vo)};
        synchronized (arena) {
            DeviceArena.Slot s = arena.adamw;
            s.ip.set(OptimizerKernels.N, n);
            for (int i = 0; i < off.length; i++) s.ip.set(OptimizerKernels.W + i, off[i]);
            float[] f = {beta1, beta2, eps, stepSize, bc2Sqrt, decay};
            for (int i = 0; i < f.length; i++) s.fp.set(i, f[i]);
            arena.launch1d(s, n);
        }
        return new Tensor[] {wo, mo, vo};
    }

    /** Partial sums of squares of every tensor into one device buffer, then one download for all of them. */
    @Override public double sumOfSquares(List<Tensor> tensors) {
        int C = OptimizerKernels.CHUNK, total = 0;
        for (Tensor t : tensors) total += (t.numel() + C - 1) / C;
        if (total == 0) return 0;
        Tensor partial = newTensor(total);
        int at = 0;
        for (Tensor t : tensors) {
            int n = t.numel(), chunks = (n + C - 1) / C, in = at(contig(t)), out = at(partial) + at;
            synchronized (arena) {
                DeviceArena.Slot s = arena.sumSquares;
                s.ip.set(OptimizerKernels.N, n);
                s.ip.set(OptimizerKernels.W, in);
                s.ip.set(OptimizerKernels.W_OUT, out);
                arena.launch1d(s, chunks);
            }
            at += chunks;
        }
        double sq = 0;
        for (float x : partial.toArray()) sq += x;
        return sq;
    }

    /** The CPU backend, for the cases the kernels do not cover (empty reductions); counted. */
    private CpuBackend fallback() {
        arena.countFallback();
        return cpu;
    }
}
