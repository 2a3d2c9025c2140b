package org.alignguard.serve;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.alignguard.merge.CoMerge;
import org.alignguard.merge.Expert;
import org.alignguard.merge.ExpertMerger;
import org.alignguard.merge.MergeMethod;
import org.alignguard.merge.Merges;
import org.alignguard.tensor.Tensor;

/**
 * Merged updates, kept so that moving back to a setting the class has already seen costs nothing:
 * a merge of seven experts takes 45–100 ms on two cores (PERFORMANCE.md), which a class of thirty
 * moving sliders would pay again and again. The key is the whole {@link Mix} (experts, scales,
 * method, γ). When {@link #CAPACITY} entries (about 1 MB each) are full, the one used least recently
 * goes. Two requests for the same new mix wait for one computation.
 */
final class MergeCache {
    static final int CAPACITY = 32;
    /** The longest a request waits for another request's merge of the same mix: no worker waits for ever. */
    static final long WAIT_S = 60;

    /** One merged update: ΔW per layer, and for Co-Merge which expert won each layer's entries. */
    record Merged(Map<String, Tensor> deltas, List<LayerWinners> winners) {}

    /**
     * Co-Merge's winner share in one attention block: of its weights (to_q, to_k, to_v, to_out
     * together), the share at which each expert was the most active, e* = argmax_e a_e[j,k].
     */
    record LayerWinners(String layer, String winner, Map<String, Double> shares) {}

    private final List<Expert> experts;
    private final Supplier<List<CoMerge.Activation>> activations;
    private final Map<Mix, CompletableFuture<Merged>> entries = new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<Mix, CompletableFuture<Merged>> eldest) { return size() > CAPACITY; }
    };

    /** {@code activations} gives Co-Merge's a_e of every expert at scale 1, in the order of {@code experts}; it may block until they are measured. */
    MergeCache(List<Expert> experts, Supplier<List<CoMerge.Activation>> activations) {
        this.experts = experts;
        this.activations = activations;
    }

    /** The merged update of {@code mix}, computed on the calling thread the first time. */
    Merged get(Mix mix) {
        CompletableFuture<Merged> f, mine = new CompletableFuture<>();
        synchronized (entries) {
            f = entries.putIfAbsent(mix, mine);
        }
        if (f == null) {
            f = mine;
            try {
                mine.complete(merge(mix));
            } catch (Throwable e) {   // an Error too: an entry never completed would keep every later asker waiting
                synchronized (entries) {
                    entries.remove(mix, mine);   // the next request tries again
                }
                mine.completeExceptionally(e);
            }
        }
        try {
            return f.get(WAIT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while merging", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the merge took longer than " + WAIT_S + " s", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException("the merge failed: " + e.getCause(), e.getCause());
        }
    }

    private Merged merge(Mix mix) {
        List<Expert> chosen = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        for (var e : mix.scales().entrySet()) {
            int i = indexOf(e.getKey());
            index.add(i);
            Expert x = experts.get(i);
            chosen.add(new Expert(x.name(), e.getValue() == 1f ? x.deltas() : Merges.scaled(x.deltas(), e.getValue())));
        }
        MergeMethod method = MergeMethod.parse(mix.method());
        if (method != MergeMethod.CO_MERGE)   // sum, average, TIES: exactly what `alignguard merge` does
            return new Merged(ExpertMerger.merge(method, chosen, null, null).deltas(), List.of());
        // Co-Merge: a_e of an expert scaled by s is |s|·a_e (CoMergeProbe); the ranking needs nothing else.
        List<CoMerge.Activation> all = activations.get(), acts = new ArrayList<>();
        for (int k = 0; k < chosen.size(); k++) {
            float s = Math.abs(mix.scales().get(chosen.get(k).name()));
            Map<String, float[]> per = new LinkedHashMap<>();
            all.get(index.get(k)).perWeight().forEach((p, a) -> {
                float[] v = a.clone();
                for (int i = 0; i < v.length; i++) v[i] *= s;
                per.put(p, v);
            });
            acts.add(new CoMerge.Activation(chosen.get(k).name(), per));
        }
        CoMerge.Result r = CoMerge.merge(chosen, acts, mix.gamma());
        return new Merged(r.deltas(), winners(r, chosen));
    }

    /** Per attention block (a path such as down.1.attn.0.block.attn2), each expert's share of won entries. */
    static List<LayerWinners> winners(CoMerge.Result r, List<Expert> chosen) {
        Map<String, double[]> counts = new LinkedHashMap<>();
        r.winner().forEach((path, who) -> {
            double[] c = counts.computeIfAbsent(path.substring(0, path.lastIndexOf('.')), k -> new double[chosen.size()]);
            for (int e : who) c[e]++;
        });
        List<LayerWinners> out = new ArrayList<>();
        counts.forEach((layer, c) -> {
            double total = 0;
            int best = 0;
            for (int e = 0; e < c.length; e++) {
                total += c[e];
                if (c[e] > c[best]) best = e;
            }
            Map<String, Double> shares = new LinkedHashMap<>();
            for (int e = 0; e < c.length; e++) shares.put(chosen.get(e).name(), c[e] / Math.max(1, total));
            out.add(new LayerWinners(layer, chosen.get(best).name(), shares));
        });
        return out;
    }

    private int indexOf(String name) {
        for (int i = 0; i < experts.size(); i++) if (experts.get(i).name().equals(name)) return i;
        throw new IllegalArgumentException("no expert named '" + name + "'");
    }
}
