package org.alignguard.bench;

import java.util.Arrays;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.optim.AdamW;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * Times one training step (forward, backward, AdamW) of a 3-layer MLP, {@code width} wide, on a
 * batch of {@code batch}: width -> width -> width -> width with GELU between, MSE loss. The PyTorch
 * peer in bench/peers.py builds the same network.
 */
public final class MlpStepBench {
    private MlpStepBench() {}

    static final class Mlp extends Module {
        final Linear l1, l2, l3;

        Mlp(int width, Rng rng) {
            l1 = child("l1", new Linear(width, width, true, rng));
            l2 = child("l2", new Linear(width, width, true, rng));
            l3 = child("l3", new Linear(width, width, true, rng));
        }

        Variable forward(Variable x) {
            return l3.forward(Ops.gelu(l2.forward(Ops.gelu(l1.forward(x)))));
        }
    }

    /** Median milliseconds per step over {@code reps} steps after {@code warmup} steps. */
    public static double medianMs(int width, int batch, int warmup, int reps) {
        Rng rng = new Rng(0);
        Mlp model = new Mlp(width, rng);
        AdamW opt = new AdamW(model.namedParameters(), 1e-3f);
        Variable x = Variable.constant(Tensor.randn(rng, batch, width));
        Variable y = Variable.constant(Tensor.randn(rng, batch, width));
        double[] times = new double[reps];
        for (int i = 0; i < warmup + reps; i++) {
            long t0 = System.nanoTime();
            opt.zeroGrad();
            Variable loss = Losses.mse(model.forward(x), y);
            loss.backward();
            opt.step();
            long t1 = System.nanoTime();
            if (i >= warmup) times[i - warmup] = (t1 - t0) / 1e6;
        }
        return median(times);
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }
}
