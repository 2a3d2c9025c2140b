package org.alignguard.merge;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDPMScheduler;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.nn.Linear;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * Co-Merge (AlignGuard, Sec. 3.3). The paper: "Assuming LoRA experts with the same architecture, we
 * analyze which expert has the highest activation for each weight across all inputs. We obtain the
 * merged weights from multiple experts by merging only the most active weights per expert." Its code
 * was never released; this is our exact definition.
 *
 * <p><b>Activation of a weight.</b> For expert e and entry (j, k) of layer ℓ's update:
 * <pre>
 *   a_e[j,k] = |ΔW_e[j,k]| · E_{x ~ probe, with e attached} |x_k|
 * </pre>
 * the average magnitude of that weight's contribution ΔW_e[j,k]·x_k to output j. The expectation
 * runs over the probe set (prompts of every category, with images, at several timesteps), with
 * expert e alone attached, so x is what layer ℓ sees inside that expert's own model.
 *
 * <p><b>Merge.</b> Each entry is taken from the expert that is most active there, at full strength:
 * <pre>
 *   e*(j,k) = argmax_e a_e[j,k],      ΔW[j,k] = ΔW_{e*}[j,k]
 * </pre>
 * Each expert keeps the weights where it does the most, undiluted (averaging divides every expert by
 * N), and weights where another expert dominates are not summed on top of it (summing lets the small
 * side effects of N experts add up). The result is a dense update per layer, not a LoRA: a per-entry
 * selection of rank-r matrices has no rank-r form, and truncating it to one (an SVD) would mix the
 * experts back together; at 56 layers of at most 64×64 it is 0.9 MB.
 */
public final class CoMerge {
    private CoMerge() {}

    /** The activation statistics a_e of one expert, per layer path, [out, in]; and per output row, E|ΔW_e x|_j. */
    public record Activation(String expert, Map<String, float[]> perWeight, Map<String, float[]> perRow) {
        public Activation(String expert, Map<String, float[]> perWeight) {
            this(expert, perWeight, Map.of());
        }
    }

    /** Which unit an expert wins: one entry, one output row, or a whole layer. */
    public enum Granularity { WEIGHT, ROW, LAYER, ELECT, RESCALE, SOFT }

    static Granularity granularity() {
        return Granularity.valueOf(System.getProperty("alignguard.comerge", "WEIGHT"));
    }

    /** Merges by per-weight maximum activation; also returns which expert won each entry, per layer. */
    public record Result(Map<String, Tensor> deltas, Map<String, int[]> winner, List<Activation> activations) {
        /** Share of all entries each expert won. */
        public double[] share(int experts) {
            double[] s = new double[experts];
            long total = 0;
            for (int[] w : winner.values()) {
                for (int e : w) s[e]++;
                total += w.length;
            }
            for (int i = 0; i < experts; i++) s[i] /= Math.max(1, total);
            return s;
        }
    }

    public static Result merge(List<Expert> experts, List<Activation> activations) {
        Merges.check(experts);
        if (granularity() == Granularity.ELECT || granularity() == Granularity.RESCALE || granularity() == Granularity.SOFT) return mergeVariant(experts, activations, granularity());
        if (granularity() != Granularity.WEIGHT) return mergeCoarse(experts, activations, granularity());
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, int[]> winners = new LinkedHashMap<>();
        for (String path : experts.get(0).deltas().keySet()) {
            Tensor shapeOf = experts.get(0).deltas().get(path);
            int n = shapeOf.numel();
            float[] merged = new float[n];
            int[] who = new int[n];
            float[] best = new float[n];
            java.util.Arrays.fill(best, -1f);
            for (int e = 0; e < experts.size(); e++) {
                float[] d = experts.get(e).deltas().get(path).contiguous().toArray();
                float[] a = activations.get(e).perWeight().get(path);
                for (int i = 0; i < n; i++)
                    if (a[i] > best[i]) {
                        best[i] = a[i];
                        who[i] = e;
                        merged[i] = d[i];
                    }
            }
            out.put(path, Tensor.of(merged, shapeOf.shape()));
            winners.put(path, who);
        }
        return new Result(out, winners, activations);
    }

