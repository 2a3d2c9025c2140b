package org.alignguard.diffusion.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.NoiseSchedule;
import org.alignguard.diffusion.schedule.Prediction;
import org.junit.jupiter.api.Test;

/** Min-SNR-γ (Hang et al. 2023): weight 1 while SNR ≤ γ, then γ / SNR. */
class MinSnrWeightTest {
    @Test
    void handValues() {
        assertEquals(1f, Prediction.EPSILON.minSnrWeight(0.5, 5f), 1e-6f);          // SNR 1
        assertEquals(5f / 9f, Prediction.EPSILON.minSnrWeight(0.9, 5f), 1e-6f);     // SNR 9
        assertEquals(5f / 99f, Prediction.EPSILON.minSnrWeight(0.99, 5f), 1e-6f);   // SNR 99
    }

    @Test
    void vPredictionKeepsTheNoisiestStepsAtWeightOne() {
        // v-space weight min(SNR + 1, γ) / (SNR + 1): on x̂_0 errors that is min(SNR + 1, γ) ≥ 1.
        assertEquals(1f, Prediction.V.minSnrWeight(0.5, 5f), 1e-6f);             // SNR 1
        assertEquals(0.5f, Prediction.V.minSnrWeight(0.9, 5f), 1e-6f);           // SNR 9
        assertEquals(1f, Prediction.V.minSnrWeight(0.001, 5f), 1e-6f);           // SNR ≈ 0.001
        assertEquals(Prediction.V, Prediction.parse("v_prediction"));
        assertThrows(IllegalArgumentException.class, () -> Prediction.parse("x0"));
    }

    @Test
    void alongTheCosineScheduleTheWeightNeverFallsWithNoise() {
        NoiseSchedule s = TextToImageModel.scheduleFor(NoiseSchedule.Kind.COSINE, 1000, 1.0);
        float prev = 0;
        for (int t = 0; t < 1000; t++) {
            float w = Prediction.EPSILON.minSnrWeight(s.alphaCumprod(t), 5f);
            assertTrue(w >= prev - 1e-7f && w <= 1f, "t=" + t + " w=" + w);
            prev = w;
        }
        assertEquals(1f, prev, 0f);
        assertTrue(Prediction.EPSILON.minSnrWeight(s.alphaCumprod(0), 5f) < 0.01f, "the cleanest step is turned down");
    }
}
