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
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * Co-Merge (AlignGuard, Sec. 3.3). The paper: "Assuming LoRA experts with the same architecture, we
 * analyze which expert has the highest activation for each weight across all inputs. We obtain the
 * merged weights from multiple experts by merging only the most active weights per expert." Its code
 * was never released; this is our exact definition.
 *
 * <p><b>Activation of a weight.</b> For expert e and entry (j, k) of a layer's update ΔW_e:
 * <pre>
 *   a_e[j,k] = |ΔW_e[j,k]| · E_{x ~ probe, with e attached} |x_k|
 * </pre>
 * the mean size of that weight's contribution ΔW_e[j,k]·x_k to output j. The expectation runs over
 * the probe set (prompts of every category with their images, at timesteps 100…900), with expert e
 * alone attached, so x is what the layer sees inside that expert's model.
 *
 * <p><b>Merge.</b> For each weight, the most active expert e* = argmax_e a_e[j,k] gives its entry in
 * full; every other expert gives its entry scaled by how active it is there compared with e*:
 * <pre>
 *   ΔW[j,k] = Σ_e (a_e[j,k] / a_{e*}[j,k])^γ · ΔW_e[j,k]        (γ = 3 by default)
 * </pre>
 * γ = ∞ keeps only the most active expert's entry (the literal reading, {@code co-merge-hard});
 * γ = 0 is the plain sum. The literal rule leaves each of seven dense rank-r updates with about a
 * seventh of its entries, which removes most of what each expert does (IP 0.21 on our experts);
 * the sum keeps every expert whole but also adds up all their side effects (the safe-twin mark falls
 * to 0.64). With γ = 3 an entry where one expert dominates is that expert's, and an entry where
 * several are about as active is shared: docs/RESULTS.md, "Co-Merge", has the γ curve.
 *
 * <p>The result is a dense update per layer, not a LoRA: a per-entry combination of rank-r
 * matrices has no rank-r form, and truncating it to one (an SVD) would mix the experts back
 * together; at 56 layers of at most 64×64 it is 0.9 MB.
 */
public final class CoMerge {
    /** Co-Merge's default sharpness γ, chosen on the γ curve (docs/RESULTS.md). */
    public static final double DEFAULT_GAMMA = 3;

    private CoMerge() {}

    /** The activations a_e of one expert, per layer path, [out·in] row-major. */
    public record Activation(String expert, Map<String, float[]> perWeight) {}

    /** The merged updates, which expert was most active at each entry, and the activations. */
    public record Result(Map<String, Tensor> deltas, Map<String, int[]> winner, List<Activation> activations) {
        /** Share of all entries at which each expert was the most active. */
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

    /** Merges with sharpness γ (Double.POSITIVE_INFINITY: only the most active expert's entry). */
    public static Result merge(List<Expert> experts, List<Activation> activations, double gamma) {
        Merges.check(experts);
        if (!(gamma >= 0)) throw new IllegalArgumentException("Co-Merge's gamma must be >= 0, got " + gamma);
        int ne = experts.size();
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, int[]> winners = new LinkedHashMap<>();
        for (String path : experts.get(0).deltas().keySet()) {
            Tensor shapeOf = experts.get(0).deltas().get(path);
            int n = shapeOf.numel();
            float[][] d = new float[ne][], a = new float[ne][];
            for (int e = 0; e < ne; e++) {
                d[e] = experts.get(e).deltas().get(path).contiguous().toArray();
                a[e] = activations.get(e).perWeight().get(path);
            }
            float[] merged = new float[n];
            int[] who = new int[n];
            for (int i = 0; i < n; i++) {
                int best = 0;
                for (int e = 1; e < ne; e++) if (a[e][i] > a[best][i]) best = e;
                who[i] = best;
                double sum = d[best][i];
                if (Double.isFinite(gamma) && a[best][i] > 0)
                    for (int e = 0; e < ne; e++)
                        if (e != best) sum += Math.pow(a[e][i] / a[best][i], gamma) * d[e][i];
                merged[i] = (float) sum;
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
        for (String p : expert.deltas().keySet()) {
            InputRecorder r = new InputRecorder(net.layers().get(p).base);
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
        Map<String, float[]> per = new LinkedHashMap<>();
        for (var e : rec.entrySet()) {
            float[] v = expert.deltas().get(e.getKey()).contiguous().toArray();
            double[] ex = e.getValue().meanAbs();
            int in = ex.length;
            float[] a = new float[v.length];
            for (int i = 0; i < v.length; i++) a[i] = (float) (Math.abs(v[i]) * ex[i % in]);
            per.put(e.getKey(), a);
        }
        return new Activation(expert.name(), per);
    }

    /**
     * The ablation's statistic: a_e[j,k] = |ΔW_e[j,k]|, the activation without E|x_k|. In the
     * cross-attention's {@code to_k} and {@code to_v} the input is the text encoder's output, which no
     * expert adapts, so E|x_k| is the same for every expert there and the two statistics pick the same
     * winners; elsewhere the experts' own activations differ.
     */
    public static List<Activation> weightActivations(List<Expert> experts) {
        List<Activation> out = new ArrayList<>();
        for (Expert e : experts) {
            Map<String, float[]> per = new LinkedHashMap<>();
            e.deltas().forEach((path, d) -> {
                float[] v = d.contiguous().toArray();
                for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
                per.put(path, v);
            });
            out.add(new Activation(e.name(), per));
        }
        return out;
    }

    /** a_e for every expert, in order. */
    public static List<Activation> activations(TextToImageModel model, List<Expert> experts, ProbeSet probe) {
        List<Activation> out = new ArrayList<>();
        for (Expert e : experts) out.add(activation(model, e, probe));
        return out;
    }
}
