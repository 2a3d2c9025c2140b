package org.alignguard.baselines;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Tensor;

/**
 * The layers of the UNet that read the text: the keys and values of every cross-attention
 * ({@code attn2.to_k}, {@code attn2.to_v}), which UCE and MACE edit in Stable Diffusion, and, in our
 * UNet, {@code text_embed}, which adds the mean of the token embeddings to the timestep embedding
 * (SDXL's pooled text). SD 1.5 has no such layer; a closed-form edit of the cross-attention alone
 * would leave this second path from the words to the image untouched, so our UCE and MACE edit it
 * with the same closed form, on the mean token embedding (docs/WALKTHROUGH.md, "Baselines").
 */
public final class TextLayers {
    private TextLayers() {}

    /** The cross-attention key and value projections, by parameter-path prefix ("unet.down.1.attn.0.block.attn2.to_k"). */
    public static Map<String, Linear> crossAttention(TextToImageModel model) {
        Map<String, Linear> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : model.unet.namedModules().entrySet())
            if ((e.getKey().endsWith("attn2.to_k") || e.getKey().endsWith("attn2.to_v")) && e.getValue() instanceof Linear l)
                out.put("unet." + e.getKey(), l);
        return out;
    }

    /** The pooled-text projection, or null when the UNet has none. */
    public static Linear pooled(TextToImageModel model) {
        return model.unet.text_embed;
    }

    public static final String POOLED = "unet.text_embed";

    /** The text encoder's output for each prompt, [prompts][position][dim]. */
    public static double[][][] encode(TextToImageModel model, List<String> prompts) {
        model.textEncoder.eval();
        try (var scope = Grad.noGrad()) {
            Tensor c = model.encode(prompts).data();
            int n = c.dim(0), len = c.dim(1), d = c.dim(2);
            float[] v = c.contiguous().toArray();
            double[][][] out = new double[n][len][d];
            for (int i = 0; i < n; i++)
                for (int p = 0; p < len; p++)
                    for (int k = 0; k < d; k++) out[i][p][k] = v[(i * len + p) * d + k];
            return out;
        }
    }

    /** The mean over positions: what the UNet's {@code text_embed} reads. */
    public static double[] pooled(double[][] tokens) {
        double[] m = new double[tokens[0].length];
        for (double[] t : tokens) for (int k = 0; k < m.length; k++) m[k] += t[k] / tokens.length;
        return m;
    }

    public static double[][] weight(Linear l) {
        return matrix(l.weight.data());
    }

    /** A float matrix [rows, cols] in double precision. */
    public static double[][] matrix(Tensor t) {
        if (t.ndim() != 2) throw new IllegalArgumentException("expected a matrix, got shape " + java.util.Arrays.toString(t.shape()));
        int rows = t.dim(0), cols = t.dim(1);
        float[] w = t.contiguous().toArray();
        double[][] out = new double[rows][cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) out[i][j] = w[i * cols + j];
        return out;
    }

    /** W_new − W_old as a float tensor [out, in]. */
    public static Tensor delta(double[][] wNew, double[][] wOld) {
        int out = wOld.length, in = wOld[0].length;
        float[] d = new float[out * in];
        for (int i = 0; i < out; i++) for (int j = 0; j < in; j++) d[i * in + j] = (float) (wNew[i][j] - wOld[i][j]);
        return Tensor.of(d, out, in);
    }
}
