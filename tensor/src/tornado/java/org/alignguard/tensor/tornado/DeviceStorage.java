package org.alignguard.tensor.tornado;

import java.lang.ref.Cleaner;
import org.alignguard.tensor.Storage;

/**
 * A tensor's storage as a region of the {@link DeviceArena}.
 *
 * <p>The device copy is authoritative for results of device kernels; the host sees the numbers only
 * when something asks for {@link #hostArray()} (reading a value, saving, printing, a CPU fallback),
 * and then they are downloaded once and kept. Storage made by {@code Backend.allocate} (for
 * {@code Tensor.zeros}, or a CPU kernel about to write its output) starts on the host instead: it
 * crosses to the device only when a device kernel first reads it, and if nobody wrote it, a fill
 * kernel zeros the region and nothing crosses at all. When the storage becomes unreachable, a
 * Cleaner hands its region back to the arena.
 */
final class DeviceStorage implements Storage {
    private static final Cleaner CLEANER = Cleaner.create();

    private final DeviceArena arena;
    private final int base, length;
    private float[] host;              // the host copy, or null (for host-first storage: all zeros)
    private boolean hostValid, deviceValid;

    private DeviceStorage(DeviceArena arena, int length, boolean onDevice) {
        this.arena = arena;
        this.length = length;
        this.base = arena.allocate(length);
        this.deviceValid = onDevice;
        this.hostValid = !onDevice;
        CLEANER.register(this, new Release(arena, base, length));
    }

    /** For a kernel's output: the kernel writes it on the device. */
    static DeviceStorage onDevice(DeviceArena arena, int length) {
        return new DeviceStorage(arena, length, true);
    }

    /** For {@code allocate}: zeros, written (if at all) on the host. */
    static DeviceStorage onHost(DeviceArena arena, int length) {
        return new DeviceStorage(arena, length, false);
    }

    /** The region's start in the arena, uploading (or zero-filling) the host copy first if only it is current. */
    synchronized int deviceBase() {
        if (!deviceValid) {
            if (host == null) arena.fill(base, length, 0f);
            else arena.upload(host, 0, length, base);
            deviceValid = true;
        }
        return base;
    }

    @Override public int length() { return length; }
    @Override public String device() { return "opencl:0"; }

    @Override public synchronized float[] hostArray() {
        if (host == null) host = new float[length];
        if (!hostValid) {
            arena.download(base, length, host);
            hostValid = true;
        }
        return host;
    }

    @Override public synchronized void markHostDirty() {
        hostArray();
        deviceValid = false;
    }

    /** Gives the region back; holds no reference to the storage, so that it can become unreachable. */
    private record Release(DeviceArena arena, int base, int length) implements Runnable {
        @Override public void run() {
            arena.release(base, length);
        }
    }
}