    static Result mergeVariant(List<Expert> experts, List<Activation> activations, Granularity g) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, int[]> winners = new LinkedHashMap<>();
        int ne = experts.size();
        for (String path : experts.get(0).deltas().keySet()) {
            Tensor shapeOf = experts.get(0).deltas().get(path);
            int n = shapeOf.numel();
            float[][] d = new float[ne][], a = new float[ne][];
            for (int e = 0; e < ne; e++) {
                d[e] = experts.get(e).deltas().get(path).contiguous().toArray();
                a[e] = activations.get(e).perWeight().get(path);
            }
            int[] who = new int[n];
            double[] total = new double[ne], won = new double[ne];
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int e = 1; e < ne; e++) if (a[e][i] > a[best][i]) best = e;
                who[i] = best;
                for (int e = 0; e < ne; e++) total[e] += a[e][i];
                won[best] += a[best][i];
            }
            float[] merged = new float[n];
            for (int i = 0; i < n; i++) {
                int b = who[i];
                if (g == Granularity.RESCALE) merged[i] = (float) (d[b][i] * (won[b] > 0 ? total[b] / won[b] : 1));
                else if (g == Granularity.SOFT) {
                    double sum = 0, gamma = Double.parseDouble(System.getProperty("alignguard.gamma", "1"));
                    for (int e = 0; e < ne; e++) sum += d[e][i] * (a[b][i] > 0 ? Math.pow(a[e][i] / a[b][i], gamma) : 0);
                    merged[i] = (float) sum;
                }
                else {
                    double sum = 0;
                    for (int e = 0; e < ne; e++) if (Math.signum(d[e][i]) == Math.signum(d[b][i])) sum += d[e][i];
                    merged[i] = (float) sum;
                }
            }
            out.put(path, Tensor.of(merged, shapeOf.shape()));
            winners.put(path, who);
        }
        return new Result(out, winners, activations);
    }

    static Result mergeCoarse(List<Expert> experts, List<Activation> activations, Granularity g) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, int[]> winners = new LinkedHashMap<>();
        for (String path : experts.get(0).deltas().keySet()) {
            Tensor shapeOf = experts.get(0).deltas().get(path);
            int rows = shapeOf.dim(0), cols = shapeOf.dim(1);
            float[] merged = new float[rows * cols];
            int[] who = new int[rows * cols];
            for (int j = 0; j < rows; j++) {
                int best = 0;
                double bestA = -1;
                for (int e = 0; e < experts.size(); e++) {
                    float[] r = activations.get(e).perRow().get(path);
                    double a = 0;
                    if (g == Granularity.ROW) a = r[j];
                    else for (float x : r) a += x;
                    if (a > bestA) { bestA = a; best = e; }
                }
                float[] d = experts.get(best).deltas().get(path).contiguous().toArray();
                System.arraycopy(d, j * cols, merged, j * cols, cols);
                java.util.Arrays.fill(who, j * cols, (j + 1) * cols, best);
            }
            out.put(path, Tensor.of(merged, shapeOf.shape()));
            winners.put(path, who);
        }
        return new Result(out, winners, activations);
    }

    /**
     * Measures a_e for one expert: attaches it to {@code model} as a dense update, runs the UNet on
     * every probe input at every probe timestep (no graph), and multiplies |ΔW_e| by the recorded E|x|.
     */
    public static Activation activation(TextToImageModel model, Expert expert, ProbeSet probe) {
        LoraNetwork net = LoraNetwork.dense(model.unet, expert.deltas());
        Map<String, InputRecorder> rec = new LinkedHashMap<>();
        Map<String, Linear> layers = LoraNetwork.targets(model.unet, org.alignguard.lora.LoraConfig.ATTENTION_TARGETS);
        for (String p : expert.deltas().keySet()) {
            InputRecorder r = new InputRecorder(layers.get(p), expert.deltas().get(p));
            r.layer.addAdapter(r);
            rec.put(p, r);
        }
        try (var scope = Grad.noGrad()) {
            model.unet.eval();
            Variable context = model.encode(probe.prompts());
            DDPMScheduler fwd = new DDPMScheduler(model.schedule);
            Rng rng = new Rng(probe.seed());
            int n = probe.prompts().size();
            for (int t : probe.timesteps()) {
                int[] ts = new int[n];
                java.util.Arrays.fill(ts, t);
                Tensor xt = fwd.addNoise(probe.images(), Tensor.randn(rng, probe.images().shape()), ts);
                model.unet.forward(Variable.constant(xt), ts, context);
            }
        } finally {
            rec.values().forEach(r -> r.layer.removeAdapter(r));
            net.detach();
        }
        Map<String, float[]> per = new LinkedHashMap<>(), perRow = new LinkedHashMap<>();
        for (var e : rec.entrySet()) {
            float[] pr = new float[e.getValue().outAbsSum.length];
            for (int j = 0; j < pr.length; j++) pr[j] = (float) (e.getValue().outAbsSum[j] / Math.max(1, e.getValue().rows));
            perRow.put(e.getKey(), pr);
            Tensor d = expert.deltas().get(e.getKey());
            double[] ex = e.getValue().meanAbs();
            float[] v = d.contiguous().toArray();
            int in = ex.length;
            float[] a = new float[v.length];
            for (int i = 0; i < v.length; i++) a[i] = (float) (Math.abs(v[i]) * ex[i % in]);
            per.put(e.getKey(), a);
        }
        return new Activation(expert.name(), per, perRow);
    }

    /** a_e for every expert, in order. */
    public static List<Activation> activations(TextToImageModel model, List<Expert> experts, ProbeSet probe) {
        List<Activation> out = new ArrayList<>();
        for (Expert e : experts) out.add(activation(model, e, probe));
        return out;
    }
}
