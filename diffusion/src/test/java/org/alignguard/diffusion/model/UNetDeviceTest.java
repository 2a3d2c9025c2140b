package org.alignguard.diffusion.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Backend;
import org.alignguard.tensor.Backends;
import org.alignguard.tensor.DeviceStats;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The UNet on the TornadoVM backend: the same numbers as on the CPU backend, and activations that
 * stay on the device for a whole forward pass. Skipped, with the reason, where TornadoVM is absent.
 */
class UNetDeviceTest {
    private Backend cpu, tornado;

    @BeforeEach void start() {
        cpu = Backends.named("cpu");
        Assumptions.assumeTrue(Backends.tornadoAvailable(), "TornadoVM backend absent, test skipped: " + reason());
        tornado = Backends.named("tornado");
    }

    private static String reason() {
        try {
            Backends.named("tornado");
            return "";
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    @AfterEach void backToCpu() {
        Backends.use(cpu);
    }

    private static <T> T under(Backend b, Supplier<T> f) {
        Backends.use(b);
        return f.get();
    }

    private static void close(String what, float[] e, float[] a, double rel) {
        assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++)
            if (!(Math.abs(e[i] - a[i]) <= rel * Math.max(1, Math.abs(e[i]))))
                throw new AssertionError(what + ": element " + i + " cpu " + e[i] + " tornado " + a[i]);
    }

    @Test void forwardKeepsActivationsOnTheDeviceAndMatchesTheCpu() {
        Rng rng = new Rng(0);
        UNet unet = new UNet(UNetConfig.tiny(16), rng);
        TextEncoder enc = new TextEncoder(UNetTest.TEXT, rng);
        int[] tokens = {1, 2, 3, 0, 0, 0, 4, 5, 0, 0, 0, 0};
        Tensor x = Tensor.randn(rng, 2, 3, 8, 8);
        int[] t = {10, 900};
        try (var scope = Grad.noGrad()) {
            float[] expected = under(cpu, () -> unet.forward(Variable.constant(x), t, enc.forward(tokens, 2)).data().toArray());
            Backends.use(tornado);
            Variable ctx = enc.forward(tokens, 2);
            unet.forward(Variable.constant(x), t, ctx);                 // uploads the weights and x, compiles the kernels
            DeviceStats s0 = tornado.stats();
            Tensor out = unet.forward(Variable.constant(x), t, ctx).data();
            DeviceStats pass = tornado.stats().minus(s0);
            assertEquals(0, pass.downloads(), "a forward pass copied activations to the host: " + pass);
            assertEquals(0, pass.fallbacks(), "a forward pass fell back to the CPU: " + pass);
            // What still crosses is the pass's own small host inputs (timestep embedding, coordinates), not activations.
            assertTrue(pass.uploadBytes() < 4L * x.numel(), "a forward pass uploaded " + pass);
            assertTrue(pass.launches() > 50, pass.toString());
            assertEquals("opencl:0", out.storage().device());
            close("UNet forward", expected, out.toArray(), 1e-4);
        }
    }

    @Test void trainingGradientsMatchTheCpu() {
        Rng rng = new Rng(1);
        UNet unet = new UNet(UNetConfig.tiny(16), rng);
        Tensor x = Tensor.randn(rng, 2, 3, 8, 8), ctx = Tensor.randn(rng, 2, 6, 16), target = Tensor.randn(rng, 2, 3, 8, 8);
        int[] t = {5, 500};
        Supplier<float[][]> step = () -> {
            unet.zeroGrad();
            Variable loss = Losses.mse(unet.forward(Variable.constant(x), t, Variable.constant(ctx)), Variable.constant(target));
            loss.backward();
            return new float[][] {
                    {loss.item()},
                    unet.conv_in.weight.grad().toArray(),
                    unet.namedParameters().get("down.1.attn.0.block.attn2.to_q.weight").grad().toArray(),
                    unet.namedParameters().get("mid.attn.0.block.attn1.to_out.bias").grad().toArray()};
        };
        float[][] e = under(cpu, step), a = under(tornado, step);
        String[] names = {"loss", "conv_in.weight grad", "attn2.to_q.weight grad", "attn1.to_out.bias grad"};
        for (int i = 0; i < e.length; i++) {
            float scale = 0;
            for (float v : e[i]) scale = Math.max(scale, Math.abs(v));
            assertTrue(scale > 0, names[i] + " is all zero");
            for (int j = 0; j < e[i].length; j++)   // float sums in another order: 1e-3 of the largest entry
                if (!(Math.abs(e[i][j] - a[i][j]) <= 1e-3 * scale))
                    throw new AssertionError(names[i] + ": element " + j + " cpu " + e[i][j] + " tornado " + a[i][j] + " (largest " + scale + ")");
        }
    }
}
