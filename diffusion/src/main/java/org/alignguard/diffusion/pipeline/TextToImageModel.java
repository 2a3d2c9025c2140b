package org.alignguard.diffusion.pipeline;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.model.TextEncoder;
import org.alignguard.diffusion.model.TextEncoderConfig;
import org.alignguard.diffusion.model.UNet;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.schedule.NoiseSchedule;
import org.alignguard.diffusion.schedule.Prediction;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.nn.StateDicts;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.JsonErrors;
import org.alignguard.tensor.io.Safetensors;

/**
 * Everything a text-to-image checkpoint holds: the tokenizer's vocabulary, the text encoder, the
 * UNet, and the noise schedule they were trained with — the counterpart of a Stable Diffusion
 * release. One safetensors file: weights under {@code unet.} and {@code text_encoder.}, configs and
 * vocabulary as JSON in the metadata.
 */
public final class TextToImageModel {
    public static final String FORMAT = "alignguard-t2i-1";

    public final Tokenizer tokenizer;
    public final TextEncoder textEncoder;
    public final UNet unet;
    public final NoiseSchedule schedule;
    /** What the UNet outputs: ε or v. */
    public final Prediction prediction;
    /** The synthetic world the model was trained on (null: the bundled default world). */
    private final World world;
    /** Pseudo-words {@link #encode} reads (textual inversion); none unless an attack sets them. */
    private Map<String, Tensor> pseudoWords = Map.of();

    public TextToImageModel(Tokenizer tokenizer, TextEncoder textEncoder, UNet unet, NoiseSchedule schedule, Prediction prediction) {
        this(tokenizer, textEncoder, unet, schedule, prediction, null);
    }

    public TextToImageModel(Tokenizer tokenizer, TextEncoder textEncoder, UNet unet, NoiseSchedule schedule, Prediction prediction, World world) {
        if (textEncoder.config.vocabSize() != tokenizer.size())
            throw new IllegalArgumentException("text encoder vocabulary " + textEncoder.config.vocabSize() + " != tokenizer's " + tokenizer.size());
        if (textEncoder.config.dim() != unet.config.contextDim())
            throw new IllegalArgumentException("text encoder dim " + textEncoder.config.dim() + " != UNet contextDim " + unet.config.contextDim());
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.unet = unet;
        this.schedule = schedule;
        this.prediction = prediction;
        this.world = world;
    }

    /** The world the model draws: the one its checkpoint records, or the bundled default for checkpoints that record none. */
    public World world() {
        return world != null ? world : World.load();
    }

    public static TextToImageModel create(Tokenizer tok, TextEncoderConfig tc, UNetConfig uc, NoiseSchedule schedule, Prediction prediction, Rng rng) {
        return create(tok, tc, uc, schedule, prediction, rng, null);
    }

    /** A fresh model for {@code world} (null: the bundled default world). */
    public static TextToImageModel create(Tokenizer tok, TextEncoderConfig tc, UNetConfig uc, NoiseSchedule schedule, Prediction prediction, Rng rng, World world) {
        return new TextToImageModel(tok, new TextEncoder(tc, rng), new UNet(uc, rng), schedule, prediction, world);
    }

    public int imageSize() { return unet.config.imageSize(); }

    /** Token ids of the prompts, [prompts.size() * maxLen] row-major. The empty prompt is allowed. */
    public int[] tokenize(List<String> prompts) {
        int len = textEncoder.config.maxLen();
        int[] ids = new int[prompts.size() * len];
        for (int i = 0; i < prompts.size(); i++) System.arraycopy(tokenizer.encode(prompts.get(i), len).ids(), 0, ids, i * len, len);
        return ids;
    }

    /** The text context c for the UNet's cross-attention, [B, maxLen, dim]. Pseudo-words, if set, are read too. */
    public Variable encode(List<String> prompts) {
        if (pseudoWords.isEmpty()) return textEncoder.forward(tokenize(prompts), prompts.size());
        Map<String, Variable> fixed = new LinkedHashMap<>();
        pseudoWords.forEach((w, e) -> fixed.put(w, Variable.constant(e)));
        return textEncoder.forwardEmbedded(tokenEmbeddings(prompts, fixed));
    }

