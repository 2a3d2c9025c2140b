package org.alignguard.diffusion.train;

import java.util.List;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.world.SceneLabels;
import org.alignguard.diffusion.world.World;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.nn.ModuleList;
import org.alignguard.tensor.Rng;

/**
 * An auxiliary loss for the text encoder during pretraining: linear heads read the scene's
 * attributes (shape, colour, background, position, mark) from the pooled prompt embedding.
 *
 * <p>Stable Diffusion's text encoder comes pretrained (CLIP's contrastive loss made its embeddings
 * describe the image) and frozen. Ours starts from scratch, and the UNet only teaches it the words
 * it already uses: the colours and backgrounds come through, while "top left" and "bottom right"
 * stay nearly the same vector, so the UNet never learns to place the object. Asking the embedding
 * for every attribute is our small stand-in for CLIP's pretraining. Only pretraining uses it; the
 * heads are not part of the shipped model.
 */
public final class TextProbe extends Module {
    final ModuleList<Linear> heads = child("heads", new ModuleList<>());

    public TextProbe(World world, int contextDim, Rng rng) {
        for (int classes : SceneLabels.classCounts(world)) heads.add(new Linear(contextDim, classes, true, rng));
    }

    /** Mean cross-entropy over the heads, from context [B, L, D] and one label set per prompt. */
    public Variable loss(Variable context, List<SceneLabels> labels) {
        Variable pooled = Ops.mean(context, false, 1);
        int[][] y = new int[heads.size()][labels.size()];   // [head][prompt]
        for (int i = 0; i < labels.size(); i++) {
            int[] all = labels.get(i).toArray();
            for (int h = 0; h < heads.size(); h++) y[h][i] = all[h];
        }
        Variable total = null;
        for (int h = 0; h < heads.size(); h++) {
            Variable l = Losses.crossEntropy(heads.get(h).forward(pooled), y[h]);
            total = total == null ? l : total.add(l);
        }
        return total.mul(1f / heads.size());
    }
}
