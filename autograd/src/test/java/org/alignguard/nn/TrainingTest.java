package org.alignguard.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.optim.AdamW;
import org.alignguard.optim.LrSchedule;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** End-to-end: a tiny MLP and a tiny conv net learn toy problems with AdamW. */
class TrainingTest {

    static final class Mlp extends Module {
        final Linear l1, l2, l3;

        Mlp(Rng rng) {
            l1 = child("l1", new Linear(2, 32, true, rng));
            l2 = child("l2", new Linear(32, 32, true, rng));
            l3 = child("l3", new Linear(32, 1, true, rng));
        }

        Variable forward(Variable x) {
            return l3.forward(Ops.tanh(l2.forward(Ops.tanh(l1.forward(x)))));
        }
    }

    /** y = sin(2 x0) · cos(1.5 x1) on 256 points in [-1.5, 1.5]²; loss must fall 30x and below 3e-3. */
    @Test void mlpLearnsToyRegression() {
        Rng rng = new Rng(2024);
        int n = 256;
        float[] xs = new float[n * 2], ys = new float[n];
        for (int i = 0; i < n; i++) {
            float a = 3f * rng.nextFloat() - 1.5f, b = 3f * rng.nextFloat() - 1.5f;
            xs[2 * i] = a;
            xs[2 * i + 1] = b;
            ys[i] = (float) (Math.sin(2 * a) * Math.cos(1.5 * b));
        }
        Variable x = Variable.constant(Tensor.of(xs, n, 2)), y = Variable.constant(Tensor.of(ys, n, 1));
        Mlp net = new Mlp(rng);
        AdamW opt = new AdamW(net.namedParameters(), 0.01f, 0.9f, 0.999f, 1e-8f, 1e-4f);
        LrSchedule lr = LrSchedule.cosine(0.01f, 0.001f, 20, 400);
        float first = Float.NaN, last = Float.NaN;
        for (int step = 0; step < 400; step++) {
            opt.setLr(lr.lr(step));
            net.zeroGrad();
            Variable loss = Losses.mse(net.forward(x), y);
            loss.backward();
            opt.step();
            if (step == 0) first = loss.item();
            last = loss.item();
        }
        float end;
        try (var s = Grad.noGrad()) {
            end = Losses.mse(net.forward(x), y).item();
        }
        assertTrue(first > 0.1f, "initial loss " + first);
        assertTrue(end < 3e-3f && end < first / 30, "MLP regression: loss " + first + " -> " + end + " (last step " + last + ")");
    }

    static final class ConvNet extends Module {
        final Conv2d conv;
        final GroupNorm norm;
        final Linear head;

        ConvNet(Rng rng) {
            conv = child("conv", new Conv2d(1, 8, 3, 1, 1, true, rng));
            norm = child("norm", new GroupNorm(2, 8, 1e-5f));
            head = child("head", new Linear(8, 2, true, rng));
        }

        Variable forward(Variable x) {
            Variable h = Ops.silu(norm.forward(conv.forward(x)));   // [B, 8, 8, 8]
            return head.forward(Ops.mean(h, false, 2, 3));           // mean-pool -> [B, 8] -> [B, 2]
        }
    }

    /** 8x8 images with one horizontal (class 0) or vertical (class 1) bar at a random place, plus noise. */
    static Tensor bars(Rng rng, int[] labels) {
        int b = labels.length;
        float[] img = new float[b * 64];
        for (int i = 0; i < b; i++) {
            labels[i] = rng.nextInt(2);
            int pos = rng.nextInt(8), from = rng.nextInt(3), len = 5 + rng.nextInt(4 - from);
            for (int p = 0; p < 64; p++) img[i * 64 + p] = 0.3f * (float) rng.nextGaussian();
            for (int t = from; t < from + len && t < 8; t++) {
                int r = labels[i] == 0 ? pos : t, c = labels[i] == 0 ? t : pos;
                img[i * 64 + r * 8 + c] += 1f;
            }
        }
        return Tensor.of(img, b, 1, 8, 8);
    }

    static float accuracy(ConvNet net, Tensor x, int[] labels) {
        try (var s = Grad.noGrad()) {
            float[] logits = net.forward(Variable.constant(x)).data().toArray();
            int ok = 0;
            for (int i = 0; i < labels.length; i++) ok += ((logits[2 * i + 1] > logits[2 * i]) ? 1 : 0) == labels[i] ? 1 : 0;
            return ok / (float) labels.length;
        }
    }

    @Test void convNetLearnsBars() {
        Rng rng = new Rng(7);
        int[] trainLabels = new int[128], testLabels = new int[200];
        Tensor train = bars(rng, trainLabels), test = bars(rng, testLabels);
        ConvNet net = new ConvNet(rng);
        AdamW opt = new AdamW(net.namedParameters(), 0.03f);
        float before = accuracy(net, test, testLabels);
        float first = Float.NaN, last = Float.NaN;
        for (int step = 0; step < 150; step++) {
            net.zeroGrad();
            Variable loss = Losses.crossEntropy(net.forward(Variable.constant(train)), trainLabels);
            loss.backward();
            opt.step();
            if (step == 0) first = loss.item();
            last = loss.item();
        }
        float acc = accuracy(net, test, testLabels);
        assertTrue(first > 0.5f, "initial loss " + first);
        assertTrue(last < first / 10, "conv net: loss " + first + " -> " + last);
        assertTrue(acc > 0.95f, "conv net: held-out accuracy " + acc + " (before training " + before + ")");
    }
}
