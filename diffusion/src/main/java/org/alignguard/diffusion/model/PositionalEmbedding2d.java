package org.alignguard.diffusion.model;

import org.alignguard.tensor.Tensor;

/**
 * Fixed 2-D sine-cosine positional embeddings for the tokens of an H×W feature map (the ViT/MAE
 * recipe that DiT uses, Peebles and Xie 2023, §3.2). Half of the C channels encode the row, half
 * the column; each half is [sin(p·ω_k), cos(p·ω_k)] for C/4 frequencies ω_k = 10000^(−k/(C/4)).
 *
 * <p>Why the UNet needs them: a spatial transformer's queries come from the feature map, and at
 * high noise those features are mostly noise, so every place asks the prompt the same question.
 * With a position added, the query at the top left differs from the one at the bottom right, and
 * cross-attention can send "top left" there.
 */
public final class PositionalEmbedding2d {
    private PositionalEmbedding2d() {}

    /** The embedding table, [H·W, C], row-major over positions (token y·W + x). C must be a multiple of 4. */
    public static Tensor sinCos(int h, int w, int c) {
        if (c % 4 != 0) throw new IllegalArgumentException("2-D sin-cos embedding needs channels divisible by 4, got " + c);
        int quarter = c / 4;
        float[] e = new float[h * w * c];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int at = (y * w + x) * c;
                for (int k = 0; k < quarter; k++) {
                    double omega = Math.pow(10000, -(double) k / quarter);
                    e[at + k] = (float) Math.sin(y * omega);
                    e[at + quarter + k] = (float) Math.cos(y * omega);
                    e[at + 2 * quarter + k] = (float) Math.sin(x * omega);
                    e[at + 3 * quarter + k] = (float) Math.cos(x * omega);
                }
            }
        return Tensor.of(e, h * w, c);
    }
}
