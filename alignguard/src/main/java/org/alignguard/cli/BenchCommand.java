package org.alignguard.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.alignguard.bench.DpoStepBench;
import org.alignguard.bench.MlpStepBench;
import org.alignguard.bench.UnetForwardBench;
import org.alignguard.tensor.DeviceStats;
import org.alignguard.tensor.bench.BackendBench;
import org.alignguard.tensor.Backends;
import org.alignguard.tensor.bench.KernelBench;
import org.alignguard.tensor.bench.OpProfile;
import org.alignguard.tensor.bench.KernelBench.Result;
import org.alignguard.tensor.cpu.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmarks the current backend (the CPU one unless --backend says otherwise) and prints one JSON object per line (median after warm-up, with the
 * thread count). The PyTorch/numpy peers are in bench/peers.py; docs/PERFORMANCE.md has both.
 */
@Command(name = "bench", description = "Benchmark SGEMM, conv2d forward+backward and an MLP training step; prints JSON lines. "
        + "With --backend tornado, also the device, kernel launches and the share of time spent in host-device copies.")
final class BenchCommand implements Callable<Integer> {
    static final List<String> ALL = List.of("sgemm512", "sgemm1024", "conv", "mlp", "dpo");
    /** Also accepted: a UNet forward pass (batch 16), the GPU-sized GEMM and DPO step, and SGEMM's kernels alone. */
    static final List<String> EXTRA = List.of("unet", "sgemm4096", "dpo64", "sgemm1024-kernels");

    @Option(names = "--only", split = ",", paramLabel = "NAME",
            description = "Run only these: sgemm512, sgemm1024, conv, mlp, dpo (default: all), or unet (a UNet forward pass, batch 16), sgemm4096, dpo64 (a DPO step at 64 pairs), sgemm1024-kernels (SGEMM 1024³ with its operands packed beforehand: the micro-kernels alone, CPU only).")
    List<String> only;

    @Option(names = "--reps", defaultValue = "0", description = "Timed repetitions (default: per benchmark).")
    int reps;

    @Option(names = "--profile", description = "With --only dpo or --only unet: time every backend op of the timed steps and print where the step goes, op by op (to standard error).")
    boolean profile;

    @Override public Integer call() throws java.io.IOException {
        List<String> which = only == null ? ALL : only;
        for (String w : which)
            if (!ALL.contains(w) && !EXTRA.contains(w))
                throw new UserError("bench: unknown benchmark '" + w + "' (choose " + String.join(", ", ALL) + ", " + String.join(", ", EXTRA) + ")");
        if (reps < 0) throw new UserError("bench: --reps must be positive, got " + reps);
        if (profile && !(which.equals(List.of("dpo")) || which.equals(List.of("unet"))))
            throw new UserError("bench: --profile works with --only dpo or --only unet");
        OpProfile prof = null;
        if (profile) {
            prof = new OpProfile(Backends.get());
            Backends.use(prof.backend());
        }
        System.out.println("{\"backend\": \"" + Backends.get().name() + "\", \"java\": \"" + Runtime.version() + "\"}");
        boolean device = BackendBench.onDevice();   // --backend tornado: GEMMs through the backend, and copy counts
        for (String w : which) {
            DeviceStats before = Backends.get().stats();
            long t0 = System.nanoTime();
            Result r = switch (w) {
                case "sgemm512" -> device ? BackendBench.sgemm(512, 5, pick(11)) : KernelBench.sgemm(512, 20, pick(31));
                case "sgemm1024" -> device ? BackendBench.sgemm(1024, 3, pick(7)) : KernelBench.sgemm(1024, 10, pick(21));
                case "sgemm4096" -> device ? BackendBench.sgemm(4096, 1, pick(3)) : KernelBench.sgemm(4096, 1, pick(3));
                case "sgemm1024-kernels" -> {
                    if (device || !org.alignguard.tensor.cpu.Simd.ENABLED)
                        throw new UserError("bench: sgemm1024-kernels times the CPU backend's Vector API kernels (not with --backend tornado or -Dalignguard.scalar=true)");
                    yield KernelBench.sgemmKernelsOnly(1024, 10, pick(21));
                }
                case "unet" -> new Result("unet_forward_b16", UnetForwardBench.medianMs(Outputs.defaultModel(), 16, 3, pick(10), prof), "ms", pick(10), Parallel.THREADS);
                case "conv" -> KernelBench.conv2dForwardBackward(32, 64, 64, 16, 10, pick(21));
                // On a device the warm-up is the kernel compiles (a few steps); on the CPU it is the JIT.
                case "dpo" -> new Result("dpo_step_8pairs_r4", DpoStepBench.medianMs(Outputs.defaultModel(), 8, device ? 2 : 30, pick(40), prof), "ms", pick(40), Parallel.THREADS);
                // Issue 9's GPU target: a DPO step at batch 64, against this step on the 2-core CPU backend.
                case "dpo64" -> new Result("dpo_step_64pairs_r4", DpoStepBench.medianMs(Outputs.defaultModel(), 64, device ? 2 : 5, pick(10)), "ms", pick(10), Parallel.THREADS);
                default -> new Result("mlp3x256_b64_train_step", MlpStepBench.medianMs(256, 64, reps > 0 ? reps : 300, pick(301)), "ms", pick(301), Parallel.THREADS);
            };
            System.out.println(r.toJson());
            if (prof != null) {
                System.err.print(prof.table(prof.byMethod(), 40));
                System.err.println();
                System.err.print(prof.table(prof.rows(), 60));
            }
            if (device) System.out.println(BackendBench.transfersJson(r.name(), Backends.get().stats().minus(before), (System.nanoTime() - t0) / 1e9));
        }
        return 0;
    }

    private int pick(int dflt) {
        return reps > 0 ? reps : dflt;
    }
}
