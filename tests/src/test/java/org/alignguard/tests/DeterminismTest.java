package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Conv2d;
import org.alignguard.nn.GroupNorm;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.optim.AdamW;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.cpu.Parallel;
import org.junit.jupiter.api.Test;

/**
 * Same seed, same numbers: a few training steps of a conv + attention-free net give bit-identical
 * parameters on repeated runs and when every loop runs on one thread instead of all cores.
 */
class DeterminismTest {
    static final class Net extends Module {
        final Conv2d conv;
        final GroupNorm norm;
        final Linear head;

        Net(Rng rng) {
            conv = child("conv", new Conv2d(16, 32, 3, 1, 1, true, rng));
            norm = child("norm", new GroupNorm(8, 32, 1e-5f));
            head = child("head", new Linear(32, 10, true, rng));
        }

        Variable forward(Variable x) {
            Variable h = Ops.silu(norm.forward(conv.forward(x)));
            return head.forward(h.mean(false, 2, 3));
        }
    }

    static float[] train(long seed) {
        Rng rng = new Rng(seed);
        Net net = new Net(rng);
        AdamW opt = new AdamW(net.namedParameters(), 1e-2f);
        Variable x = Variable.constant(Tensor.randn(rng, 16, 16, 16, 16));
        int[] labels = new int[16];
        for (int i = 0; i < labels.length; i++) labels[i] = rng.nextInt(10);
        for (int step = 0; step < 3; step++) {
            opt.zeroGrad();
            Variable loss = Losses.crossEntropy(net.forward(NNOps.dropout(x, 0.1f, rng)), labels);
            loss.backward();
            opt.step();
        }
        return net.parameters().stream().map(p -> p.data().toArray())
                .reduce(new float[0], (a, b) -> {
                    float[] r = Arrays.copyOf(a, a.length + b.length);
                    System.arraycopy(b, 0, r, a.length, b.length);
                    return r;
                });
    }

    @Test
    void sameSeedSameNumbers() {
        assertArrayEquals(train(7), train(7));
        assertFalse(Arrays.equals(train(7), train(8)), "a different seed must change the result");
    }

    @Test
    void oneThreadGivesTheSameBitsAsAll() {
        float[] parallel = train(11);
        float[][] serial = new float[1][];
        Parallel.serially(() -> serial[0] = train(11));
        assertArrayEquals(parallel, serial[0]);
    }
}
