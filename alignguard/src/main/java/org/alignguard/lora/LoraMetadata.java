package org.alignguard.lora;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.tensor.Tensor;

/**
 * What a LoRA file's metadata says, checked against itself and against the file's tensors. A file
 * whose metadata is missing, unreadable or at odds with its tensors is refused with a message in our
 * words before any adapter is built from it: a NaN α, say, would otherwise be multiplied into every
 * update and turn every image black.
 *
 * @param kind       {@code lora} (factors {@code lora_A}, {@code lora_B}) or {@code dense} ({@code lora_delta},
 *                   what a per-weight merge writes)
 * @param rank       r, the rows of every {@code lora_A} (0 for dense)
 * @param alpha      α: a LoRA's update is (α/r)·B·A (dense updates are stored at scale 1 and ignore it)
 * @param unetConfig the UNet the LoRA was made for
 * @param baseSha256 SHA-256 of the base weights it was trained on (null when the file does not say)
 */
public record LoraMetadata(String kind, int rank, float alpha, UNetConfig unetConfig, String baseSha256) {
    /**
     * The largest α/r accepted, and the largest scale a LoRA is attached at. The paper and peft use
     * α = r (α/r = 1), some recipes α = 2r, and scales are about 1; a thousand leaves room for any real
     * setting, and refuses an α like 1e30 that turns finite factors into an update that overflows
     * float32, or a fresh B = 0 into weights the first step blows up.
     */
    public static final float MAX_SCALING = 1000f;

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** Checks {@code meta} of {@code file} against its {@code tensors} (names without {@code unet.}). */
    public static LoraMetadata parse(Path file, Map<String, String> meta, Map<String, Tensor> tensors) throws IOException {
        String kind = meta.get("kind");
        if (!"lora".equals(kind) && !"dense".equals(kind))
            throw bad(file, kind == null ? "the metadata has no 'kind'" : "unknown kind '" + kind + "' in the metadata (expected lora or dense)");
        boolean dense = kind.equals("dense");
        int rank = rank(file, meta.get("rank"), dense);
        float alpha = alpha(file, meta.get("alpha"), rank);
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) checkTensor(file, e.getKey(), e.getValue(), dense, rank);
        String cfg = meta.get("unet_config");
        if (cfg == null) throw bad(file, "the LoRA has no unet_config in its metadata");
        UNetConfig unet;
        try {
            unet = TextToImageModel.parseUNetConfig(cfg);
        } catch (IllegalArgumentException e) {
            throw bad(file, "the LoRA's unet_config metadata is not a valid UNet config (" + e.getMessage() + ")");
        }
        String sha = meta.get("base_model_sha256");
        if (sha != null && !SHA256.matcher(sha).matches())
            throw bad(file, "base_model_sha256 in the metadata is not 64 lower-case hex digits: '" + sha + "'");
        return new LoraMetadata(kind, rank, alpha, unet, sha);
    }

    /** A whole number: at least 1 for a LoRA, 0 for dense updates. */
    private static int rank(Path file, String s, boolean dense) throws IOException {
        if (s == null) throw bad(file, "the metadata has no 'rank'");
        int r;
        try {
            r = Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw bad(file, "rank '" + s + "' in the metadata is not a whole number");
        }
        if (dense && r != 0) throw bad(file, "kind dense has rank 0, the metadata says " + r);
        if (!dense && r <= 0) throw bad(file, "rank " + r + " in the metadata; a LoRA's rank must be positive");
        return r;
    }

    /** Finite and positive, with α/r at most {@link #MAX_SCALING}. */
    private static float alpha(Path file, String s, int rank) throws IOException {
        if (s == null) throw bad(file, "the metadata has no 'alpha'");
        float a;
        try {
            a = Float.parseFloat(s.strip());
        } catch (NumberFormatException e) {
            throw bad(file, "alpha '" + s + "' in the metadata is not a number");
        }
        if (!Float.isFinite(a) || a <= 0) throw bad(file, "alpha " + s + " in the metadata; it must be a finite positive number");
        if (rank > 0 && a / rank > MAX_SCALING)
            throw bad(file, "alpha " + s + " with rank " + rank + " scales the update by " + a / rank + ", more than " + MAX_SCALING
                    + " (real settings are about 1: alpha = rank)");
        return a;
    }

    /** A factor of the right kind, and a lora_A or lora_B of the stated rank. */
    private static void checkTensor(Path file, String name, Tensor t, boolean dense, int rank) throws IOException {
        boolean a = name.endsWith(".lora_A.weight"), b = name.endsWith(".lora_B.weight"), d = name.endsWith(".lora_delta.weight");
        if (dense ? !d : !(a || b))
            throw bad(file, "tensor '" + name + "' does not belong in a LoRA of kind " + (dense ? "dense (only *.lora_delta.weight)" : "lora (only *.lora_A.weight and *.lora_B.weight)"));
        if (t.ndim() != 2) throw bad(file, "tensor '" + name + "' has shape " + java.util.Arrays.toString(t.shape()) + "; LoRA tensors are matrices");
        if (a && t.dim(0) != rank)
            throw bad(file, "tensor '" + name + "' has " + t.dim(0) + " rows, but the metadata says rank " + rank);
        if (b && t.dim(1) != rank)
            throw bad(file, "tensor '" + name + "' has " + t.dim(1) + " columns, but the metadata says rank " + rank);
    }

    private static IOException bad(Path file, String problem) {
        return new IOException(file + ": " + problem);
    }
}
