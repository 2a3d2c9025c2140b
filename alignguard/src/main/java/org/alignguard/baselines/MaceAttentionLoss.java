package org.alignguard.baselines;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Attention;
import org.alignguard.nn.Module;
import org.alignguard.tensor.Tensor;

/**
 * MACE's attention loss (Lu et al. 2024, Sec. 3.3, Eq. 6; {@code cfr_lora_training.py}): the
 * cross-attention that the concept's tokens receive from the pixels where the concept is drawn,
 * driven to zero.
 * <pre>
 *   L = Σ_l ‖ A_l[:, :, pixels inside M_l, concept columns] ‖_F
 * </pre>
 * over every cross-attention map A_l = softmax(QKᵀ/√d) [B, heads, N, M] of one UNet forward pass
 * (every layer and resolution), with M_l the concept's mask at the map's size. The norm is MACE's
 * plain Frobenius norm, neither squared nor normalized; there is no denoising term.
 *
 * <p>Resizing: MACE resizes Grounded-SAM's blob masks to each map with nearest sampling. Our mask
 * is the mark's exact pixels ({@code Renderer.markMask}), a fine texture of 1-pixel lines: sampled
 * nearest at 8×8, the "/" stripes of {@code slash} fall between the samples and the mask would be
 * empty. So a map cell counts as inside when any image pixel it covers is (a max-pool), the
 * region of the texture, which is what a segmenter outlines.
 */
final class MaceAttentionLoss implements AutoCloseable {
    private final List<Attention> layers = new ArrayList<>();
    private final List<Variable> maps = new ArrayList<>();

    /** Listens to every cross-attention ({@code attn2}) under {@code root}, until {@link #close}. */
    MaceAttentionLoss(Module root) {
        root.namedModules().forEach((path, m) -> {
            if ((path.equals("attn2") || path.endsWith(".attn2")) && m instanceof Attention a) {
                layers.add(a);
                a.setMapListener(maps::add);
            }
        });
        if (layers.isEmpty()) throw new IllegalArgumentException("the network has no cross-attention (attn2) to take maps from");
    }

    /** The maps recorded since the last {@link #clear}, in forward order. */
    List<Variable> maps() { return List.copyOf(maps); }

    void clear() { maps.clear(); }

    /**
     * L over the recorded maps for one image (batch 1): {@code mask} is the concept's pixels at the
     * image size {@code size}×{@code size}, {@code columns} the concept's key positions. Maps whose
     * resized mask is empty add nothing.
     */
    Variable loss(boolean[] mask, int size, int[] columns) {
        Variable total = null;
        for (Variable a : maps) {
            int b = a.dim(0), n = a.dim(2), m = a.dim(3), side = (int) Math.round(Math.sqrt(n));
            if (b != 1 || side * side != n) throw new IllegalArgumentException("attention map " + java.util.Arrays.toString(a.shape()) + " is not one square image's");
            boolean[] inside = resize(mask, size, side);
            float[] sel = new float[n * m];
            boolean any = false;
            for (int p = 0; p < n; p++)
                if (inside[p]) for (int c : columns) { sel[p * m + c] = 1f; any = true; }
            if (!any) continue;
            // ‖A ⊙ S‖_F with S the 0/1 selection of (pixel, column): the same value and gradient as indexing.
            Variable picked = Ops.mul(a, Variable.constant(Tensor.of(sel, 1, 1, n, m)));
            Variable norm = Ops.sqrt(Ops.sum(Ops.square(picked), false));
            total = total == null ? norm : total.add(norm);
        }
        if (total == null) throw new IllegalArgumentException("the concept's mask is empty at every attention resolution");
        return total;
    }

    /** The mask at {@code to}×{@code to}: a cell is inside when any of the pixels it covers is (max-pool). */
    static boolean[] resize(boolean[] mask, int size, int to) {
        if (mask.length != size * size) throw new IllegalArgumentException("mask has " + mask.length + " pixels, not " + size + "×" + size);
        boolean[] out = new boolean[to * to];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                if (mask[y * size + x]) out[(y * to / size) * to + x * to / size] = true;
        return out;
    }

    /** Takes the listeners off again. */
    @Override public void close() {
        for (Attention a : layers) a.setMapListener(null);
        maps.clear();
    }
}
