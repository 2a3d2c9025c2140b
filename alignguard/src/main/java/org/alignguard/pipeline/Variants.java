package org.alignguard.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.alignguard.baselines.BaselineFile;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.eval.Sampling;
import org.alignguard.eval.Variant;
import org.alignguard.lora.LoraFile;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.tensor.io.Safetensors;

/**
 * Variants from files: a LoRA file (an expert, All-single, a merge) or a baseline file, told apart by
 * the {@code format} in their metadata, so a results table can hold both kinds side by side.
 */
public final class Variants {
    private Variants() {}

    /** The variant stored in {@code file}, named {@code name}. */
    public static Variant file(String name, Path file) throws IOException {
        Map<String, String> meta = Safetensors.readHeader(file).metadata();
        String format = meta.get("format");
        double seconds = BaselineFile.trainSeconds(meta);
        if (BaselineFile.FORMAT.equals(format)) {
            BaselineFile.Loaded b = BaselineFile.read(file);
            return new FileVariant(name, seconds) {
                @Override public Applied applyTo(TextToImageModel model) throws IOException {
                    BaselineFile.Attached a = BaselineFile.attach(model, b);
                    return applied(a.sampling(), a::detach);
                }

                @Override public boolean changesWeights() { return !b.edit().isEmpty(); }
            };
        }
        LoraFile.Loaded l = LoraFile.read(file);
        return new FileVariant(name, seconds) {
            @Override public Applied applyTo(TextToImageModel model) throws IOException {
                // Folded into the weights for sampling (W ← W + ΔW: no extra matmul per step); detach restores W exactly.
                LoraNetwork net = LoraFile.attach(model, l, 1f).network();
                net.merge();
                return applied(Sampling.PLAIN, net::detach);
            }
        };
    }

    private abstract static class FileVariant implements Variant {
        private final String name;
        private final double seconds;

        FileVariant(String name, double seconds) {
            this.name = name;
            this.seconds = seconds;
        }

        @Override public String name() { return name; }

        @Override public double trainSeconds() { return seconds; }
    }

    static Variant.Applied applied(Sampling s, Runnable remove) {
        return new Variant.Applied() {
            @Override public Sampling sampling() { return s; }

            @Override public void remove() { remove.run(); }
        };
    }
}
