package org.alignguard.dpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.nn.StateDicts;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import org.junit.jupiter.api.Test;

/** The Diffusion-DPO loss: a hand-computed value, finite differences, and the PyTorch twin of the whole shipped model. */
class DiffusionDpoLossTest {
    /**
     * One pair, two pixels, target 0. Policy: winner (1, 1), loser (2, 0): MSEs 1 and 2. Reference:
     * winner (1, 3), loser (0, 2): MSEs 5 and 2. Bracket (1 − 2) − (5 − 2) = −4; with β = 0.25 the
     * margin is −β/2 · (−4) = 0.5 and L = −log σ(0.5) = log(1 + e^−0.5) = 0.4740770.
     */
    @Test
    void handComputedValue() {
        Variable policy = Variable.param(Tensor.of(new float[] {1, 1, 2, 0}, 2, 2));
        Tensor ref = Tensor.of(new float[] {1, 3, 0, 2}, 2, 2);
        DiffusionDpoLoss.Result r = DiffusionDpoLoss.compute(policy, ref, Tensor.zeros(2, 2), 0.25f);
        assertEquals(0.4740770, r.loss().item(), 1e-6);
        assertEquals(0.5, r.rewardMargin(), 1e-6);
        assertEquals(1.0, r.implicitAccuracy());
        assertEquals(1f, r.mseThetaW()[0]);
        assertEquals(2f, r.mseThetaL()[0]);
        assertEquals(5f, r.mseRefW()[0]);
        assertEquals(2f, r.mseRefL()[0]);
        // d L / d policy: L = softplus(−m), m = −β/2 (mse_w − mse_l − 3); dL/dm = −σ(−m);
        // d mse_w / d p_w = p_w (mean of squares over 2 pixels: 2p/2), d m / d mse_w = −β/2.
        r.loss().backward();
        double s = 1 / (1 + Math.exp(0.5));                  // σ(−0.5)
        float[] g = policy.grad().toArray();
        assertEquals(s * 0.125 * 1, g[0], 1e-6);             // winner pixel 1
        assertEquals(-s * 0.125 * 2, g[2], 1e-6);            // loser pixel 2
        assertEquals(0.0, g[3], 1e-9);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        org.alignguard.tensor.Rng rng = new org.alignguard.tensor.Rng(3);
        Tensor p0 = Tensor.randn(rng, 4, 3, 2, 2), ref = Tensor.randn(rng, 4, 3, 2, 2), y = Tensor.randn(rng, 4, 3, 2, 2);
        float beta = 2f;
        Variable p = Variable.param(p0);
        DiffusionDpoLoss.compute(p, ref, y, beta).loss().backward();
        float[] g = p.grad().toArray(), x = p0.toArray();
        double h = 1e-2;
        for (int i = 0; i < x.length; i++) {
            float[] up = x.clone(), dn = x.clone();
            up[i] += (float) h;
            dn[i] -= (float) h;
            double lu = DiffusionDpoLoss.compute(Variable.constant(Tensor.of(up, p0.shape())), ref, y, beta).loss().item();
            double ld = DiffusionDpoLoss.compute(Variable.constant(Tensor.of(dn, p0.shape())), ref, y, beta).loss().item();
            assertEquals((lu - ld) / (2 * h), g[i], 2e-3, "element " + i);
        }
    }

