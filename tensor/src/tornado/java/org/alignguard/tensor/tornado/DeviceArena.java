package org.alignguard.tensor.tornado;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.TreeMap;
import org.alignguard.tensor.BackendUnavailableException;
import org.alignguard.tensor.DeviceStats;
import uk.ac.manchester.tornado.api.DataRange;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.ImmutableTaskGraph;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.WorkerGrid3D;
import uk.ac.manchester.tornado.api.common.TornadoFunctions.Task4;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * All device memory of the backend: one large float buffer (the arena) that lives on the device for
 * the whole run, a first-fit allocator over it, and the compiled kernels.
 *
 * <p>Why one arena: TornadoVM keeps an object on the device between task graphs when one graph
 * persists it and the others consume it, and it compiles a task graph once. So every kernel is one
 * task graph, compiled on first use, that takes the arena plus a small parameter array (offsets,
 * sizes, strides, op code) copied at each launch. A tensor is a region of the arena; ops never move
 * tensor data across the bus. Only {@link #upload} and {@link #download} do, and they are counted.
 */
final class DeviceArena {
    /** One compiled kernel: its graph in the plan, its parameter arrays and its launch grid. */
    static final class Slot {
        final String name;
        final int graph;
        final IntArray ip;
        final FloatArray fp;
        final WorkerGrid grid;

        Slot(String name, int graph, int intParams, WorkerGrid grid) {
            this.name = name;
            this.graph = graph;
            this.ip = new IntArray(intParams);
            this.fp = new FloatArray(8);
            this.grid = grid;
        }
    }

    /**
     * Several kernels in one task graph, run by one launch: the kernels an op always runs back to back
     * (a convolution's im2col and GEMM, say), as GPULlama3.java groups a layer's kernels. Each task has
     * its own parameter arrays and grid; the tasks run in order, each seeing the arena as the last
     * one left it.
     */
    static final class Group {
        final int graph;
        final Slot[] task;

        Group(int graph, Slot[] task) {
            this.graph = graph;
            this.task = task;
        }
    }

    /** A kernel: its name, its function, the size of its integer parameters, a 3-D grid (GEMM) or 1-D. */
    private record Step(String name, Task4<KernelContext, FloatArray, IntArray, FloatArray> fn, int params, boolean gemm) {}

    private static final Step FILL = new Step("fill", ArenaKernels::fill, ArenaKernels.PARAMS, false);
    private static final Step EW = new Step("ew", ElementwiseKernel::run, ElementwiseKernel.PARAMS, false);
    private static final Step GEMM = new Step("gemm", GemmKernel::run, GemmKernel.PARAMS, true);
    private static final Step IM2COL = new Step("im2col", ConvKernels::im2col, ConvKernels.PARAMS, false);
    private static final Step COL2IM = new Step("col2im", ConvKernels::col2im, ConvKernels.PARAMS, false);
    private static final Step NORM_FORWARD = new Step("normForward", NormKernels::forward, NormKernels.PARAMS, false);
    private static final Step NORM_BACKWARD = new Step("normBackward", NormKernels::backward, NormKernels.PARAMS, false);
    private static final Step NORM_PARAM_GRADS = new Step("normParamGrads", NormKernels::paramGrads, NormKernels.PARAMS, false);

    private static final int ALIGN = 16;                      // floats: 64-byte aligned regions
    private static final int[] STAGES = {1 << 10, 1 << 14, 1 << 18, 1 << 22};

    final int capacity;
    private final FloatArray mem;
    private final FloatArray[] stage = new FloatArray[STAGES.length];
    private final Slot[] upSlots = new Slot[STAGES.length];
    final Slot fill, elementwise, gemm, sum, max, softmax, softmaxBackward;
    final Slot normForward, normBackward, gather, scatterAdd, adamw, sumSquares;
    /** addmm: copy of c, GEMM. conv2d: im2col, GEMM (with bias: the bias copy first). */
    final Group addmm, conv2d, conv2dBias, conv2dGradInput, conv2dGradWeight, normBackwardAffine;
    private final TornadoExecutionPlan plan;
    private final String deviceName;
    private final TreeMap<Integer, Integer> free = new TreeMap<>();   // offset -> length
    private TornadoExecutionResult last;
    private long launches, uploads, uploadBytes, downloads, downloadBytes, transferNanos, fallbacks;

    DeviceArena(int capacityFloats) {
        capacity = capacityFloats;
        mem = new FloatArray(capacity);
        free.put(0, capacity);
        KernelContext ctx = new KernelContext();
        GridScheduler grids = new GridScheduler();
        java.util.List<ImmutableTaskGraph> graphs = new java.util.ArrayList<>();
        graphs.add(new TaskGraph("arena").transferToDevice(DataTransferMode.FIRST_EXECUTION, mem)
                .task("t", ArenaKernels::touch, mem).persistOnDevice(mem).snapshot());
        for (int s = 0; s < STAGES.length; s++) {
            stage[s] = new FloatArray(STAGES[s]);
            Slot slot = new Slot("up" + s, graphs.size(), ArenaKernels.PARAMS, new WorkerGrid1D(1));
            graphs.add(new TaskGraph(slot.name).consumeFromDevice("arena", mem)
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, stage[s], slot.ip)
                    .task("k", ArenaKernels::copyIn, ctx, stage[s], mem, slot.ip).persistOnDevice(mem).snapshot());
            grids.addWorkerGrid(slot.name + ".k", slot.grid);
            upSlots[s] = slot;
        }
        fill = kernel(FILL, ctx, graphs, grids);
        elementwise = kernel(EW, ctx, graphs, grids);
        gemm = kernel(GEMM, ctx, graphs, grids);
        sum = kernel(new Step("sum", RowKernels::sumRows, RowKernels.PARAMS, false), ctx, graphs, grids);
        max = kernel(new Step("max", RowKernels::maxRows, RowKernels.PARAMS, false), ctx, graphs, grids);
        softmax = kernel(new Step("softmax", RowKernels::softmax, RowKernels.PARAMS, false), ctx, graphs, grids);
        softmaxBackward = kernel(new Step("softmaxBackward", RowKernels::softmaxBackward, RowKernels.PARAMS, false), ctx, graphs, grids);
        normForward = kernel(NORM_FORWARD, ctx, graphs, grids);
        normBackward = kernel(NORM_BACKWARD, ctx, graphs, grids);
        gather = kernel(new Step("gatherRows", GatherKernels::gather, GatherKernels.PARAMS, false), ctx, graphs, grids);
        scatterAdd = kernel(new Step("scatterAddRows", GatherKernels::scatterAdd, GatherKernels.PARAMS, false), ctx, graphs, grids);
        adamw = kernel(new Step("adamw", OptimizerKernels::adamw, OptimizerKernels.PARAMS, false), ctx, graphs, grids);
        sumSquares = kernel(new Step("sumSquares", OptimizerKernels::sumSquares, OptimizerKernels.PARAMS, false), ctx, graphs, grids);
        addmm = group("addmm", ctx, graphs, grids, EW, GEMM);
        conv2d = group("conv2d", ctx, graphs, grids, IM2COL, GEMM);
        conv2dBias = group("conv2dBias", ctx, graphs, grids, EW, IM2COL, GEMM);
        conv2dGradInput = group("conv2dGradInput", ctx, graphs, grids, GEMM, COL2IM);
        // dW = gradOut as [cout, N·P] times cols as [N·P, k]: lay gradOut out, im2col, lay cols out, GEMM.
        conv2dGradWeight = group("conv2dGradWeight", ctx, graphs, grids, EW, IM2COL, EW, GEMM);
        normBackwardAffine = group("normBackwardAffine", ctx, graphs, grids, NORM_BACKWARD, NORM_PARAM_GRADS);
        plan = new TornadoExecutionPlan(graphs.toArray(new ImmutableTaskGraph[0]));
        plan.withGridScheduler(grids);
        deviceName = "OpenCL " + plan.getDevice(0).toString().trim();
        last = plan.withGraph(0).execute();   // puts the arena on the device, once
        for (int st = 0; st < STAGES.length; st++) upload(new float[1], 0, 1, 0, st);   // compile the copies now, not inside a timed upload
        uploads = uploadBytes = transferNanos = 0;
    }

    /** A single kernel: a group of one. */
    private Slot kernel(Step step, KernelContext ctx, java.util.List<ImmutableTaskGraph> graphs, GridScheduler grids) {
        return group(step.name(), ctx, graphs, grids, step).task[0];
    }

    private Group group(String name, KernelContext ctx, java.util.List<ImmutableTaskGraph> graphs, GridScheduler grids, Step... steps) {
        Slot[] task = new Slot[steps.length];
        Object[] params = new Object[2 * steps.length];
        for (int i = 0; i < steps.length; i++) {
            task[i] = new Slot(name + ".t" + i, graphs.size(), steps[i].params(), steps[i].gemm() ? new WorkerGrid3D(16, 16, 1) : new WorkerGrid1D(1));
            params[2 * i] = task[i].ip;
            params[2 * i + 1] = task[i].fp;
            grids.addWorkerGrid(task[i].name, task[i].grid);
        }
        TaskGraph g = new TaskGraph(name).consumeFromDevice("arena", mem).transferToDevice(DataTransferMode.EVERY_EXECUTION, params);
        for (int i = 0; i < steps.length; i++) g = g.task("t" + i, steps[i].fn(), ctx, mem, task[i].ip, task[i].fp);
        graphs.add(g.persistOnDevice(mem).snapshot());
        return new Group(graphs.size() - 1, task);
    }

    String deviceName() {
        return deviceName;
    }

    // ------------------------------------------------------------------ allocation

    /** A region of {@code n} floats; frees garbage first when the arena is full. */
    synchronized int allocate(int n) {
        int size = Math.max(ALIGN, (n + ALIGN - 1) / ALIGN * ALIGN);
        for (int attempt = 0; ; attempt++) {
            for (Map.Entry<Integer, Integer> e : free.entrySet()) {
                if (e.getValue() >= size) {
                    int off = e.getKey(), len = e.getValue();
                    free.remove(off);
                    if (len > size) free.put(off + size, len - size);
                    return off;
                }
            }
            if (attempt == 50)
                throw new IllegalStateException("device arena full: " + n + " floats wanted, " + capacity / (1 << 18)
                        + " MB in all; raise -Dalignguard.tornado.arenaMB");
            // Regions of unreachable tensors come back through a Cleaner once the GC has seen them.
            try {
                wait(20);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            System.gc();
        }
    }

    synchronized void release(int off, int n) {
        int size = Math.max(ALIGN, (n + ALIGN - 1) / ALIGN * ALIGN);
        Map.Entry<Integer, Integer> before = free.floorEntry(off), after = free.ceilingEntry(off);
        if (after != null && off + size == after.getKey()) {
            size += after.getValue();
            free.remove(after.getKey());
        }
        if (before != null && before.getKey() + before.getValue() == off) {
            off = before.getKey();
            size += before.getValue();
        }
        free.put(off, size);
        notifyAll();
    }

    // ------------------------------------------------------------------ launches and transfers

    /** Runs a kernel whose parameters the caller has set, over a 1-D grid of {@code n} work-items. */
    synchronized void launch1d(Slot s, int n) {
        if (n == 0) return;
        grid1d(s, n);
        run(s.graph);
    }

    /** Runs every task of a group, in order, with one launch; the caller has set each task's parameters and grid. */
    synchronized void launch(Group g) {
        run(g.graph);
    }

    /** Runs one kernel whose parameters and grid the caller has set. */
    synchronized void launch(Slot s) {
        run(s.graph);
    }

    static void grid1d(Slot s, int n) {
        s.grid.setGlobalWork(n, 1, 1);
        s.grid.setLocalWorkToNull();
    }

    static void grid3d(Slot s, int x, int y, int z, int lx, int ly) {
        s.grid.setGlobalWork(x, y, z);
        s.grid.setLocalWork(lx, ly, 1);
    }

    private void run(int graph) {
        last = plan.withGraph(graph).execute();
        launches++;
    }

    /** Sets arena[off, off+n) to {@code value} on the device. */
    synchronized void fill(int off, int n, float value) {
        fill.ip.set(ArenaKernels.N, n);
        fill.ip.set(ArenaKernels.OFF, off);
        fill.fp.set(0, value);
        launch1d(fill, n);
    }

    /** Copies src[from, from+n) to arena[off, off+n): one host-to-device transfer (per staging chunk). */
    synchronized void upload(float[] src, int from, int n, int off) {
        upload(src, from, n, off, -1);
    }

    /** {@code stageIndex} -1: the smallest staging buffer that fits (or the largest, in chunks). */
    private void upload(float[] src, int from, int n, int off, int stageIndex) {
        long t0 = System.nanoTime();
        for (int done = 0; done < n; ) {
            int s = 0;
            while (s < STAGES.length - 1 && STAGES[s] < n - done) s++;
            if (stageIndex >= 0) s = stageIndex;
            int chunk = Math.min(STAGES[s], n - done);
            MemorySegment.copy(src, from + done, stage[s].getSegment(), ValueLayout.JAVA_FLOAT, 0, chunk);
            Slot slot = upSlots[s];
            slot.ip.set(ArenaKernels.N, chunk);
            slot.ip.set(ArenaKernels.OFF, off + done);
            grid1d(slot, chunk);
            last = plan.withGraph(slot.graph).execute();
            done += chunk;
        }
        uploads++;
        uploadBytes += 4L * n;
        transferNanos += System.nanoTime() - t0;
    }

    /** Copies arena[off, off+n) to dst[0, n): one device-to-host transfer of just that range. */
    synchronized void download(int off, int n, float[] dst) {
        if (n == 0) return;
        long t0 = System.nanoTime();
        last.transferToHost(new DataRange(mem).withOffset(off).withSize(n));
        MemorySegment.copy(mem.getSegment(), ValueLayout.JAVA_FLOAT, 4L * off, dst, 0, n);
        downloads++;
        downloadBytes += 4L * n;
        transferNanos += System.nanoTime() - t0;
    }

    synchronized void countFallback() {
        fallbacks++;
    }

    synchronized DeviceStats stats() {
        return new DeviceStats(deviceName, launches, uploads, uploadBytes, downloads, downloadBytes, transferNanos, fallbacks);
    }

    /** Starts TornadoVM, or says in one line why it cannot. */
    static DeviceArena open(int capacityFloats) {
        try {
            return new DeviceArena(capacityFloats);
        } catch (RuntimeException | LinkageError e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new BackendUnavailableException("backend 'tornado': TornadoVM could not start on an OpenCL device (" + why + ")");
        }
    }
}
