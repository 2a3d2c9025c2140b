package org.alignguard.tensor.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Kernels that move data within the device arena.
 *
 * <pre>
 *   upload:  host float[] ──(copy into the staging buffer, one transfer)──► stage ──► arena[off, off+n)
 *   fill:    value ──► arena[off, off+n)       (zeros for a fresh tensor: no transfer at all)
 * </pre>
 * TornadoVM copies whole objects to the device, so a tensor is uploaded through a staging buffer of
 * about its size, and this kernel puts it at its place in the arena.
 */
final class ArenaKernels {
    private ArenaKernels() {}

    static final int N = 0, OFF = 1, PARAMS = 2;

    static void copyIn(KernelContext ctx, FloatArray stage, FloatArray mem, IntArray ip) {
        int i = ctx.globalIdx;
        if (i < ip.get(N)) mem.set(ip.get(OFF) + i, stage.get(i));
    }

    /** fp[0] is the value. */
    static void fill(KernelContext ctx, FloatArray mem, IntArray ip, FloatArray fp) {
        int i = ctx.globalIdx;
        if (i < ip.get(N)) mem.set(ip.get(OFF) + i, fp.get(0));
    }

    /** Does nothing: the first graph exists to put the arena on the device once. */
    static void touch(FloatArray mem) {
        mem.set(0, mem.get(0));
    }
}
