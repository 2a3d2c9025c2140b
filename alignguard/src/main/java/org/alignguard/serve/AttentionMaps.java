package org.alignguard.serve;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Attention;
import org.alignguard.nn.Module;

/**
 * Cross-attention maps per prompt token, as Prompt-to-Prompt (Hertz et al. 2022) draws them: in every
 * cross-attention block ({@code attn2}) the image's queries attend to the prompt's tokens with
 * probabilities softmax(QKᵀ/√d) [B, heads, N, M]; the column of token m, laid out on the N = h×w
 * positions of that block's feature map, shows where the picture looks at that word. The maps are
 * averaged over heads, over the blocks (each brought up to the image's size) and over the sampling
 * steps. Only the conditional branch (batch row 0) is read: the unconditional one sees the empty prompt.
 *
 * <p>It listens through {@link Attention#setMapListener}, the hook MACE's loss uses, and changes
 * nothing in the computation.
 */
final class AttentionMaps implements AutoCloseable {
    private final List<Attention> blocks = new ArrayList<>();
    private final int size;
    private double[][] sum;   // [token][size·size]
    private int count;

    /** Starts listening to every cross-attention block of {@code unet}, whose images are size×size. */
    AttentionMaps(Module unet, int size) {
        this.size = size;
        unet.namedModules().forEach((path, m) -> {
            if (m instanceof Attention a && (path.endsWith("attn2"))) {
                a.setMapListener(this::add);
                blocks.add(a);
            }
        });
    }

    private void add(Variable probs) {
        int heads = probs.dim(1), n = probs.dim(2), m = probs.dim(3);
        int side = (int) Math.round(Math.sqrt(n)), up = size / side;
        if (side * side != n || up * side != size) return;   // not a square map of this image: skip
        float[] v = probs.data().slice(0, 0, 1).contiguous().toArray();   // row 0: [heads, N, M]
        if (sum == null) sum = new double[m][size * size];
        for (int h = 0; h < heads; h++)
            for (int q = 0; q < n; q++) {
                int qy = q / side, qx = q % side;
                for (int k = 0; k < m; k++) {
                    double p = v[(h * n + q) * m + k] / heads;
                    for (int dy = 0; dy < up; dy++)
                        for (int dx = 0; dx < up; dx++) sum[k][(qy * up + dy) * size + qx * up + dx] += p;
                }
            }
        count++;
    }

    /** The mean map of token position {@code k} (0 is {@code <bos>}, word j is j + 1), size×size; zeros if nothing was seen. */
    float[] map(int k) {
        float[] out = new float[size * size];
        if (sum == null || k >= sum.length) return out;
        for (int i = 0; i < out.length; i++) out[i] = (float) (sum[k][i] / count);
        return out;
    }

    /** Stops listening. */
    @Override public void close() {
        blocks.forEach(a -> a.setMapListener(null));
    }
}
