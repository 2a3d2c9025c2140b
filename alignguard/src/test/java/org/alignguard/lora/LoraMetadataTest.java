package org.alignguard.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.alignguard.TinyModels;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Each rule of a LoRA's metadata, alone: what is accepted, and the message for what is not. */
class LoraMetadataTest {
    static final Path FILE = Path.of("expert.safetensors");
    static final String P = "down.1.attn.0.block.attn1.to_q";
    static final String CONFIG = new Gson().toJson(TinyModels.unetConfig());

    static Map<String, String> meta(String kind, String rank, String alpha) {
        Map<String, String> m = new HashMap<>();
        m.put("format", LoraFile.FORMAT);
        m.put("kind", kind);
        m.put("rank", rank);
        m.put("alpha", alpha);
        m.put("unet_config", CONFIG);
        m.put("base_model_sha256", "0123456789abcdef".repeat(4));
        return m;
    }

    static Map<String, Tensor> factors(int rank) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put(P + ".lora_A.weight", Tensor.zeros(rank, 16));
        t.put(P + ".lora_B.weight", Tensor.zeros(16, rank));
        return t;
    }

    static String refusal(Map<String, String> meta, Map<String, Tensor> tensors) {
        String m = assertThrows(IOException.class, () -> LoraMetadata.parse(FILE, meta, tensors)).getMessage();
        assertTrue(m.startsWith(FILE + ": "), m);
        assertFalse(m.contains("\n") || m.contains("http") || m.contains("com.google") || m.contains("Exception"), "one line in our words: " + m);
        return m;
    }

    @Test
    void aLoraAndADenseUpdateAsSaved() throws IOException {
        LoraMetadata l = LoraMetadata.parse(FILE, meta("lora", "4", "4.0"), factors(4));
        assertEquals("lora", l.kind());
        assertEquals(4, l.rank());
        assertEquals(4f, l.alpha());
        assertEquals(TinyModels.unetConfig(), l.unetConfig());
        LoraMetadata d = LoraMetadata.parse(FILE, meta("dense", "0", "1.0"), Map.of(P + ".lora_delta.weight", Tensor.zeros(16, 16)));
        assertEquals(0, d.rank());
    }

    @Test
    void alphaMustBeFinitePositiveAndNotAbsurd() throws IOException {
        for (String a : new String[] {"NaN", "Infinity", "-Infinity", "0", "-1", "-0.0"})
            assertTrue(refusal(meta("lora", "4", a), factors(4)).contains("alpha " + a + " in the metadata; it must be a finite positive number"), a);
        assertTrue(refusal(meta("lora", "4", "four"), factors(4)).contains("alpha 'four' in the metadata is not a number"));
        // The bound is on α/r: 4000 with rank 4 is exactly 1000, allowed; 1e30 is not.
        assertEquals(4000f, LoraMetadata.parse(FILE, meta("lora", "4", "4000"), factors(4)).alpha());
        assertTrue(refusal(meta("lora", "4", "4004"), factors(4)).contains("more than 1000"));
        assertTrue(refusal(meta("lora", "4", "1e30"), factors(4)).contains("scales the update by 2.5E29"));
        Map<String, String> none = meta("lora", "4", "4");
        none.remove("alpha");
        assertTrue(refusal(none, factors(4)).contains("no 'alpha'"));
    }

    @Test
    void rankMustBeAPositiveWholeNumberMatchingTheFactors() {
        assertTrue(refusal(meta("lora", "0", "4"), factors(4)).contains("rank 0 in the metadata; a LoRA's rank must be positive"));
        assertTrue(refusal(meta("lora", "2.5", "4"), factors(4)).contains("rank '2.5' in the metadata is not a whole number"));
        assertTrue(refusal(meta("lora", "3", "3"), factors(4)).contains("has 4 rows, but the metadata says rank 3"));
        Map<String, Tensor> wrongB = factors(4);
        wrongB.put(P + ".lora_B.weight", Tensor.zeros(16, 2));
        assertTrue(refusal(meta("lora", "4", "4"), wrongB).contains("lora_B.weight' has 2 columns"));
        Map<String, Tensor> flat = factors(4);
        flat.put(P + ".lora_A.weight", Tensor.zeros(64));
        assertTrue(refusal(meta("lora", "4", "4"), flat).contains("has shape [64]; LoRA tensors are matrices"));
        assertTrue(refusal(meta("dense", "4", "1"), Map.of(P + ".lora_delta.weight", Tensor.zeros(16, 16))).contains("kind dense has rank 0"));
    }

    @Test
    void kindMustBeKnownAndMatchTheTensors() {
        assertTrue(refusal(meta("lokr", "4", "4"), factors(4)).contains("unknown kind 'lokr' in the metadata (expected lora or dense)"));
        assertTrue(refusal(meta("LoRA", "4", "4"), factors(4)).contains("unknown kind 'LoRA'"));
        Map<String, String> none = meta("lora", "4", "4");
        none.remove("kind");
        assertTrue(refusal(none, factors(4)).contains("no 'kind'"));
        assertTrue(refusal(meta("dense", "0", "1"), factors(4)).contains("does not belong in a LoRA of kind dense"));
        Map<String, Tensor> mixed = factors(4);
        mixed.put(P + ".lora_delta.weight", Tensor.zeros(16, 16));
        assertTrue(refusal(meta("lora", "4", "4"), mixed).contains("lora_delta.weight' does not belong in a LoRA of kind lora"));
    }

    @Test
    void unetConfigMustBeAReadableConfigInOurWords() {
        for (String bad : new String[] {CONFIG.substring(0, CONFIG.length() / 2), "{}", "[1, 2]", "null", "{\"imageSize\": 16}",
                CONFIG.replace("\"heads\":2", "\"heads\":0"), CONFIG.replace("\"channelMult\":[1,2]", "\"channelMult\":\"x\"")}) {
            Map<String, String> m = meta("lora", "4", "4");
            m.put("unet_config", bad);
            assertTrue(refusal(m, factors(4)).contains("the LoRA's unet_config metadata is not a valid UNet config ("), bad);
        }
        Map<String, String> m = meta("lora", "4", "4");
        m.put("unet_config", CONFIG.replace("\"heads\":2", "\"heads\":0"));
        assertTrue(refusal(m, factors(4)).contains("heads must be positive"), "says which field");
    }

    @Test
    void baseHashMustBe64HexDigitsWhenGiven() throws IOException {
        Map<String, String> m = meta("lora", "4", "4");
        m.put("base_model_sha256", "abc");
        assertTrue(refusal(m, factors(4)).contains("base_model_sha256"));
        m.remove("base_model_sha256");
        assertEquals(null, LoraMetadata.parse(FILE, m, factors(4)).baseSha256());
    }

    /** The bug this class fixes: attach used to throw Gson's JsonSyntaxException, with a link, for a cut config. */
    @Test
    void attachGivesAnIOExceptionForATruncatedConfig() {
        TextToImageModel model = TinyModels.model(1);
        Map<String, String> m = meta("lora", "4", "4");
        m.put("unet_config", CONFIG.substring(0, 30));
        IOException e = assertThrows(IOException.class, () -> LoraFile.attach(model, new LoraFile.Loaded(FILE, factors(4), m), 1f));
        assertTrue(e.getMessage().contains("not a valid UNet config") && !e.getMessage().contains("http"), e.getMessage());
    }
}
