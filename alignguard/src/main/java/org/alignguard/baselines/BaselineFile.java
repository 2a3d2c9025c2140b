package org.alignguard.baselines;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.eval.Sampling;
import org.alignguard.lora.LoraFile;
import org.alignguard.tensor.FiniteCheck;
import org.alignguard.tensor.io.Safetensors;

/**
 * A baseline on disk: a safetensors file whose tensors are the weight changes ΔW of the model
 * (full names, {@code unet.down.1.attn.0.block.attn2.to_k.weight}; none for the sampling-time
 * baselines) and whose metadata says which method made it, which concepts it erases, what acts while
 * sampling ({@link GuardSpec}), its settings and the base model it fits. {@code evaluate},
 * {@code generate} and the reports apply it with {@code --baseline} exactly as they apply a LoRA with
 * {@code --lora}: same prompts, same seeds.
 */
public final class BaselineFile {
    public static final String FORMAT = "alignguard-baseline-1";
    private static final Gson GSON = new Gson();

    private BaselineFile() {}

    /** A file's method, erased concepts, weight edit, sampling guard and metadata. */
    public record Loaded(Path file, String method, List<String> erased, WeightEdit edit, GuardSpec guard, Map<String, String> metadata) {}

    /** What a baseline made: its edit and guard, with its settings and training time for the metadata. */
    public record Made(String method, Erasure erasure, WeightEdit edit, GuardSpec guard, Map<String, Object> settings, double seconds) {}

    /** Writes a baseline for {@code model} atomically, with {@code extra} metadata (the command). */
    public static void save(Path file, Made b, TextToImageModel model, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("method", b.method());
        meta.put("erased", GSON.toJson(b.erasure().names()));
        meta.put("guard", GSON.toJson(b.guard()));
        meta.put("settings", GSON.toJson(b.settings()));
        meta.put("train_seconds", String.format(java.util.Locale.ROOT, "%.1f", b.seconds()));
        meta.put("unet_config", GSON.toJson(model.unet.config));
        meta.put("base_model_sha256", LoraFile.unetHash(model.unet));
        meta.putAll(extra);
        String broken = FiniteCheck.find(b.edit().deltas());
        if (broken != null) throw new IOException(file + ": not written: " + broken + " (the baseline's training diverged)");
        Safetensors.write(file, b.edit().deltas(), meta);
    }

    public static Loaded read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("no baseline file at " + file);
        Safetensors.Loaded l = Safetensors.readFinite(file);
        String format = l.metadata().get("format");
        if (LoraFile.FORMAT.equals(format)) throw new IOException(file + " is a LoRA, not a baseline: pass it with --lora");
        if (!FORMAT.equals(format)) throw new IOException(file + ": not a baseline file of this project (format '" + format + "', expected '" + FORMAT + "')");
        try {
            List<String> erased = GSON.fromJson(l.metadata().get("erased"), new TypeToken<List<String>>() {}.getType());
            GuardSpec guard = GSON.fromJson(l.metadata().getOrDefault("guard", "{}"), GuardSpec.class);
            guard = new GuardSpec(guard.negativePrompt(), guard.sld(), guard.safetyTexts(), guard.blocklist());   // re-checked
            if (erased == null || erased.isEmpty()) throw new IllegalArgumentException("no erased concepts in its metadata");
            String method = l.metadata().get("method");
            if (method == null) throw new IllegalArgumentException("no method in its metadata");
            return new Loaded(file, method, erased, new WeightEdit(l.tensors()), guard, l.metadata());
        } catch (RuntimeException e) {
            throw new IOException(file + ": unreadable baseline metadata: " + e.getMessage(), e);
        }
    }

    /** The baseline applied to a model: how to sample with it, and how to take its weights off again. */
    public record Attached(Sampling sampling, WeightEdit.Applied weights, String warning) {
        public void detach() { weights.restore(); }
    }

    /**
     * Applies a loaded baseline to {@code model}: its weight edit goes into the weights (undone by
     * {@link Attached#detach}) and its guard into the returned sampling. A baseline made for another
     * UNet, or one that erases concepts the model's world does not have, is refused.
     */
    public static Attached attach(TextToImageModel model, Loaded b) throws IOException {
        for (String name : b.erased())
            if (model.world().concepts().stream().noneMatch(c -> c.name().equals(name)))
                throw new IOException(b.file() + ": erases '" + name + "', which the model's world does not have: it was made for another world");
        String warning = null;
        if (!b.edit().isEmpty()) {
            String cfg = b.metadata().get("unet_config");
            boolean fits;
            try {
                fits = cfg != null && TextToImageModel.parseUNetConfig(cfg).equals(model.unet.config);
            } catch (IllegalArgumentException e) {
                throw new IOException(b.file() + ": the baseline's unet_config metadata is not a valid UNet config (" + e.getMessage() + ")", e);
            }
            if (!fits) throw new IOException(b.file() + ": this baseline was made for another UNet (" + cfg + "), the model is " + model.unet.config);
            String hash = b.metadata().get("base_model_sha256");
            if (hash != null && !hash.equals(LoraFile.unetHash(model.unet)))
                warning = b.file() + ": made from other base weights (sha256 " + hash.substring(0, Math.min(12, hash.length())) + "…) than this model's; applying it anyway";
        }
        WeightEdit.Applied applied;
        try {
            applied = b.edit().apply(model.namedParameters());
        } catch (IllegalArgumentException e) {
            throw new IOException(b.file() + ": " + e.getMessage(), e);
        }
        Map<String, org.alignguard.autograd.Variable> params = model.namedParameters();
        for (String name : b.edit().deltas().keySet()) {
            String over = FiniteCheck.find(name, params.get(name).data());
            if (over != null) {
                applied.restore();
                throw new IOException(b.file() + ": W + ΔW overflows float32 although the file's numbers are finite (" + over + ")");
            }
        }
        return new Attached(b.guard().sampling(), applied, warning);
    }

    /** The training time recorded in a LoRA's or baseline's metadata, in seconds (NaN when none). */
    public static double trainSeconds(Map<String, String> meta) {
        try {
            return Double.parseDouble(meta.getOrDefault("train_seconds", "NaN"));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

}
