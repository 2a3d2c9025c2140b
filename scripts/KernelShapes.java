import java.util.Random;
import org.alignguard.tensor.Backends;
import org.alignguard.tensor.BinaryOp;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.UnaryOp;
import org.alignguard.tensor.cpu.Sgemm;

/**
 * The kernels of the UNet's small maps, one shape at a time (docs/PERFORMANCE.md, issue 14): conv2d
 * forward and input gradient at the batch-16 shapes of a DPO step, the GEMM a 4×4 convolution runs
 * (64×256×576), GELU's gradient beside SiLU's, softmax beside an exp over the same values, the
 * attention's batched products, the 64-feature linear layers and a per-channel add on 4×4 maps.
 * Each figure is the fastest of 10 blocks of 20 calls after 1,000 warm-up calls (enough for C2 to
 * compile every kernel), in µs: the minimum, because
 * this host's neighbours move means. To compare two commits, compile each one's tensor module and
 * alternate the runs (-cp OLD/tensor/target/classes, then the new).
 *
 *   mvn -q -B -o compile -pl tensor
 *   java --add-modules jdk.incubator.vector -cp tensor/target/classes scripts/KernelShapes.java
 *   (add -Dalignguard.conv.shifted=false before -cp to unfold small maps the old way, or
 *   -Dalignguard.sgemm.small=false to run the narrow products through the packed GEMM)
 */
public class KernelShapes {
    static double fastest(Runnable r) {
        for (int i = 0; i < 1000; i++) r.run();
        double best = Double.MAX_VALUE;
        for (int b = 0; b < 10; b++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 20; i++) r.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e3 / 20);
        }
        return best;
    }

    public static void main(String[] args) {
        Rng rng = new Rng(1);
        int[][] convs = {{16, 64, 4, 64}, {16, 64, 4, 128}, {16, 128, 4, 64}, {16, 64, 8, 64}, {16, 32, 16, 32}};
        for (int[] s : convs) {
            Tensor x = Tensor.rand(rng, s[0], s[1], s[2], s[2]), w = Tensor.rand(rng, s[3], s[1], 3, 3), b = Tensor.rand(rng, s[3]);
            Tensor gy = Tensor.rand(rng, s[0], s[3], s[2], s[2]);
            double fwd = fastest(() -> x.conv2d(w, b, 1, 1));
            double gin = fastest(() -> Backends.get().conv2dGradInput(gy, w, x.shape(), 1, 1));
            double flop = 2.0 * s[0] * s[2] * s[2] * s[3] * s[1] * 9;
            System.out.printf("conv2d x[%d,%d,%d,%d] -> %d channels: forward %.0f us (%.0f GFLOP/s), input gradient %.0f us%n",
                    s[0], s[1], s[2], s[2], s[3], fwd, flop / fwd / 1e3, gin);
        }
        int m = 64, n = 256, k = 576;
        float[] a = new float[m * k], bb = new float[k * n], c = new float[m * n];
        Random r = new Random(1);
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat();
        for (int i = 0; i < bb.length; i++) bb[i] = r.nextFloat();
        double g = fastest(() -> Sgemm.gemm(m, n, k, a, 0, k, 1, bb, 0, n, 1, c, 0, n, false, true));
        System.out.printf("gemm %dx%dx%d: %.0f us (%.0f GFLOP/s)%n", m, n, k, g, 2.0 * m * n * k / g / 1e3);
        Tensor gx = Tensor.randn(rng, 16, 64, 256), gy = Tensor.randn(rng, 16, 64, 256);
        System.out.printf("gelu gradient [16,64,256]: %.0f us; silu gradient %.0f us; gelu %.0f us%n",
                fastest(() -> gx.binary(BinaryOp.GELU_GRAD, gy)), fastest(() -> gx.binary(BinaryOp.SILU_GRAD, gy)),
                fastest(() -> gx.unary(UnaryOp.GELU)));
        for (int[] s : new int[][] {{16, 4, 64, 64}, {16, 4, 64, 24}, {256, 1024}}) {
            Tensor x = Tensor.randn(rng, s);
            System.out.printf("softmax %s: %.0f us; exp of the same values %.0f us%n", java.util.Arrays.toString(s),
                    fastest(() -> x.softmax(-1)), fastest(() -> x.unary(UnaryOp.EXP)));
        }
        // The attention's batched products (64 heads) and the 64-feature linear layers: SmallGemm's
        // shapes; -Dalignguard.sgemm.small=false runs them through the packed GEMM instead.
        for (int[] s : new int[][] {{16, 16, 16}, {64, 16, 64}, {64, 64, 16}, {64, 16, 24}, {64, 24, 16}}) {
            Tensor p = Tensor.randn(rng, 16, 4, s[0], s[1]), q = Tensor.randn(rng, 16, 4, s[1], s[2]);
            double t = fastest(() -> p.matmul(q));
            System.out.printf("matmul [16,4,%d,%d] x [16,4,%d,%d]: %.0f us (%.0f GFLOP/s)%n", s[0], s[1], s[1], s[2], t,
                    2.0 * 64 * s[0] * s[1] * s[2] / t / 1e3);
        }
        for (int[] s : new int[][] {{1024, 64, 64}, {4096, 32, 32}, {4096, 64, 32}}) {
            Tensor x = Tensor.randn(rng, s[0], s[1]), w = Tensor.randn(rng, s[2], s[1]), bias = Tensor.randn(rng, s[2]);
            double t = fastest(() -> x.matmul(w.transpose(0, 1))), tb = fastest(() -> Tensor.addmm(bias, x, w.transpose(0, 1)));
            System.out.printf("linear [%d,%d] -> %d features: matmul %.0f us (%.0f GFLOP/s), addmm (with bias) %.0f us%n", s[0], s[1], s[2], t,
                    2.0 * s[0] * s[1] * s[2] / t / 1e3, tb);
        }
        // A per-channel add on 4x4 maps: 1,024 rows of 16 values.
        Tensor act = Tensor.randn(rng, 16, 64, 4, 4), perChannel = Tensor.randn(rng, 16, 64, 1, 1);
        System.out.printf("add [16,64,4,4] + [16,64,1,1]: %.1f us%n", fastest(() -> act.binary(BinaryOp.ADD, perChannel)));
    }
}
