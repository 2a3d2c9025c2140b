package org.alignguard.tensor.bench;

import org.alignguard.tensor.Backends;
import org.alignguard.tensor.DeviceStats;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.bench.KernelBench.Result;

/**
 * Benchmarks through the current {@code Backend} rather than the CPU kernels directly, for device
 * backends: the inputs are uploaded once during warm-up, and each timed call is one device GEMM
 * (a TornadoVM launch returns when the kernel has finished).
 */
public final class BackendBench {
    private BackendBench() {}

    /** Square C = A·B of size n through {@code Backends.get().matmul}, in GFLOP/s. */
    public static Result sgemm(int n, int warmup, int reps) {
        Rng rng = new Rng(1);
        Tensor a = Tensor.randn(rng, n, n), b = Tensor.randn(rng, n, n);
        Object[] sink = new Object[1];
        double sec = KernelBench.medianSeconds(warmup, reps, () -> sink[0] = a.matmul(b));
        return new Result("sgemm_" + n, 2.0 * n * n * n / sec / 1e9, "GFLOP/s", reps, 1);
    }

    /**
     * One JSON line on what a device backend did during a benchmark: launches, copies, and the share
     * of the wall time spent copying between host and device.
     */
    public static String transfersJson(String name, DeviceStats d, double wallSeconds) {
        return String.format(java.util.Locale.ROOT,
                "{\"name\": \"%s.device\", \"device\": \"%s\", \"launches\": %d, \"uploads\": %d, \"upload_bytes\": %d, \"downloads\": %d, "
                        + "\"download_bytes\": %d, \"transfer_ms\": %.3f, \"wall_ms\": %.3f, \"transfer_share\": %.4f, \"cpu_fallbacks\": %d}",
                name, d.device().replace("\"", "'"), d.launches(), d.uploads(), d.uploadBytes(), d.downloads(), d.downloadBytes(),
                d.transferNanos() / 1e6, wallSeconds * 1e3, d.transferNanos() / 1e9 / Math.max(1e-12, wallSeconds), d.fallbacks());
    }

    /** Whether the current backend is a device backend (it counts launches and copies). */
    public static boolean onDevice() {
        return Backends.get().stats() != DeviceStats.NONE;
    }
}
