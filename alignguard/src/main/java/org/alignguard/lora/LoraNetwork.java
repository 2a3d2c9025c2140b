package org.alignguard.lora;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Attention;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * The adapters attached to one network (the UNet), addressed by the dotted path of the Linear they
 * adapt ({@code down.1.attn.0.block.attn2.to_k}). Its parameters are named as peft names them
 * ({@code down.1.attn.0.block.attn2.to_k.lora_A.weight}); the base network's own state dict is
 * unchanged by attaching.
 */
public final class LoraNetwork extends Module {
    private final Map<String, AdapterLayer> layers;

    private LoraNetwork(Map<String, AdapterLayer> layers) {
        this.layers = layers;
    }

    /** Fresh LoRA layers (B = 0) on every target projection of every {@link Attention} in {@code root}. */
    public static LoraNetwork attach(Module root, LoraConfig cfg, Rng rng) {
        return attach(root, cfg, rng, path -> true);
    }

    /**
     * As {@link #attach(Module, LoraConfig, Rng)}, on the target projections whose dotted path
     * passes {@code paths} (MACE adapts only the cross-attention: {@code p -> p.contains("attn2.")}).
     */
    public static LoraNetwork attach(Module root, LoraConfig cfg, Rng rng, java.util.function.Predicate<String> paths) {
        Map<String, AdapterLayer> out = new LinkedHashMap<>();
        targets(root, cfg.targets()).forEach((path, lin) -> {
            if (paths.test(path)) out.put(path, new LoraLayer(lin, cfg.rank(), cfg.alpha(), rng));
        });
        return install(out);
    }

    /**
     * Adapters from saved tensors (names relative to {@code root}): {@code P.lora_A.weight} and
     * {@code P.lora_B.weight} make a LoRA layer, {@code P.lora_delta.weight} a dense one.
     */
    public static LoraNetwork fromTensors(Module root, Map<String, Tensor> tensors, float alpha) {
        Map<String, Linear> all = targets(root, LoraConfig.ATTENTION_TARGETS);
        Map<String, AdapterLayer> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (String name : tensors.keySet()) {
            String path = pathOf(name);
            if (path == null) problems.add("unexpected tensor " + name);
            else if (!all.containsKey(path)) problems.add(name + " names no attention projection of this UNet");
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
        for (var e : all.entrySet()) {
            String p = e.getKey();
            Tensor a = tensors.get(p + ".lora_A.weight"), b = tensors.get(p + ".lora_B.weight"), d = tensors.get(p + ".lora_delta.weight");
            if (d != null) out.put(p, new DeltaLayer(e.getValue(), d));
            else if (a != null && b != null) out.put(p, new LoraLayer(e.getValue(), a.dim(0), alpha, a, b));
            else if (a != null || b != null) throw new IllegalArgumentException(p + " has only one of lora_A and lora_B");
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no LoRA tensors found");
        return install(out);
    }

    /** A network of dense updates, one per path (the output of a per-weight merge). */
    public static LoraNetwork dense(Module root, Map<String, Tensor> deltas) {
        Map<String, Linear> all = targets(root, LoraConfig.ATTENTION_TARGETS);
        Map<String, AdapterLayer> out = new LinkedHashMap<>();
        deltas.forEach((p, d) -> {
            Linear lin = all.get(p);
            if (lin == null) throw new IllegalArgumentException(p + " is no attention projection of this UNet");
            out.put(p, new DeltaLayer(lin, d));
        });
        return install(out);
    }

    private static LoraNetwork install(Map<String, AdapterLayer> layers) {
        layers.values().forEach(l -> l.base.addAdapter(l));
        return new LoraNetwork(layers);
    }

    private static String pathOf(String tensorName) {
        for (String suffix : List.of(".lora_A.weight", ".lora_B.weight", ".lora_delta.weight"))
            if (tensorName.endsWith(suffix)) return tensorName.substring(0, tensorName.length() - suffix.length());
        return null;
    }

    /** Every Linear named one of {@code names} directly inside an {@link Attention}, by dotted path. */
    public static Map<String, Linear> targets(Module root, List<String> names) {
        Map<String, Linear> out = new LinkedHashMap<>();
        root.namedModules().forEach((path, m) -> {
            if (!(m instanceof Attention)) return;
            Map<String, Module> kids = m.namedModules();
            for (String n : names)
                if (kids.get(n) instanceof Linear lin) out.put(path.isEmpty() ? n : path + "." + n, lin);
        });
        return out;
    }

    public Map<String, AdapterLayer> layers() { return java.util.Collections.unmodifiableMap(layers); }

    /** The trainable factors, peft-named. Dense updates have none. */
    @Override public Map<String, Variable> namedParameters() {
        Map<String, Variable> out = new LinkedHashMap<>();
        layers.forEach((p, l) -> {
            if (l instanceof LoraLayer lora) {
                out.put(p + ".lora_A.weight", lora.loraA);
                out.put(p + ".lora_B.weight", lora.loraB);
            }
        });
        return out;
    }

    /** What a LoRA file stores: the factors, or the dense updates. */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        layers.forEach((p, l) -> {
            if (l instanceof LoraLayer lora) {
                out.put(p + ".lora_A.weight", lora.loraA.data());
                out.put(p + ".lora_B.weight", lora.loraB.data());
            } else {
                out.put(p + ".lora_delta.weight", l.delta());
            }
        });
        return out;
    }

    /** ΔW at scale 1 for every adapted layer, by path. */
    public Map<String, Tensor> deltas() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        layers.forEach((p, l) -> out.put(p, l.delta()));
        return out;
    }

    public void setEnabled(boolean on) { layers.values().forEach(l -> l.setEnabled(on)); }

    public void setScale(float s) { layers.values().forEach(l -> l.setScale(s)); }

    public void merge() { layers.values().forEach(AdapterLayer::merge); }

    public void unmerge() { layers.values().forEach(AdapterLayer::unmerge); }

    /** Unmerges and takes every adapter off its Linear. */
    public void detach() {
        unmerge();
        layers.values().forEach(l -> l.base.removeAdapter(l));
    }

    /** True if every layer is a plain low-rank LoRA (none is a dense update). */
    public boolean isLowRank() {
        return layers.values().stream().allMatch(l -> l instanceof LoraLayer);
    }

    /** α of the LoRA layers, or 1 for dense updates (their ΔW is stored at scale 1). */
    public float alpha() {
        return layers.values().stream().filter(l -> l instanceof LoraLayer).map(l -> ((LoraLayer) l).alpha).findFirst().orElse(1f);
    }

    /** The rank of the LoRA layers, or 0 for dense updates. */
    public int rank() {
        return layers.values().stream().filter(l -> l instanceof LoraLayer).mapToInt(l -> ((LoraLayer) l).rank).findFirst().orElse(0);
    }
}
