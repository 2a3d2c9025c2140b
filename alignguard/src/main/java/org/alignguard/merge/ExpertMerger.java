package org.alignguard.merge;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.data.PreferenceSet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.lora.LoraFile;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.tensor.Tensor;

/** Reads expert LoRAs, merges them with one method, and writes the merged update as a LoRA file. */
public final class ExpertMerger {
    /** TIES' defaults in its paper: keep the top 20% of each task vector, λ = 1. */
    public static final double TIES_DENSITY = 0.2;
    public static final float TIES_LAMBDA = 1f;
    /** The probe's timesteps: from nearly clean to nearly pure noise. */
    public static final int[] PROBE_TIMESTEPS = {100, 300, 500, 700, 900};

    private ExpertMerger() {}

    /** An expert's updates ΔW = (α/r)·B·A from its file; the model is only needed to check that it fits. */
    public static Expert load(Path file, TextToImageModel model) throws IOException {
        LoraFile.Loaded l = LoraFile.read(file);
        LoraNetwork net = LoraFile.attach(model, l, 1f).network();
        try {
            String name = l.metadata().getOrDefault("category", file.getFileName().toString());
            return new Expert(name, net.deltas());
        } finally {
            net.detach();
        }
    }

    /** The probe set: up to {@code perCategory} pairs of each category, as (unsafe prompt, loser) and (safe prompt, winner). */
    public static ProbeSet probe(PreferenceSet data, List<String> categories, int perCategory, long seed) {
        List<Integer> idx = new ArrayList<>();
        for (String c : categories) {
            int n = 0;
            for (int i = 0; i < data.size() && n < perCategory; i++)
                if (data.pairs().get(i).category().equals(c)) {
                    idx.add(i);
                    n++;
                }
        }
        PreferenceSet s = data.select(idx);
        List<String> prompts = new ArrayList<>();
        for (var p : s.pairs()) prompts.add(p.unsafePrompt());
        for (var p : s.pairs()) prompts.add(p.safePrompt());
        Tensor images = Tensor.concat(List.of(s.losers(), s.winners()), 0);
        return new ProbeSet(prompts, images, PROBE_TIMESTEPS, seed);
    }

    public record Merged(Map<String, Tensor> deltas, Map<String, String> metadata) {}

    /** Merges {@code experts}; {@code probe} is needed for Co-Merge only. */
    public static Merged merge(MergeMethod method, List<Expert> experts, TextToImageModel model, ProbeSet probe) {
        return merge(method, experts, model, probe, CoMerge.DEFAULT_GAMMA);
    }

    /** As {@link #merge(MergeMethod, List, TextToImageModel, ProbeSet)}, with Co-Merge's sharpness γ. */
    public static Merged merge(MergeMethod method, List<Expert> experts, TextToImageModel model, ProbeSet probe, double gamma) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("merge_method", method.cliName());
        meta.put("experts", String.join(",", experts.stream().map(Expert::name).toList()));
        Map<String, Tensor> d = switch (method) {
            case AVERAGE -> Merges.average(experts);
            case SUM -> Merges.sum(experts);
            case TIES -> {
                meta.put("ties_density", Double.toString(TIES_DENSITY));
                meta.put("ties_lambda", Float.toString(TIES_LAMBDA));
                yield Merges.ties(experts, TIES_DENSITY, TIES_LAMBDA);
            }
            case CO_MERGE_WEIGHT -> {
                // The ablation: each entry's activation is its size alone, |ΔW_e[j,k]|, no probe.
                meta.put("co_merge_gamma", Double.toString(gamma));
                meta.put("co_merge_statistic", "|dW|");
                yield CoMerge.merge(experts, CoMerge.weightActivations(experts), gamma).deltas();
            }
            case CO_MERGE, CO_MERGE_HARD -> {
                if (probe == null) throw new IllegalArgumentException("Co-Merge needs a probe set (the preference data)");
                double g = method == MergeMethod.CO_MERGE_HARD ? Double.POSITIVE_INFINITY : gamma;
                meta.put("co_merge_gamma", Double.toString(g));
                CoMerge.Result r = CoMerge.merge(experts, CoMerge.activations(model, experts, probe), g);
                double[] share = r.share(experts.size());
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < share.length; i++) sb.append(i == 0 ? "" : ",").append(experts.get(i).name()).append('=').append(String.format(java.util.Locale.ROOT, "%.3f", share[i]));
                meta.put("co_merge_share", sb.toString());
                meta.put("co_merge_probe", probe.prompts().size() + " prompts x timesteps " + java.util.Arrays.toString(probe.timesteps()));
                yield r.deltas();
            }
        };
        return new Merged(d, meta);
    }

    /** Writes merged updates as a dense LoRA file for {@code model}. */
    public static void save(Path out, Merged m, TextToImageModel model, Map<String, String> extra) throws IOException {
        LoraNetwork net = LoraNetwork.dense(model.unet, m.deltas());
        try {
            Map<String, String> meta = new LinkedHashMap<>(m.metadata());
            meta.putAll(extra);
            LoraFile.save(out, net, model, meta);
        } finally {
            net.detach();
        }
    }
}