    /**
     * Sets the pseudo-words {@link #encode} reads: words outside the vocabulary, each with its own
     * token embedding [dim] (textual inversion, Gal et al. 2023). Everything that draws from prompts
     * (the generator, guidance rules, evaluation) then understands them. Returns the previous set, so
     * a caller can put it back; an empty map removes them.
     */
    public Map<String, Tensor> setPseudoWords(Map<String, Tensor> words) {
        for (var e : words.entrySet()) {
            String w = e.getKey();
            if (w == null || !w.equals(org.alignguard.diffusion.world.Words.normalize(w)) || w.isEmpty() || w.contains(" "))
                throw new IllegalArgumentException("pseudo-word '" + w + "' is not a single lower-case word");
            if (tokenizer.id(w) != Tokenizer.UNK_ID) throw new IllegalArgumentException("pseudo-word '" + w + "' is already a word of the vocabulary");
            Tensor t = e.getValue();
            if (t.shape().length != 1 || t.dim(0) != textEncoder.config.dim())
                throw new IllegalArgumentException("pseudo-word '" + w + "': embedding of shape " + Arrays.toString(t.shape()) + ", expected [" + textEncoder.config.dim() + "]");
            for (float v : t.toArray()) if (!Float.isFinite(v)) throw new IllegalArgumentException("pseudo-word '" + w + "': embedding holds a non-finite value");
        }
        Map<String, Tensor> before = pseudoWords;
        pseudoWords = Map.copyOf(words);
        return before;
    }

