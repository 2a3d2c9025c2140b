package org.alignguard.diffusion.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.diffusion.schedule.DDIMScheduler;
import org.alignguard.diffusion.schedule.Scheduler;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The sampling loop's step listener sees every step, changes nothing, and can stop the run. */
class GeneratorStepListenerTest {
    final TextToImageModel m = PseudoWordTest.tiny();
    final Generator.Settings settings = new Generator.Settings(5, 3f, Generator.Sampler.DDIM);
    final List<String> prompts = List.of("a red circle on a navy background");

    @Test
    void itSeesEachStepAndChangesNothing() {
        Tensor plain = new Generator(m).generate(prompts, settings, 11);
        List<Integer> steps = new ArrayList<>(), timesteps = new ArrayList<>();
        List<Tensor> samples = new ArrayList<>(), eps = new ArrayList<>();
        Tensor heard = new Generator(m).generate(prompts, settings, 11, Guidance.CFG, (i, t, x, e) -> {
            steps.add(i);
            timesteps.add(t);
            samples.add(x);
            eps.add(e);
        });
        assertArrayEquals(plain.toArray(), heard.toArray(), "listening changes no pixel");
        assertEquals(List.of(0, 1, 2, 3, 4), steps);
        assertEquals(List.of(800, 600, 400, 200, 0), timesteps, "leading spacing, noisiest first");
        // The listener's x_t and ε̃ are what the scheduler steps with: redoing the last step gives the image.
        DDIMScheduler ddim = new DDIMScheduler(m.schedule);
        ddim.setTimesteps(5);
        Tensor last = ddim.step(eps.get(4), 0, samples.get(4), (Tensor) null).clamp(-1f, 1f);
        assertArrayEquals(plain.toArray(), last.toArray(), 1e-6f);
        // At t = 0, x̂0 is (nearly) the final picture.
        Tensor x0 = Scheduler.predictX0(samples.get(4), eps.get(4), m.schedule.alphaCumprod(0), true);
        assertArrayEquals(plain.toArray(), x0.toArray(), 0.05f);
    }

    @Test
    void throwingStopsTheRun() {
        int[] seen = {0};
        assertThrows(IllegalStateException.class, () -> new Generator(m).generate(prompts, settings, 1, Guidance.CFG, (i, t, x, e) -> {
            if (++seen[0] == 2) throw new IllegalStateException("nobody wants it");
        }));
        assertEquals(2, seen[0], "no step after the one that threw");
    }
}
