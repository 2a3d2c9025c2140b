package org.alignguard.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.lora.LoraFile;
import org.alignguard.lora.LoraNetwork;
import picocli.CommandLine.Option;

/** {@code --lora FILE} (repeatable) and {@code --lora-scale S}: LoRAs to attach to the UNet before sampling. */
final class LoraOptions {
    @Option(names = "--lora", paramLabel = "FILE", description = "A LoRA to apply (repeatable: they add up).")
    List<Path> loras = new ArrayList<>();

    @Option(names = "--lora-scale", paramLabel = "S", description = "Scale of the LoRA(s): one value for all, or one per --lora (default: 1).")
    List<Float> scales = new ArrayList<>();

    /**
     * Attaches every --lora to the model's UNet and folds it into the weights (W ← W + s·ΔW): these
     * commands only sample, so the update costs nothing per step. Errors name the file.
     */
    void attach(TextToImageModel model) {
        attach(model, true);
    }

    /** {@link #attach(TextToImageModel)}; {@code warn} false for a second copy of the model, whose warnings the first already gave. */
    void attach(TextToImageModel model, boolean warn) {
        if (scales.size() > 1 && scales.size() != loras.size())
            throw new UserError("--lora-scale: give one value, or one per --lora (" + loras.size() + " LoRAs, " + scales.size() + " scales)");
        for (float s : scales) Outputs.finite("--lora-scale", s);
        if (loras.isEmpty() && !scales.isEmpty()) throw new UserError("--lora-scale needs a --lora");
        for (int i = 0; i < loras.size(); i++) attach(model, loras.get(i), scale(i), warn);
    }

    /** The scale of the i-th --lora: 1, the one --lora-scale given, or the i-th. */
    private float scale(int i) {
        return scales.isEmpty() ? 1f : scales.get(scales.size() == 1 ? 0 : i);
    }

    static LoraNetwork attach(TextToImageModel model, Path file, float scale) {
        return attach(model, file, scale, true);
    }

    static LoraNetwork attach(TextToImageModel model, Path file, float scale, boolean warn) {
        Outputs.checkReadable(file, "LoRA file");
        try {
            LoraFile.Attached a = LoraFile.attach(model, LoraFile.read(file), scale);
            if (warn && a.warning() != null) System.err.println("warning: " + a.warning());
            a.network().merge();
            return a.network();
        } catch (IOException | RuntimeException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
    }

    /** A short description for reports and logs: "violence.safetensors" or "a.safetensors×0.5 + b.safetensors". */
    String describe() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < loras.size(); i++) {
            float s = scale(i);
            parts.add(loras.get(i).getFileName() + (s == 1f ? "" : "×" + s));
        }
        return String.join(" + ", parts);
    }
}
