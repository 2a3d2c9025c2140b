package org.alignguard.diffusion.classifier;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Conv2d;
import org.alignguard.nn.GroupNorm;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.nn.ModuleList;
import org.alignguard.tensor.Rng;

/**
 * The measuring instrument: a small CNN that reads a rendered (or generated) image and predicts each
 * scene attribute and which concept mark, if any, is present. It stands in for the paper's Q16 and
 * NudeNet (is an unsafe mark there?) and for CLIPScore (does the image show what the prompt asked?).
 * <pre>
 *   x [B,3,S,S] ─► conv(3→c) ─► GN ─► SiLU ─► conv s2 (c→2c) ─► GN ─► SiLU ─► conv (2c→2c) ─► GN ─► SiLU
 *               ─► conv s2 (2c→2c) ─► GN ─► SiLU ─► flatten ─► Linear ─► SiLU ─► one Linear head per attribute
 * </pre>
 * Position matters (left/right, top/bottom), so the features are flattened, not pooled.
 */
public final class SceneClassifier extends Module {
    public final int imageSize, channels;
    public final List<String> headNames;
    private final ModuleList<Conv2d> convs = child("convs", new ModuleList<>());
    private final ModuleList<GroupNorm> norms = child("norms", new ModuleList<>());
    private final Linear hidden;
    private final ModuleList<Linear> heads = child("heads", new ModuleList<>());

    /** {@code heads}: head name -> number of classes, in a fixed order. */
    public SceneClassifier(int imageSize, int channels, Map<String, Integer> headSizes, Rng rng) {
        if (imageSize % 4 != 0) throw new IllegalArgumentException("SceneClassifier: image size " + imageSize + " is not divisible by 4");
        this.imageSize = imageSize;
        this.channels = channels;
        int c = channels;
        int[][] layers = {{3, c, 1}, {c, 2 * c, 2}, {2 * c, 2 * c, 1}, {2 * c, 2 * c, 2}};
        for (int[] l : layers) {
            convs.add(new Conv2d(l[0], l[1], 3, l[2], 1, true, rng));
            norms.add(new GroupNorm(8, l[1], 1e-5f));
        }
        int flat = 2 * c * (imageSize / 4) * (imageSize / 4);
        hidden = child("hidden", new Linear(flat, 128, true, rng));
        headNames = new ArrayList<>(headSizes.keySet());
        for (String h : headNames) heads.add(new Linear(128, headSizes.get(h), true, rng));
    }

    /**
     * The 128 features every head reads, [B, 128]: the classifier's "Inception features", on which a
     * Fréchet distance between generated and rendered images is measured.
     */
    public Variable features(Variable x) {
        Variable h = x;
        for (int i = 0; i < convs.size(); i++) h = Ops.silu(norms.get(i).forward(convs.get(i).forward(h)));
        return Ops.silu(hidden.forward(h.reshape(h.dim(0), -1)));
    }

    /** Logits per head, in {@link #headNames} order. */
    public Map<String, Variable> forward(Variable x) {
        Variable h = features(x);
        Map<String, Variable> out = new LinkedHashMap<>();
        for (int i = 0; i < headNames.size(); i++) out.put(headNames.get(i), heads.get(i).forward(h));
        return out;
    }
}
