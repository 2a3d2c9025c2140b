package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.baselines.BaselineFile;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.eval.Sampling;
import org.junit.jupiter.api.Test;

/**
 * The baselines shipped in {@code models/baselines/} (README): each is the method its name says,
 * erases every unsafe concept of the default world, was made from the shipped base weights, and
 * comes off bit for bit. The weight edits change what they should: ESD-u the layers outside
 * cross-attention, UCE and MACE only cross-attention's keys and values and the pooled text layer.
 */
class ShippedBaselinesTest {
    static final Path DIR = ShippedModelTest.MODELS.resolve("baselines");

    @Test void everyShippedBaselineErasesTheDefaultWorldFromTheShippedBase() throws Exception {
        TextToImageModel model = TextToImageModel.load(ShippedModelTest.MODELS.resolve("base.safetensors")).model();
        List<String> unsafe = model.world().unsafeConcepts().stream().map(Concept::name).toList();
        Map<String, float[]> before = new LinkedHashMap<>();
        model.namedParameters().forEach((k, v) -> before.put(k, v.data().toArray()));

        for (String method : List.of("esd-u", "uce", "mace", "sld", "negative-prompt", "blocklist")) {
            BaselineFile.Loaded b = BaselineFile.read(DIR.resolve(method + ".safetensors"));
            assertEquals(method, b.method());
            assertEquals(unsafe, b.erased(), method + " erases all 21 unsafe concepts, in the world's order");
            BaselineFile.Attached a = BaselineFile.attach(model, b);
            assertNull(a.warning(), method + " was made from the shipped base weights");
            boolean weights = method.equals("esd-u") || method.equals("uce") || method.equals("mace");
            assertEquals(weights, !b.edit().isEmpty(), method + ": a weight edit exactly when the method edits weights");
            for (String name : b.edit().deltas().keySet()) {
                boolean crossKv = name.contains("attn2.to_k") || name.contains("attn2.to_v") || name.contains("text_embed");
                if (method.equals("esd-u")) assertFalse(name.contains("attn2"), "ESD-u (noxattn) leaves cross-attention alone: " + name);
                else assertTrue(crossKv, method + " edits only cross-attention keys/values and text_embed: " + name);
            }
            assertEquals(method.equals("sld") || method.equals("negative-prompt") || method.equals("blocklist"), a.sampling() != Sampling.PLAIN,
                    method + ": a sampling guard exactly when the method guards sampling");
            a.detach();
            model.namedParameters().forEach((k, v) -> assertArrayEquals(before.get(k), v.data().toArray(), method + " comes off bit for bit: " + k));
        }
    }
}
