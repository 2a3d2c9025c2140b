package org.alignguard.diffusion.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.Gson;
import org.alignguard.diffusion.model.UNetConfig;
import org.junit.jupiter.api.Test;

/** The UNet config round-trips through the checkpoint's JSON, and older checkpoints still read. */
class UNetConfigJsonTest {
    @Test
    void roundTrip() {
        UNetConfig c = new UNetConfig(16, 3, 32, new int[] {1, 2, 2}, 1, new boolean[] {false, true, true}, 4, 64, 8, 0f, true, 2, true, true);
        assertEquals(c, TextToImageModel.parseUNetConfig(new Gson().toJson(c)));
    }

    @Test
    void aCheckpointFromBeforePooledTextAndPatchesReadsAsThoseModelsWere() {
        String old = "{\"imageSize\":16,\"inChannels\":3,\"baseChannels\":32,\"channelMult\":[1,2,2],\"layersPerBlock\":1,"
                + "\"attentionLevels\":[false,true,true],\"heads\":4,\"contextDim\":64,\"groups\":8,\"dropout\":0.0}";
        UNetConfig c = TextToImageModel.parseUNetConfig(old);
        assertEquals(false, c.pooledText());
        assertEquals(1, c.patchSize());
        assertEquals(false, c.coordChannels());
        assertEquals(false, c.posEmbed());
        assertEquals(32, c.baseChannels());
    }

    @Test
    void anImpossibleConfigIsRejected() {
        String bad = "{\"imageSize\":10,\"inChannels\":3,\"baseChannels\":32,\"channelMult\":[1,2,2],\"layersPerBlock\":1,"
                + "\"attentionLevels\":[false,true,true],\"heads\":4,\"contextDim\":64,\"groups\":8,\"dropout\":0.0}";
        assertThrows(RuntimeException.class, () -> TextToImageModel.parseUNetConfig(bad));
    }
}
