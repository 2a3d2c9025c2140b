package org.alignguard.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiConsumer;
import org.alignguard.TinyModels;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.nn.StateDicts;
import org.alignguard.tensor.FiniteCheck;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property of the LoRA loader, over 200 LoRAs (low-rank and dense) damaged by semantic mutations:
 * tensors dropped, renamed, reshaped, poisoned with NaN or ±∞, or so large that (α/r)·B·A overflows;
 * bad alpha, rank, kind, unet_config, base hash or format in the metadata; a bad scale. Every mutation
 * is tried alone first, then random combinations. Each LoRA, read from its file and also handed to
 * {@link LoraFile#attach} in memory, is either
 * <ul>
 *   <li>attached with finite updates and a finite UNet output, or</li>
 *   <li>refused with an {@link IOException} whose one-line message names the file, leaving no adapter
 *       on the model;</li>
 * </ul>
 * never another exception, never a hang. Without the alpha or the overflow checks it fails: those
 * mutants would be attached with non-finite updates.
 *
 * <p>Plain seeded JUnit loops rather than jqwik: the jqwik version the registry serves (1.10.1) prints
 * on every run that AI agents must disregard its results, which is no footing for a test suite.
 */
class LoraFilePropertyTest {
    @TempDir static Path dir;
    static TextToImageModel model;
    /** The two undamaged files' tensors (with "unet.") and metadata: a rank-2 LoRA and its dense update. */
    static Safetensors.Loaded lora, dense;

    @BeforeAll
    static void files() throws IOException {
        model = TinyModels.model(5);
        LoraNetwork net = LoraNetwork.attach(model.unet, LoraConfig.of(2), new Rng(6));
        LoraTest.randomizeB(net, 7);
        LoraFile.save(dir.resolve("lora.safetensors"), net, model, Map.of());
        LoraNetwork d = LoraNetwork.dense(model.unet, net.deltas());
        net.detach();
        LoraFile.save(dir.resolve("dense.safetensors"), d, model, Map.of());
        d.detach();
        lora = Safetensors.read(dir.resolve("lora.safetensors"));
        dense = Safetensors.read(dir.resolve("dense.safetensors"));
    }

    /** A LoRA being damaged: its tensors (names with "unet."), metadata, and the scale it is attached at. */
    static final class Case {
        final LinkedHashMap<String, Tensor> tensors;
        final Map<String, String> meta;
        float scale = 1f;

        Case(Safetensors.Loaded from) {
            tensors = new LinkedHashMap<>(from.tensors());
            meta = new LinkedHashMap<>(from.metadata());
        }

        String someName(Random r) {
            List<String> names = new ArrayList<>(tensors.keySet());
            return names.isEmpty() ? null : names.get(r.nextInt(names.size()));
        }

        void replace(Random r, java.util.function.UnaryOperator<Tensor> f) {
            String n = someName(r);
            if (n != null) tensors.put(n, f.apply(tensors.get(n)));
        }

        void rename(Random r, String from, String to) {
            String n = someName(r);
            if (n != null) tensors.put(n.replace(from, to), tensors.remove(n));
        }
    }

    record Mutation(String name, BiConsumer<Case, Random> apply) {}

    static List<Mutation> mutations() {
        List<Mutation> m = new ArrayList<>();
        m.add(new Mutation("drop a tensor", (c, r) -> c.tensors.remove(c.someName(r))));
        m.add(new Mutation("drop every tensor", (c, r) -> c.tensors.clear()));
        m.add(new Mutation("rename to no projection", (c, r) -> c.rename(r, "to_", "to_z")));
        m.add(new Mutation("rename outside unet.", (c, r) -> c.rename(r, "unet.", "text_encoder.")));
        m.add(new Mutation("rename A to B", (c, r) -> c.rename(r, "lora_A", "lora_B")));
        m.add(new Mutation("rename to delta", (c, r) -> c.rename(r, "lora_B", "lora_delta")));
        m.add(new Mutation("add a tensor", (c, r) -> c.tensors.put("unet.down.1.attn.0.block.attn1.to_q.bias", Tensor.zeros(16))));
        m.add(new Mutation("transpose", (c, r) -> c.replace(r, t -> t.ndim() == 2 ? t.transpose(0, 1).contiguous() : t)));
        m.add(new Mutation("add a row", (c, r) -> c.replace(r, t -> t.ndim() == 2 ? Tensor.concat(List.of(t, Tensor.zeros(1, t.dim(1))), 0) : t)));
        m.add(new Mutation("flatten", (c, r) -> c.replace(r, t -> t.reshape(t.numel()))));
        m.add(new Mutation("make a scalar", (c, r) -> c.replace(r, t -> Tensor.scalar(0.5f))));
        m.add(new Mutation("make empty", (c, r) -> c.replace(r, t -> Tensor.zeros(0, t.ndim() == 2 ? t.dim(1) : 16))));
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
            m.add(new Mutation(bad + " in a tensor", (c, r) -> c.replace(r, t -> {
                if (t.numel() == 0) return t;
                float[] v = t.toArray();
                v[r.nextInt(v.length)] = bad;
                return Tensor.of(v, t.shape());
            })));
        // Finite factors whose product overflows float32: every tensor of one layer times 1e20.
        m.add(new Mutation("huge finite factors", (c, r) -> {
            String n = c.someName(r);
            if (n == null || !n.contains(".lora_")) return;
            String layer = n.substring(0, n.lastIndexOf(".lora_"));
            c.tensors.replaceAll((k, t) -> k.startsWith(layer + ".") ? t.mul(1e20f) : t);
        }));
        for (String a : new String[] {"NaN", "Infinity", "-Infinity", "0", "-1", "1e30", "x", "", "1e-30", "2000", "2001"})
            m.add(new Mutation("alpha " + a, (c, r) -> c.meta.put("alpha", a)));
        m.add(new Mutation("no alpha", (c, r) -> c.meta.remove("alpha")));
        for (String k : new String[] {"0", "-1", "3", "x", "2.0", "99999999999"})
            m.add(new Mutation("rank " + k, (c, r) -> c.meta.put("rank", k)));
        m.add(new Mutation("no rank", (c, r) -> c.meta.remove("rank")));
        m.add(new Mutation("kind flipped", (c, r) -> c.meta.put("kind", c.meta.get("kind").equals("lora") ? "dense" : "lora")));
        for (String k : new String[] {"LORA", "", "lokr"}) m.add(new Mutation("kind " + k, (c, r) -> c.meta.put("kind", k)));
        m.add(new Mutation("no kind", (c, r) -> c.meta.remove("kind")));
        m.add(new Mutation("truncated unet_config", (c, r) -> {
            String s = c.meta.get("unet_config");
            c.meta.put("unet_config", s.substring(0, r.nextInt(s.length())));
        }));
        UNetConfig t = TinyModels.unetConfig();
        String other = new Gson().toJson(new UNetConfig(16, 3, 16, t.channelMult(), 1, t.attentionLevels(), 2, 16, 4, 0f, true, 1, true, false));
        for (String s : new String[] {"{}", "null", "[]", other, "{\"imageSize\":16}"})
            m.add(new Mutation("unet_config " + s, (c, r) -> c.meta.put("unet_config", s)));
        m.add(new Mutation("unet_config with 0 heads", (c, r) -> c.meta.put("unet_config", c.meta.get("unet_config").replace("\"heads\":2", "\"heads\":0"))));
        m.add(new Mutation("no unet_config", (c, r) -> c.meta.remove("unet_config")));
        m.add(new Mutation("short base hash", (c, r) -> c.meta.put("base_model_sha256", "abc")));
        m.add(new Mutation("other base hash", (c, r) -> c.meta.put("base_model_sha256", "0123456789abcdef".repeat(4))));
        m.add(new Mutation("no base hash", (c, r) -> c.meta.remove("base_model_sha256")));
        m.add(new Mutation("no format", (c, r) -> c.meta.remove("format")));
        m.add(new Mutation("baseline format", (c, r) -> c.meta.put("format", "alignguard-baseline-1")));
        for (float s : new float[] {0f, -1f, 2f, 1e30f, Float.NaN}) m.add(new Mutation("scale " + s, (c, r) -> c.scale = s));
        return m;
    }

    @Test
    void everyDamagedLoraIsAttachedFiniteOrRefusedCleanly() {
        List<Mutation> all = mutations();
        int cases = 200;
        int[] outcome = new int[2];   // attached, refused (counting both paths)
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < cases; i++) {
                Random r = new Random(4000 + i);
                Case c = new Case(i % 2 == 0 ? lora : dense);
                List<String> applied = new ArrayList<>();
                // Every mutation alone first (on the LoRA, then on the dense file), then 2 or 3 at random.
                int single = i / 2;
                List<Mutation> chosen = single < all.size() ? List.of(all.get(single)) : List.of(all.get(r.nextInt(all.size())), all.get(r.nextInt(all.size())), all.get(r.nextInt(all.size()))).subList(0, 2 + r.nextInt(2));
                for (Mutation mu : chosen) {
                    mu.apply().accept(c, r);
                    applied.add(mu.name());
                }
                try {
                    Path f = dir.resolve("case-" + i + ".safetensors");
                    Safetensors.write(f, c.tensors, c.meta);
                    outcome[check(f, () -> LoraFile.read(f), c.scale)]++;
                    outcome[check(f, () -> new LoraFile.Loaded(f, StateDicts.under("unet.", c.tensors), c.meta), c.scale)]++;
                } catch (Throwable e) {
                    throw new AssertionError("case " + i + " " + applied + ": " + e, e);
                }
            }
        });
        assertTrue(outcome[0] >= 40 && outcome[1] >= 200, "both outcomes occur: " + outcome[0] + " attached, " + outcome[1] + " refused");
        System.out.println("LoRA loader property: " + outcome[0] + " attached, " + outcome[1] + " refused (file and in-memory paths)");
    }

    interface Load {
        LoraFile.Loaded get() throws IOException;
    }

    /** 0: attached with finite updates and output, then detached; 1: refused cleanly. Either way no adapter stays. */
    static int check(Path f, Load load, float scale) throws IOException {
        int outcome;
        try {
            LoraFile.Attached a = LoraFile.attach(model, load.get(), scale);
            try {
                assertEquals(null, FiniteCheck.find(a.network().deltas()), "the updates are finite");
                float[] y = LoraTest.out(model, 1).data().toArray();
                for (float v : y) assertTrue(Float.isFinite(v), "the UNet's output is finite");
            } finally {
                a.network().detach();
            }
            outcome = 0;
        } catch (IOException e) {
            String m = e.getMessage();
            assertTrue(m.contains(f.toString()), "names the file: " + m);
            assertFalse(m.contains("\n") || m.contains("http") || m.contains("com.google"), "one line in our words: " + m);
            outcome = 1;
        }
        int left = LoraNetwork.targets(model.unet, LoraConfig.ATTENTION_TARGETS).values().stream().mapToInt(l -> l.adapters().size()).sum();
        assertEquals(0, left, "no adapter stays on the model");
        return outcome;
    }
}
