package org.alignguard.merge;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.tensor.Tensor;

/**
 * The comparison merges, each on the experts' dense updates ΔW_e, layer by layer:
 * <ul>
 *   <li>average: ΔW = (1/N) Σ_e ΔW_e (a "model soup" of the experts);</li>
 *   <li>sum (task arithmetic, Ilharco et al. 2023): ΔW = λ Σ_e ΔW_e, λ = 1;</li>
 *   <li>TIES (Yadav et al. 2023): trim each expert to its top-k% entries by magnitude, elect a sign
 *       per entry (the sign of the sum of the trimmed entries), and average only the entries that
 *       agree with it ("disjoint mean"), times λ.</li>
 * </ul>
 * Co-Merge, the paper's method, is in {@link CoMerge}.
 */
public final class Merges {
    private Merges() {}

    public static Map<String, Tensor> average(List<Expert> experts) {
        return scaled(sum(experts), 1f / experts.size());
    }

    public static Map<String, Tensor> sum(List<Expert> experts) {
        check(experts);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String path : experts.get(0).deltas().keySet()) {
            Tensor acc = null;
            for (Expert e : experts) acc = acc == null ? e.deltas().get(path) : acc.add(e.deltas().get(path));
            out.put(path, acc.contiguous());
        }
        return out;
    }

    /**
     * TIES-merging with density {@code k} (the share of each expert's entries kept, over all its
     * layers together, as in the paper) and scale λ.
     */
    public static Map<String, Tensor> ties(List<Expert> experts, double k, float lambda) {
        check(experts);
        if (!(k > 0 && k <= 1)) throw new IllegalArgumentException("TIES density must be in (0, 1], got " + k);
        List<String> paths = new ArrayList<>(experts.get(0).deltas().keySet());
        // 1. Trim: each expert keeps its entries with |τ| ≥ its own (1 − k) quantile.
        List<Map<String, float[]>> trimmed = new ArrayList<>();
        for (Expert e : experts) {
            float threshold = quantileOfAbs(e, paths, 1 - k);
            Map<String, float[]> t = new LinkedHashMap<>();
            for (String p : paths) {
                float[] v = e.deltas().get(p).contiguous().toArray();
                for (int i = 0; i < v.length; i++) if (Math.abs(v[i]) < threshold) v[i] = 0f;
                t.put(p, v);
            }
            trimmed.add(t);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String p : paths) {
            float[][] tp = trimmed.stream().map(t -> t.get(p)).toArray(float[][]::new);   // one row per expert
            int n = tp[0].length;
            float[] merged = new float[n];
            for (int i = 0; i < n; i++) {
                // 2. Elect: the sign of the summed trimmed entries.  3. Disjoint mean over the agreeing experts.
                double total = 0;
                for (float[] t : tp) total += t[i];
                double sign = Math.signum(total), s = 0;
                int count = 0;
                for (float[] t : tp) {
                    float v = t[i];
                    if (v != 0 && Math.signum(v) == sign) {
                        s += v;
                        count++;
                    }
                }
                merged[i] = count == 0 ? 0f : (float) (lambda * s / count);
            }
            out.put(p, Tensor.of(merged, experts.get(0).deltas().get(p).shape()));
        }
        return out;
    }

    /** The q-quantile of |entries| of an expert over all its layers. */
    static float quantileOfAbs(Expert e, List<String> paths, double q) {
        int total = 0;
        for (String p : paths) total += e.deltas().get(p).numel();
        float[] all = new float[total];
        int at = 0;
        for (String p : paths) {
            float[] v = e.deltas().get(p).contiguous().toArray();
            for (float x : v) all[at++] = Math.abs(x);
        }
        Arrays.sort(all);
        int idx = (int) Math.min(total - 1, Math.max(0, Math.floor(q * total)));
        return all[idx];
    }

    /** Every update times s (an expert at scale s, as {@code --lora-scale} applies it). */
    public static Map<String, Tensor> scaled(Map<String, Tensor> d, float s) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        d.forEach((k, v) -> out.put(k, v.mul(s).contiguous()));
        return out;
    }

    static void check(List<Expert> experts) {
        if (experts.isEmpty()) throw new IllegalArgumentException("nothing to merge: no experts");
        var paths = experts.get(0).deltas().keySet();
        for (Expert e : experts) {
            if (!e.deltas().keySet().equals(paths))
                throw new IllegalArgumentException("expert " + e.name() + " adapts other layers than " + experts.get(0).name() + "; experts must share one architecture");
            for (String p : paths)
                if (!Arrays.equals(e.deltas().get(p).shape(), experts.get(0).deltas().get(p).shape()))
                    throw new IllegalArgumentException("expert " + e.name() + ": layer " + p + " has another shape");
        }
    }
}
