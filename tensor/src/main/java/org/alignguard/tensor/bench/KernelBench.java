package org.alignguard.tensor.bench;

import java.util.Arrays;
import java.util.Locale;
import org.alignguard.tensor.Backend;
import org.alignguard.tensor.Backends;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.cpu.Parallel;
import org.alignguard.tensor.cpu.Sgemm;
import org.alignguard.tensor.cpu.Simd;

/**
 * Kernel benchmarks for {@code alignguard bench}: each returns the median over {@code reps} timed
 * repetitions after {@code warmup} untimed ones. {@link #main} prints one JSON object per line.
 */
public final class KernelBench {
    private KernelBench() {}

    /** One benchmark figure. */
    public record Result(String name, double value, String unit, int reps, int threads) {
        public String toJson() {
            return String.format(Locale.ROOT,
                    "{\"name\": \"%s\", \"value\": %.3f, \"unit\": \"%s\", \"reps\": %d, \"threads\": %d, \"simd\": %b}",
                    name, value, unit, reps, threads, Simd.ENABLED);
        }
    }

    /** Square SGEMM C = A·B of size n on all backend threads, in GFLOP/s. */
    public static Result sgemm(int n, int warmup, int reps) {
        return sgemm(n, n, n, warmup, reps);
    }

    /** SGEMM C[m,n] = A[m,k]·B[k,n] (all row-major) on all backend threads, in GFLOP/s. */
    public static Result sgemm(int m, int n, int k, int warmup, int reps) {
        Rng rng = new Rng(1);
        float[] a = Tensor.randn(rng, m, k).toArray(), b = Tensor.randn(rng, k, n).toArray();
        float[] c = new float[m * n];
        double sec = medianSeconds(warmup, reps,
                () -> Sgemm.gemm(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n, false, true));
        String name = m == n && n == k ? "sgemm_" + n : "sgemm_" + m + "x" + n + "x" + k;
        return new Result(name, 2.0 * m * n * k / sec / 1e9, "GFLOP/s", reps, Parallel.THREADS);
    }

    /**
     * The micro-kernels of an n³ SGEMM alone, its operands packed beforehand, on all backend threads,
     * in GFLOP/s: the ceiling that {@link #sgemm} would reach if packing cost nothing.
     */
    public static Result sgemmKernelsOnly(int n, int warmup, int reps) {
        Rng rng = new Rng(1);
        float[] a = Tensor.randn(rng, n, n).toArray(), b = Tensor.randn(rng, n, n).toArray(), c = new float[n * n];
        double sec = medianSeconds(warmup, reps, Sgemm.kernelsOnly(n, n, n, a, b, c));
        return new Result("sgemm_" + n + "_kernels_only", 2.0 * n * n * n / sec / 1e9, "GFLOP/s", reps, Parallel.THREADS);
    }

    /**
     * conv2d 3x3, stride 1, padding 1, no bias: forward, gradient of the input and gradient of the
     * weight, in ms per step.
     */
    public static Result conv2dForwardBackward(int batch, int cin, int cout, int hw, int warmup, int reps) {
        Rng rng = new Rng(2);
        Tensor x = Tensor.randn(rng, batch, cin, hw, hw), w = Tensor.randn(rng, cout, cin, 3, 3);
        Tensor gy = Tensor.randn(rng, batch, cout, hw, hw);
        Backend be = Backends.get();
        int[] xs = x.shape(), ws = w.shape();
        Object[] sink = new Object[3];
        double sec = medianSeconds(warmup, reps, () -> {
            sink[0] = be.conv2d(x, w, null, 1, 1);
            sink[1] = be.conv2dGradInput(gy, w, xs, 1, 1);
            sink[2] = be.conv2dGradWeight(gy, x, ws, 1, 1);
        });
        String name = "conv2d_fwd_bwd_b" + batch + "_c" + cin + "x" + cout + "_" + hw + "x" + hw + "_k3p1";
        return new Result(name, sec * 1e3, "ms", reps, Parallel.THREADS);
    }

    static final long MIN_WARMUP_NANOS = Long.getLong("alignguard.bench.warmupMs", 1500) * 1_000_000L;

    /** After the minimum warm-up, runs go on until the JIT has compiled nothing for this long... */
    static final long JIT_QUIET_NANOS = 500_000_000L;
    /** ...or the warm-up has lasted this long. */
    static final long MAX_WARMUP_NANOS = 20_000_000_000L;

    /**
     * Warm-up: at least {@code warmup} runs and at least {@link #MIN_WARMUP_NANOS}, then on until the
     * JIT has been quiet for {@link #JIT_QUIET_NANOS}. A compile still under way takes a core from
     * the timed runs (on a 2-core machine, one of two): with Winograd's convolution, whose dozen
     * methods the JIT compiles and recompiles for about 2 s after start-up, a fixed 1.5 s warm-up
     * timed the compiler too, and the medians of one build varied twofold (docs/PERFORMANCE.md,
     * development log: "Winograd on the Zen 4 guest"). The JIT's clock counts
     * finished compiles, so one compile longer than the quiet time would go unseen; none of the
     * benchmarks' is.
     */
    static double medianSeconds(int warmup, int reps, Runnable body) {
        long start = System.nanoTime();
        for (int i = 0; i < warmup || System.nanoTime() - start < MIN_WARMUP_NANOS; i++) body.run();
        warmUntilJitQuiet(body, start);
        double[] t = new double[Math.max(1, reps)];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            body.run();
            t[i] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(t);
        return t.length % 2 == 1 ? t[t.length / 2] : 0.5 * (t[t.length / 2 - 1] + t[t.length / 2]);
    }

    /** Runs body until the JIT's total compilation time has not moved for {@link #JIT_QUIET_NANOS}. */
    static void warmUntilJitQuiet(Runnable body, long start) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return;
        long compiled = jit.getTotalCompilationTime(), quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < JIT_QUIET_NANOS && System.nanoTime() - start < MAX_WARMUP_NANOS) {
            body.run();
            long now = jit.getTotalCompilationTime();
            if (now != compiled) {
                compiled = now;
                quietSince = System.nanoTime();
            }
        }
    }

    /**
     * Prints one JSON line per benchmark. With arguments, runs only the named ones:
     * {@code sgemm512 sgemm1024 sgemm2048 mlp-gemm conv}.
     */
    public static void main(String[] args) {
        java.util.List<String> which = args.length == 0
                ? java.util.List.of("sgemm512", "sgemm1024", "mlp-gemm", "conv") : Arrays.asList(args);
        for (String w : which) {
            Result r = switch (w) {
                case "sgemm512" -> sgemm(512, 20, 31);
                case "sgemm1024" -> sgemm(1024, 10, 21);
                case "sgemm2048" -> sgemm(2048, 3, 7);
                case "mlp-gemm" -> sgemm(64, 256, 256, 2000, 2001);
                case "conv" -> conv2dForwardBackward(32, 64, 64, 16, 10, 21);
                default -> throw new IllegalArgumentException("unknown benchmark " + w);
            };
            System.out.println(r.toJson());
        }
    }
}
