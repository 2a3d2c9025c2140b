package org.alignguard.baselines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignguard.TinyModels;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * UCE on a tiny model: each edited layer minimizes UCE's objective (Eq. 7) over the vectors it was
 * built from, the model is left as it was, and the file's edit restores bit for bit.
 */
class UceTest {
    private static final Uce.Settings S = new Uce.Settings(Uce.Target.SAFE_TWIN, 1.0, 0.1, 0.1, true);

    @Test void eachLayerMinimizesTheObjectiveAndTheModelIsUntouched() {
        TextToImageModel m = TinyModels.model(3);
        Erasure e = Erasure.named(m.world(), List.of("slur", "weapon"));
        Map<String, Tensor> before = m.stateDict();
        BaselineFile.Made made = Uce.erase(m, e, S);
        assertSame(before, m.stateDict(), "erase() must leave the model as it was");
        assertEquals(TextLayers.crossAttention(m).size() + 1, made.edit().deltas().size(), "every cross-attention k/v and text_embed is edited");

        // The vectors UCE pairs: each training phrase with its safe twin's name, and the preserved phrases.
        List<String> src = new ArrayList<>(), tgt = new ArrayList<>();
        for (var c : e.erased()) for (String p : Erasure.trainingPhrases(c)) { src.add(p); tgt.add(e.safeTwin(c).name()); }
        double[][][] xs = TextLayers.encode(m, src), ts = TextLayers.encode(m, tgt), keep = TextLayers.encode(m, e.preservedPhrases());
        Rng rng = new Rng(5);
        for (String layer : TextLayers.crossAttention(m).keySet()) {
            double[][] w0 = matrix(before.get(layer + ".weight")), w = matrix(before.get(layer + ".weight").add(made.edit().deltas().get(layer + ".weight")));
            double best = objective(w, w0, xs, ts, keep);
            assertTrue(best < objective(w0, w0, xs, ts, keep), layer + ": the edit must lower UCE's objective");
            for (int trial = 0; trial < 5; trial++) {
                double[][] d = new double[w.length][w[0].length];
                for (double[] r : d) for (int j = 0; j < r.length; j++) r[j] = rng.nextGaussian() * 1e-3;
                double[][] plus = add(w, d, 1), minus = add(w, d, -1);
                assertTrue(objective(plus, w0, xs, ts, keep) >= best - 1e-9 && objective(minus, w0, xs, ts, keep) >= best - 1e-9,
                        layer + ": a small step away from the solution must not lower the objective");
            }
        }
        var applied = made.edit().apply(m.namedParameters());
        applied.restore();
        assertSame(before, m.stateDict(), "restore must give the weights back");
    }

    /** Σ_i ‖W c_i − W₀ c*_i‖² + λ_p Σ_j ‖W c_j − W₀ c_j‖² + λ ‖W − W₀‖², over every token position. */
    private static double objective(double[][] w, double[][] w0, double[][][] xs, double[][][] ts, double[][][] keep) {
        double j = 0;
        for (int i = 0; i < xs.length; i++)
            for (int p = 0; p < xs[i].length; p++) j += S.eraseScale() * sq(ClosedForm.times(w, xs[i][p]), ClosedForm.times(w0, ts[i][p]));
        for (double[][] k : keep) for (double[] x : k) j += S.preserveScale() * sq(ClosedForm.times(w, x), ClosedForm.times(w0, x));
        for (int r = 0; r < w.length; r++) j += S.lambda() * sq(w[r], w0[r]);
        return j;
    }

    private static double sq(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }

    private static double[][] add(double[][] a, double[][] d, double sign) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) out[i][j] = a[i][j] + sign * d[i][j];
        return out;
    }

    private static double[][] matrix(Tensor w) {
        float[] v = w.contiguous().toArray();
        double[][] out = new double[w.dim(0)][w.dim(1)];
        for (int i = 0; i < w.dim(0); i++) for (int j = 0; j < w.dim(1); j++) out[i][j] = v[i * w.dim(1) + j];
        return out;
    }

    private static void assertSame(Map<String, Tensor> a, Map<String, Tensor> b, String what) {
        assertEquals(a.keySet(), b.keySet());
        for (var en : a.entrySet()) assertTrue(java.util.Arrays.equals(en.getValue().toArray(), b.get(en.getKey()).toArray()), what + ": " + en.getKey());
    }
}