    @Test
    void badShapesAndBetaAreRefused() {
        Variable p = Variable.param(Tensor.zeros(3, 2));
        assertThrows(IllegalArgumentException.class, () -> DiffusionDpoLoss.compute(p, Tensor.zeros(3, 2), Tensor.zeros(3, 2), 1f));
        Variable q = Variable.param(Tensor.zeros(2, 2));
        assertThrows(IllegalArgumentException.class, () -> DiffusionDpoLoss.compute(q, Tensor.zeros(2, 2), Tensor.zeros(2, 2), Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> DiffusionDpoLoss.compute(q, Tensor.zeros(2, 3), Tensor.zeros(2, 2), 1f));
    }

    /**
     * The shipped model, a LoRA and two pairs, against an independent PyTorch implementation of the
     * UNet and text encoder (bench/unet_twin.py; alignguard/src/test/python/make_dpo_fixture.py made
     * the fixture): text context, both UNet outputs, the four MSEs, the margins, the loss and every
     * LoRA gradient.
     */
    @Test
    void matchesThePyTorchTwinOfTheShippedModel() throws Exception {
        var fx = Safetensors.read(Path.of("src/test/resources/fixtures/dpo/twin_dpo.safetensors"));
        Map<String, Tensor> t = fx.tensors();
        float beta = Float.parseFloat(fx.metadata().get("beta"));
        TextToImageModel m = TextToImageModel.load(Path.of("..", "models", "base.safetensors")).model();
        m.unet.freeze();
        m.textEncoder.freeze();
        LoraNetwork lora = LoraNetwork.fromTensors(m.unet, StateDicts.under("lora.unet.", t), Float.parseFloat(fx.metadata().get("alpha")));
        float[] idf = t.get("ids").toArray();
        int[] ids = new int[idf.length];
        for (int i = 0; i < ids.length; i++) ids[i] = Math.round(idf[i]);
        float[] tf = t.get("t").toArray();
        int[] ts = {Math.round(tf[0]), Math.round(tf[1]), Math.round(tf[0]), Math.round(tf[1])};
        Tensor x0 = Tensor.concat(List.of(t.get("x0_w"), t.get("x0_l")), 0), eps = Tensor.concat(List.of(t.get("noise"), t.get("noise")), 0);
        DDPMScheduler fwd = new DDPMScheduler(m.schedule);
        Tensor xt = fwd.addNoise(x0, eps, ts), target = m.prediction.target(fwd, x0, eps, ts);
        Variable context, ref;
        try (var s = Grad.noGrad()) {
            Variable c2 = m.textEncoder.forward(ids, 2);
            close("context", t.get("context"), c2.data(), 1e-5);
            context = Variable.constant(Tensor.concat(List.of(c2.data(), c2.data()), 0));
            lora.setEnabled(false);
            ref = m.unet.forward(Variable.constant(xt), ts, context);
            lora.setEnabled(true);
        }
        close("v_ref", t.get("v_ref"), ref.data(), 1e-5);
        Variable policy = m.unet.forward(Variable.constant(xt), ts, context);
        close("v_policy", t.get("v_policy"), policy.data(), 1e-5);
        DiffusionDpoLoss.Result r = DiffusionDpoLoss.compute(policy, ref.data(), target, beta);
        float[] mt = t.get("mse_theta").toArray(), mr = t.get("mse_ref").toArray();
        close("mse_theta", Tensor.of(mt, 4), Tensor.of(new float[] {r.mseThetaW()[0], r.mseThetaW()[1], r.mseThetaL()[0], r.mseThetaL()[1]}, 4), 1e-5);
        close("mse_ref", Tensor.of(mr, 4), Tensor.of(new float[] {r.mseRefW()[0], r.mseRefW()[1], r.mseRefL()[0], r.mseRefL()[1]}, 4), 1e-5);
        // The margin is β/2 times a difference of nearly equal MSEs: float32 rounding grows ~1000×,
        // which is why the tolerances below are looser (the fixture's float64 check says the same).
        close("inside", t.get("inside"), Tensor.of(r.margin(), 2), 2e-3);
        close("loss", t.get("loss"), Tensor.of(new float[] {r.loss().item()}, 1), 2e-3);
        r.loss().backward();
        int checked = 0;
        for (var e : lora.namedParameters().entrySet()) {
            Tensor expected = t.get("grad.unet." + e.getKey());
            close("grad " + e.getKey(), expected, e.getValue().grad(), 3e-3);
            checked++;
        }
        assertEquals(112, checked, "56 adapted projections × (A, B)");
        lora.detach();
    }

    /** max |a − b| ≤ tol · max |expected|: relative to the largest expected value. */
    static void close(String what, Tensor expected, Tensor actual, double tol) {
        float[] e = expected.contiguous().toArray(), a = actual.contiguous().toArray();
        assertEquals(e.length, a.length, what + " size");
        double scale = 0, diff = 0;
        for (int i = 0; i < e.length; i++) {
            scale = Math.max(scale, Math.abs(e[i]));
            diff = Math.max(diff, Math.abs(e[i] - a[i]));
        }
        assertTrue(diff <= tol * Math.max(scale, 1e-30), what + ": max diff " + diff + " vs max |expected| " + scale);
    }
}
