package org.alignguard.lora;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.alignguard.diffusion.model.UNet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.nn.StateDicts;
import org.alignguard.tensor.FiniteCheck;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;

/**
 * A LoRA on disk: safetensors with diffusers/peft key names under {@code unet.}
 * ({@code unet.down.1.attn.0.block.attn2.to_k.lora_A.weight}), or {@code ...lora_delta.weight} for
 * the dense result of a per-weight merge. The metadata says what it fits: rank, alpha, targets, the
 * UNet config, and a SHA-256 of the base UNet's weights, so a LoRA made for another model is caught.
 */
public final class LoraFile {
    public static final String FORMAT = "alignguard-lora-1";

    private LoraFile() {}

    /** A file's tensors (the {@code unet.} prefix taken off) and metadata; {@link LoraMetadata#parse} reads the metadata. */
    public record Loaded(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /**
     * Writes {@code lora} (trained on {@code model}) atomically, with {@code extra} metadata (command,
     * category, ...). A non-finite value is refused, not written: no file of ours holds one.
     */
    public static void save(Path file, LoraNetwork lora, TextToImageModel model, Map<String, String> extra) throws IOException {
        String broken = FiniteCheck.find(lora.tensors());
        if (broken != null) throw new IOException(file + ": not written: " + broken + " (the training diverged)");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("kind", lora.isLowRank() ? "lora" : "dense");
        meta.put("rank", Integer.toString(lora.rank()));
        meta.put("alpha", Float.toString(lora.alpha()));
        meta.put("target_modules", String.join(",", LoraConfig.ATTENTION_TARGETS));
        meta.put("unet_config", new Gson().toJson(model.unet.config));
        meta.put("base_model_sha256", unetHash(model.unet));
        meta.putAll(extra);
        Safetensors.write(file, StateDicts.prefixed("unet.", lora.tensors()), meta);
    }

    /**
     * Reads a LoRA file: every tensor finite, every one under {@code unet.}, and metadata that
     * {@link LoraMetadata#parse} accepts. Errors name the file and the tensor or key at fault.
     */
    public static Loaded read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("no LoRA file at " + file);
        Safetensors.Loaded l = Safetensors.readFinite(file);
        if ("alignguard-baseline-1".equals(l.metadata().get("format")))
            throw new IOException(file + " is a baseline file (method " + l.metadata().get("method") + "), not a LoRA: pass it with --baseline");
        if (!FORMAT.equals(l.metadata().get("format")))
            throw new IOException(file + ": not a LoRA of this project (format '" + l.metadata().get("format") + "', expected '" + FORMAT + "')");
        for (String name : l.tensors().keySet())
            if (!name.startsWith("unet.")) throw new IOException(file + ": tensor '" + name + "' is not under 'unet.', the only part a LoRA of ours adapts");
        Loaded loaded = new Loaded(file, StateDicts.under("unet.", l.tensors()), l.metadata());
        LoraMetadata.parse(file, loaded.metadata(), loaded.tensors());
        return loaded;
    }

    /**
     * Attaches a loaded LoRA to {@code model}'s UNet at {@code scale}. Its metadata and tensors are
     * checked again (a {@link Loaded} can be made in memory); a LoRA for another UNet config, and one
     * whose update s·ΔW overflows although its factors are finite, are refused, and then nothing stays
     * attached. One trained on other base weights of the same shape is attached, and the returned
     * warning (else null) says so.
     */
    public static Attached attach(TextToImageModel model, Loaded l, float scale) throws IOException {
        LoraMetadata info = LoraMetadata.parse(l.file(), l.metadata(), l.tensors());
        String broken = FiniteCheck.find(l.tensors());
        if (broken != null) throw new IOException(l.file() + ": " + broken + "; weights must be finite numbers");
        if (!(Math.abs(scale) <= LoraMetadata.MAX_SCALING))   // NaN too
            throw new IOException(l.file() + ": LoRA scale " + scale + " is out of range: at most " + LoraMetadata.MAX_SCALING + " either way (1 applies it as trained)");
        if (!info.unetConfig().equals(model.unet.config))
            throw new IOException(l.file() + ": this LoRA was made for another UNet (" + info.unetConfig() + "), the model is " + model.unet.config);
        String warning = null;
        String hash = info.baseSha256();
        if (hash != null && !hash.equals(unetHash(model.unet)))
            warning = l.file() + ": trained on other base weights (sha256 " + hash.substring(0, 12) + "…) than this model's; applying it anyway";
        LoraNetwork net;
        try {
            net = LoraNetwork.fromTensors(model.unet, l.tensors(), info.alpha());
        } catch (IllegalArgumentException e) {
            throw new IOException(l.file() + ": " + e.getMessage(), e);
        }
        try {
            net.setScale(scale);
            for (var e : net.layers().entrySet()) {
                String over = FiniteCheck.find("s·ΔW", e.getValue().delta().mul(scale));
                if (over != null)
                    throw new IOException(l.file() + ": the update of " + e.getKey() + " overflows float32 although the file's numbers are finite (" + over + ")");
            }
        } catch (IOException | RuntimeException e) {
            net.detach();
            throw e;
        }
        net.freeze();
        return new Attached(net, warning);
    }

    public record Attached(LoraNetwork network, String warning) {}

    /** SHA-256 over the UNet's parameters: names, shapes and float bits, in state-dict order. */
    public static String unetHash(UNet unet) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (var e : unet.stateDict().entrySet()) {
                md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                for (int d : e.getValue().shape()) md.update(ByteBuffer.allocate(4).putInt(d).array());
                float[] v = e.getValue().contiguous().toArray();
                ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(v);
                md.update(buf.array());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
