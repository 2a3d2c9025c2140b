package org.alignguard.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignguard.TinyModels;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.eval.Variant;
import org.alignguard.lora.AdapterLayer;
import org.alignguard.lora.LoraConfig;
import org.alignguard.lora.LoraFile;
import org.alignguard.lora.LoraLayer;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A LoRA scored by `run` or `attack` is folded into the weights while it is applied, and taken out exactly. */
class VariantsTest {
    @TempDir Path dir;

    private static float[] out(TextToImageModel m) {
        try (var s = Grad.noGrad()) {
            Variable y = m.unet.forward(Variable.constant(Tensor.randn(new Rng(3), 2, 3, 16, 16)), new int[] {100, 800},
                    m.encode(List.of("a red circle with weapon", "")));
            return y.data().toArray();
        }
    }

    @Test
    void aLoraVariantSamplesAsTheUnmergedLoraAndLeavesTheBaseAsItWas() throws Exception {
        TextToImageModel m = TinyModels.model(5);
        LoraNetwork net = LoraNetwork.attach(m.unet, LoraConfig.of(4), new Rng(6));
        Rng rng = new Rng(2);
        for (AdapterLayer l : net.layers().values()) ((LoraLayer) l).loraB.setData(Tensor.randn(rng, ((LoraLayer) l).loraB.shape()).mul(0.05f));
        float[] unmerged = out(m);
        Path f = dir.resolve("x.safetensors");
        LoraFile.save(f, net, m, Map.of("category", "violence"));
        net.detach();
        Map<String, Tensor> base = m.unet.stateDict();
        float[] baseOut = out(m);

        Variant.Applied applied = Variants.file("x", f).applyTo(m);
        // Folded: the Linear's own weight now carries W + ΔW (the state dict is the base's otherwise).
        String q = "down.1.attn.0.block.attn2.to_v.weight";
        assertTrue(maxDiff(base.get(q).toArray(), m.unet.stateDict().get(q).toArray()) > 0, "the update is in the weight");
        float[] folded = out(m);
        assertTrue(maxDiff(unmerged, folded) < 1e-4f, "folded vs unmerged: " + maxDiff(unmerged, folded));
        assertTrue(maxDiff(baseOut, folded) > 1e-3f, "the LoRA changes the output");

        applied.remove();
        base.forEach((k, v) -> assertArrayEquals(v.toArray(), m.unet.stateDict().get(k).toArray(), k));
        assertArrayEquals(baseOut, out(m), "after remove() the base model is back, bit for bit");
    }

    private static float maxDiff(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }
}
