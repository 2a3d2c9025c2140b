package org.alignguard.tensor;

import java.util.Locale;

/**
 * What a device backend has done so far: kernel launches and host<->device copies of tensor data.
 *
 * <p>The CPU backend has no device and reports {@link #NONE}. Tests take two snapshots and look at
 * the {@link #minus difference}, for example to prove that a UNet forward pass keeps its activations
 * on the device; {@code alignguard bench} prints the share of time spent copying.
 *
 * @param device        the device's name, e.g. "OpenCL PoCL pthread-..."
 * @param launches      kernel launches
 * @param uploads       host-to-device copies of tensor data (parameters of a launch are not counted)
 * @param uploadBytes   bytes in those copies
 * @param downloads     device-to-host copies of tensor data
 * @param downloadBytes bytes in those copies
 * @param transferNanos wall time spent in those copies
 * @param fallbacks     ops that had no device kernel and ran on the CPU backend
 */
public record DeviceStats(String device, long launches, long uploads, long uploadBytes, long downloads, long downloadBytes,
                          long transferNanos, long fallbacks) {
    public static final DeviceStats NONE = new DeviceStats("cpu", 0, 0, 0, 0, 0, 0, 0);

    /** The counts between an earlier snapshot and this one. */
    public DeviceStats minus(DeviceStats earlier) {
        return new DeviceStats(device, launches - earlier.launches, uploads - earlier.uploads, uploadBytes - earlier.uploadBytes,
                downloads - earlier.downloads, downloadBytes - earlier.downloadBytes, transferNanos - earlier.transferNanos,
                fallbacks - earlier.fallbacks);
    }

    public long transfers() {
        return uploads + downloads;
    }

    @Override public String toString() {
        return String.format(Locale.ROOT, "%s: %d launches, %d uploads (%d B), %d downloads (%d B), %.3f ms copying, %d CPU fallbacks",
                device, launches, uploads, uploadBytes, downloads, downloadBytes, transferNanos / 1e6, fallbacks);
    }
}