    /**
     * The token embeddings [B, maxLen, dim] of {@code prompts}: the embedding table's rows, except
     * that each word of {@code pseudo} gets its Variable wherever it stands, so a loss on the images
     * sends gradients into those Variables (and nowhere else: the table itself enters as a constant).
     */
    public Variable tokenEmbeddings(List<String> prompts, Map<String, Variable> pseudo) {
        int n = prompts.size(), len = textEncoder.config.maxLen(), dim = textEncoder.config.dim();
        float[] rows = textEncoder.token_embedding.weight.data().indexSelect(tokenize(prompts), n * len).toArray();   // the table's rows, as the encoder looks them up
        Map<String, float[]> masks = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            List<String> words = org.alignguard.diffusion.world.Words.split(prompts.get(i));
            for (int j = 0; j < Math.min(words.size(), len - 2); j++) {   // as Tokenizer.encode: <bos> at 0, word j at j + 1
                String w = words.get(j);
                if (!pseudo.containsKey(w)) continue;
                int at = i * len + j + 1;
                Arrays.fill(rows, at * dim, (at + 1) * dim, 0f);
                masks.computeIfAbsent(w, k -> new float[n * len])[at] = 1f;
            }
        }
        Variable out = Variable.constant(Tensor.of(rows, n, len, dim));
        for (var m : masks.entrySet())
            out = out.add(Variable.constant(Tensor.of(m.getValue(), n, len, 1)).mul(pseudo.get(m.getKey()).reshape(1, 1, dim)));
        return out;
    }

    /** All weights under their checkpoint names. */
    public Map<String, Variable> namedParameters() {
        Map<String, Variable> all = StateDicts.prefixed("unet.", unet.namedParameters());
        all.putAll(StateDicts.prefixed("text_encoder.", textEncoder.namedParameters()));
        return all;
    }

    /** Metadata that lets {@link #load} rebuild the same model. */
    public Map<String, String> describe() {
        Gson gson = new Gson();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("unet_config", gson.toJson(unet.config));
        m.put("text_encoder_config", gson.toJson(textEncoder.config));
        m.put("vocabulary", String.join("\n", tokenizer.vocabulary()));
        m.put("schedule", schedule.kind.name() + ":" + schedule.numTrainTimesteps + (schedule.snrShift == 1.0 ? "" : ":" + schedule.snrShift));
        m.put("prediction", prediction.name().toLowerCase(java.util.Locale.ROOT));
        if (world != null) m.put("world", world.json());
        return m;
    }

    /** Saves weights (e.g. the EMA weights when given) with {@link #describe()} plus {@code extra} metadata, atomically. */
    public void save(Path file, Map<String, Tensor> weights, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(describe());
        meta.putAll(extra);
        Safetensors.write(file, weights == null ? stateDict() : weights, meta);
    }

    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> s = new LinkedHashMap<>();
        namedParameters().forEach((k, v) -> s.put(k, v.data()));
        return s;
    }

    /** Loads a checkpoint; errors name the file and what does not match. */
    public static Loaded load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("no checkpoint at " + file);
        Safetensors.Loaded l = Safetensors.readFinite(file);
        Map<String, String> meta = l.metadata();
        if (!FORMAT.equals(meta.get("format")))
            throw new IOException(file + ": not a text-to-image checkpoint of this version (format '" + meta.get("format") + "', expected '" + FORMAT + "')");
        Gson gson = new Gson();
        UNetConfig uc;
        TextEncoderConfig tc;
        NoiseSchedule schedule;
        Prediction prediction;
        try {
            uc = parseUNetConfig(meta.get("unet_config"));
            tc = gson.fromJson(meta.get("text_encoder_config"), TextEncoderConfig.class);
            String[] s = meta.get("schedule").split(":");
            schedule = scheduleFor(NoiseSchedule.Kind.valueOf(s[0]), Integer.parseInt(s[1]), s.length > 2 ? Double.parseDouble(s[2]) : 1.0);
            prediction = predictionOf(meta);
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            throw new IOException(file + ": config in the checkpoint metadata is unreadable or incompatible with this code: " + JsonErrors.brief(root), e);
        }
        Tokenizer tok = Tokenizer.fromLines(Arrays.asList(meta.get("vocabulary").split("\n", -1)));
        World world;
        try {
            world = meta.containsKey("world") ? World.fromJson(meta.get("world"), file + " (its world metadata)") : null;
        } catch (RuntimeException e) {
            throw new IOException(file + ": the world in the checkpoint metadata is unreadable: " + e.getMessage(), e);
        }
        TextToImageModel m = create(tok, tc, uc, schedule, prediction, new Rng(0), world);
        try {
            // A pretraining state file (pretrain-state.safetensors) holds the same configs and the
            // EMA weights under "ema.": it loads as the model it would ship at that step.
            Map<String, Tensor> w = l.tensors().keySet().stream().anyMatch(k -> k.startsWith("ema.unet."))
                    ? StateDicts.under("ema.", l.tensors()) : l.tensors();
            m.unet.loadStateDict(StateDicts.under("unet.", w), true);
            m.textEncoder.loadStateDict(StateDicts.under("text_encoder.", w), true);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": weights do not match the config (" + e.getMessage() + ")", e);
        }
        return new Loaded(m, meta);
    }

    /**
     * Reads a UNet config saved as JSON. Checkpoints written before {@code pooledText},
     * {@code patchSize}, {@code coordChannels} and {@code posEmbed} existed get the values those
     * models had: no pooled text, patch 1, no coordinate channels, no positional embeddings.
     * Anything else (bad JSON, a field of the wrong type, a missing or impossible size) throws an
     * {@link IllegalArgumentException} that says what, without Gson's class names and links.
     */
    public static UNetConfig parseUNetConfig(String json) {
        if (json == null) throw new IllegalArgumentException("no config");
        try {
            com.google.gson.JsonElement e = com.google.gson.JsonParser.parseString(json);
            if (!e.isJsonObject()) throw new IllegalArgumentException("not a JSON object");
            com.google.gson.JsonObject o = e.getAsJsonObject();
            if (!o.has("pooledText")) o.addProperty("pooledText", false);
            if (!o.has("patchSize")) o.addProperty("patchSize", 1);
            if (!o.has("coordChannels")) o.addProperty("coordChannels", false);
            if (!o.has("posEmbed")) o.addProperty("posEmbed", false);
            return new Gson().fromJson(o, UNetConfig.class);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            // Gson wraps what the record's constructor refuses ("UNetConfig: heads must be positive") in its own exception.
            for (Throwable c = e.getCause(); c != null; c = c.getCause())
                if (c instanceof IllegalArgumentException ours && String.valueOf(ours.getMessage()).startsWith("UNetConfig:"))
                    throw new IllegalArgumentException(ours.getMessage(), e);
            throw new IllegalArgumentException(JsonErrors.brief(e), e);
        }
    }

    /** The prediction type a checkpoint's metadata records; checkpoints from before v-prediction are all ε. */
    public static Prediction predictionOf(Map<String, String> meta) {
        return Prediction.parse(meta.getOrDefault("prediction", "epsilon"));
    }

    /** The schedule parameters this project uses for each kind, with an SNR shift (1 for none). */
    public static NoiseSchedule scheduleFor(NoiseSchedule.Kind kind, int steps, double snrShift) {
        return switch (kind) {
            case LINEAR -> new NoiseSchedule(kind, steps, 1e-4, 0.02, snrShift);
            case SCALED_LINEAR -> new NoiseSchedule(kind, steps, 0.00085, 0.012, snrShift);
            case COSINE -> new NoiseSchedule(kind, steps, 0, 0, snrShift);
        };
    }

    /** A loaded model with the checkpoint's metadata (seed, command, step, ...). */
    public record Loaded(TextToImageModel model, Map<String, String> metadata) {}
}
