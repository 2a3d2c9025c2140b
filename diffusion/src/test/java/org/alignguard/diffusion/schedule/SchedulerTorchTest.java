package org.alignguard.diffusion.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import org.junit.jupiter.api.Test;

/** Schedules, DDPM/DDIM steps and CFG against fixtures from make_scheduler_fixtures.py (PyTorch). */
class SchedulerTorchTest {
    static Map<String, Tensor> fixture(String name) throws Exception {
        return Safetensors.read(Path.of("src/test/resources/fixtures/schedulers", name + ".safetensors")).tensors();
    }

    static void close(Tensor expected, Tensor actual, float tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toArray(), a = actual.toArray();
        for (int i = 0; i < e.length; i++)
            assertTrue(Math.abs(e[i] - a[i]) <= tol * (1 + Math.abs(e[i])), what + ": element " + i + " expected " + e[i] + " got " + a[i]);
    }

    static Tensor of(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return Tensor.of(f, f.length);
    }

    @Test
    void schedulesMatchTorch() throws Exception {
        NoiseSchedule[] all = {
            new NoiseSchedule(NoiseSchedule.Kind.LINEAR, 1000, 1e-4, 0.02),
            NoiseSchedule.stableDiffusion(),
            new NoiseSchedule(NoiseSchedule.Kind.COSINE, 1000, 0, 0)};
        String[] names = {"linear", "scaled_linear", "cosine"};
        for (int i = 0; i < all.length; i++) {
            Map<String, Tensor> f = fixture("schedule_" + names[i]);
            close(f.get("betas"), of(all[i].betas), 1e-6f, names[i] + " betas");
            close(f.get("alphas_cumprod"), of(all[i].alphasCumprod), 1e-6f, names[i] + " alphas_cumprod");
        }
    }

    @Test
    void theShiftedCosineScheduleMatchesTorch() throws Exception {
        NoiseSchedule plain = new NoiseSchedule(NoiseSchedule.Kind.COSINE, 1000, 0, 0);
        NoiseSchedule shifted = new NoiseSchedule(NoiseSchedule.Kind.COSINE, 1000, 0, 0, 0.5);
        Map<String, Tensor> f = fixture("schedule_cosine_shift0.5");
        close(f.get("betas"), of(shifted.betas), 1e-6f, "shifted betas");
        close(f.get("alphas_cumprod"), of(shifted.alphasCumprod), 1e-6f, "shifted alphas_cumprod");
        for (int t : new int[] {0, 300, 700, 990}) {   // SNR is multiplied by s² = 0.25 at every step
            double a = plain.alphaCumprod(t), b = shifted.alphaCumprod(t);
            assertEquals(0.25, (b / (1 - b)) / (a / (1 - a)), 1e-9, "t=" + t);
        }
        assertThrows(IllegalArgumentException.class, () -> new NoiseSchedule(NoiseSchedule.Kind.COSINE, 1000, 0, 0, 0));
    }

    @Test
    void velocityAndItsInverseMatchTorch() throws Exception {
        Map<String, Tensor> f = fixture("steps");
        DDIMScheduler s = new DDIMScheduler(NoiseSchedule.stableDiffusion());
        close(f.get("velocity_t999_0"), s.velocity(f.get("x0"), f.get("noise"), new int[] {999, 0}), 1e-5f, "velocity");
        close(f.get("eps_from_v_t500"), s.epsilonFromVelocity(f.get("eps"), 500, f.get("x")), 1e-5f, "ε from v");
        // Round trip: x_t from (x_0, ε), then v, then ε back.
        int[] t = {300, 300};
        Tensor xt = s.addNoise(f.get("x0"), f.get("noise"), t);
        close(f.get("noise"), s.epsilonFromVelocity(s.velocity(f.get("x0"), f.get("noise"), t), 300, xt), 1e-5f, "ε round trip");
    }

    @Test
    void ddpmAndDdimStepsMatchTorch() throws Exception {
        Map<String, Tensor> f = fixture("steps");
        Tensor x = f.get("x"), eps = f.get("eps"), z = f.get("noise");
        DDPMScheduler ddpm = new DDPMScheduler(NoiseSchedule.stableDiffusion());
        DDIMScheduler ddim = new DDIMScheduler(NoiseSchedule.stableDiffusion(), 0f, false);
        DDIMScheduler ddim1 = new DDIMScheduler(NoiseSchedule.stableDiffusion(), 1f, false);
        for (Scheduler s : new Scheduler[] {ddpm, ddim, ddim1}) s.setTimesteps(50);
        for (int t : new int[] {980, 500, 20, 0}) {
            close(f.get("ddpm_t" + t), ddpm.step(eps, t, x, ddpm.usesNoise(t) ? z : null), 2e-5f, "ddpm t=" + t);
            close(f.get("ddim_t" + t), ddim.step(eps, t, x, (Tensor) null), 2e-5f, "ddim t=" + t);
            close(f.get("ddim_eta1_t" + t), ddim1.step(eps, t, x, z), 2e-5f, "ddim eta=1 t=" + t);
        }
    }

    @Test
    void addNoiseAndGuidanceMatchTorch() throws Exception {
        Map<String, Tensor> f = fixture("steps");
        DDPMScheduler s = new DDPMScheduler(NoiseSchedule.stableDiffusion());
        close(f.get("add_noise_t999_0"), s.addNoise(f.get("x0"), f.get("noise"), new int[] {999, 0}), 1e-5f, "add_noise");
        close(f.get("cfg_w7_5"), Scheduler.guidance(f.get("eps_uncond"), f.get("eps"), 7.5f), 1e-5f, "cfg");
    }

    @Test
    void timestepsUseLeadingSpacing() {
        DDIMScheduler s = new DDIMScheduler(NoiseSchedule.stableDiffusion());
        assertArrayEquals(new int[] {750, 500, 250, 0}, s.setTimesteps(4));
        assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(0));
        assertThrows(IllegalArgumentException.class, () -> s.addNoise(Tensor.zeros(1, 2), Tensor.zeros(1, 2), new int[] {1000}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.Kind.parse("quadratic"));
        assertTrue(e.getMessage().contains("quadratic"));
        assertEquals(NoiseSchedule.Kind.COSINE, NoiseSchedule.Kind.parse("squaredcos_cap_v2"));
    }
}
