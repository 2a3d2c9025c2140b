package org.alignguard;

import org.alignguard.diffusion.model.TextEncoderConfig;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.NoiseSchedule;
import org.alignguard.diffusion.schedule.Prediction;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;

/** Small untrained models for the alignguard tests: 16×16 images, one attention level, fast on 2 cores. */
public final class TinyModels {
    private TinyModels() {}

    public static UNetConfig unetConfig() {
        return new UNetConfig(16, 3, 8, new int[] {1, 2}, 1, new boolean[] {false, true}, 2, 16, 4, 0f, true, 1, true, false);
    }

    public static TextToImageModel model(long seed) {
        return model(unetConfig(), seed);
    }

    public static TextToImageModel model(UNetConfig uc, long seed) {
        Tokenizer tok = Tokenizer.forWorld(World.load());
        return TextToImageModel.create(tok, new TextEncoderConfig(tok.size(), 24, uc.contextDim(), 1, 2), uc,
                TextToImageModel.scheduleFor(NoiseSchedule.Kind.COSINE, 1000, 0.5), Prediction.V, new Rng(seed));
    }
}
