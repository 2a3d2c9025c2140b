package org.alignguard.diffusion.model;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.ShapeOps;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Conv2d;
import org.alignguard.nn.GroupNorm;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.nn.ModuleList;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * The conditional UNet ε_θ(x_t, t, c) of Stable Diffusion (Rombach et al. 2022), at toy scale.
 * It predicts the noise ε that was added to x_0 to make x_t, given the timestep t and the text
 * context c (the text encoder's token embeddings).
 *
 * <pre>
 *   x_t ─► conv_in ─► down.0 ─► down.1 ─► … ─► mid ─► … ─► up.1 ─► up.0 ─► GN ─► SiLU ─► conv_out ─► ε
 *                      │ skips ───────────────────────────────► concatenated on the way up
 *   t ─► time_embed ─► every ResnetBlock;   c ─► every SpatialTransformer (cross-attention)
 *   mean(c) ─► text_embed ─► added to the timestep embedding (if config.pooledText, as SDXL's pooled text)
 * </pre>
 * With coordChannels, two constant channels holding each pixel's x and y join the input of conv_in.
 * With patchSize p > 1 the image is first folded into p² times the channels at 1/p the size
 * (space-to-depth) and unfolded again at the end. Level i works at size imageSize / (p·2^i) with {@code config.channels(i)} channels. Each down level has
 * {@code layersPerBlock} ResNet blocks (each followed by a transformer where attention is on), then a
 * stride-2 conv except at the last level. Each up level has one more block, taking a skip each time.
 */
public final class UNet extends Module {
    public final UNetConfig config;
    public final TimestepEmbedding time_embed;
    public final Conv2d conv_in, conv_out;
    public final ModuleList<Level> down, up;
    public final Level mid;
    public final GroupNorm norm_out;
    /** Projects the pooled text context into the timestep embedding; null unless config.pooledText. */
    public final Linear text_embed;

    /** One resolution level: ResNet blocks, optional transformers, optional resampling. */
    public static final class Level extends Module {
        final ModuleList<ResnetBlock> res = child("res", new ModuleList<>());
        final ModuleList<SpatialTransformer> attn = child("attn", new ModuleList<>());
        Downsample downsample;
        Upsample upsample;

        void addDownsample(Downsample d) { downsample = child("downsample", d); }
        void addUpsample(Upsample u) { upsample = child("upsample", u); }

        Variable block(int j, Variable h, Variable temb, Variable context) {
            h = res.get(j).forward(h, temb);
            return attn.size() > 0 ? attn.get(j).forward(h, context) : h;
        }
    }

    public UNet(UNetConfig cfg, Rng rng) {
        this.config = cfg;
        int temb = cfg.timeEmbedDim(), g = cfg.groups(), levels = cfg.channelMult().length;
        time_embed = child("time_embed", new TimestepEmbedding(cfg.baseChannels(), temb, rng));
        text_embed = cfg.pooledText() ? child("text_embed", new Linear(cfg.contextDim(), temb, true, rng)) : null;
        int latentChannels = cfg.inChannels() * cfg.patchSize() * cfg.patchSize();
        conv_in = child("conv_in", new Conv2d(latentChannels + (cfg.coordChannels() ? 2 : 0), cfg.channels(0), 3, 1, 1, true, rng));

        // Down path; remember the channels of every skip connection.
        Deque<Integer> skips = new ArrayDeque<>();
        skips.push(cfg.channels(0));
        down = child("down", new ModuleList<>());
        int ch = cfg.channels(0);
        for (int i = 0; i < levels; i++) {
            Level lv = down.add(new Level());
            int out = cfg.channels(i);
            for (int j = 0; j < cfg.layersPerBlock(); j++) {
                lv.res.add(new ResnetBlock(ch, out, temb, g, cfg.dropout(), rng));
                if (cfg.attentionLevels()[i]) lv.attn.add(new SpatialTransformer(out, cfg.contextDim(), cfg.heads(), g, posSize(cfg, i), rng));
                ch = out;
                skips.push(ch);
            }
            if (i < levels - 1) {
                lv.addDownsample(new Downsample(ch, rng));
                skips.push(ch);
            }
        }

        mid = child("mid", new Level());
        mid.res.add(new ResnetBlock(ch, ch, temb, g, cfg.dropout(), rng));
        mid.attn.add(new SpatialTransformer(ch, cfg.contextDim(), cfg.heads(), g, posSize(cfg, levels - 1), rng));
        mid.res.add(new ResnetBlock(ch, ch, temb, g, cfg.dropout(), rng));

        // Up path, deepest level first: each block eats one skip.
        up = child("up", new ModuleList<>());
        for (int i = levels - 1; i >= 0; i--) {
            Level lv = up.add(new Level());
            int out = cfg.channels(i);
            for (int j = 0; j <= cfg.layersPerBlock(); j++) {
                lv.res.add(new ResnetBlock(ch + skips.pop(), out, temb, g, cfg.dropout(), rng));
                if (cfg.attentionLevels()[i]) lv.attn.add(new SpatialTransformer(out, cfg.contextDim(), cfg.heads(), g, posSize(cfg, i), rng));
                ch = out;
            }
            if (i > 0) lv.addUpsample(new Upsample(ch, rng));
        }
        norm_out = child("norm_out", new GroupNorm(g, ch, 1e-5f));
        conv_out = child("conv_out", new Conv2d(ch, latentChannels, 3, 1, 1, true, rng));
    }

    /** ε_θ(x_t, t, context): x [B, C, S, S], one timestep per sample, context [B, L, contextDim]. */
    public Variable forward(Variable x, int[] t, Variable context) {
        return forward(stem(x, t, context), context);
    }

    /**
     * The start of the forward pass, up to the first transformer: the timestep (and pooled text)
     * embedding, conv_in, the down levels without attention, and the first ResNet block of the first
     * level with attention. No attention layer is in it, so an adapter on the attention layers only
     * (LoRA's {@code to_q, to_k, to_v, to_out}) leaves it as the frozen model computes it: Diffusion-DPO's
     * policy and reference passes on the same x_t can share it ({@code DpoTrainer}).
     *
     * @param temb      the timestep embedding every ResNet block adds
     * @param skips     the skip connections so far, in the order they were made
     * @param h         the last output
     * @param level     the down level the rest of the pass starts at
     * @param attending whether {@code h} still waits for that level's first transformer
     */
    public record Stem(Variable temb, List<Variable> skips, Variable h, int level, boolean attending) {
        public Stem {
            skips = List.copyOf(skips);
        }

        /**
         * Rows [from, to) of the batch, as constants (for passes without gradients): the rest of the
         * pass on these rows gives those rows of the whole batch's output ({@link RowSplit}).
         */
        public Stem rows(int from, int to) {
            return new Stem(RowSplit.rows(temb, from, to), skips.stream().map(v -> RowSplit.rows(v, from, to)).toList(), RowSplit.rows(h, from, to), level, attending);
        }
    }

    /**
     * Whether the module at {@code path} (as in the state dict: {@code "down.0.res.0.conv1"}) runs in
     * the {@link Stem}: an adapter there would make two passes' stems differ.
     */
    public boolean inStem(String path) {
        int level = firstAttentionLevel();
        if (under(path, "time_embed") || under(path, "text_embed") || under(path, "conv_in")) return true;
        for (int i = 0; i < level; i++) if (under(path, "down." + i)) return true;
        return under(path, "down." + level + ".res.0");
    }

    /** The first down level with transformers, where the {@link Stem} ends (down.size() if none). */
    private int firstAttentionLevel() {
        int level = 0;
        while (level < down.size() && down.get(level).attn.size() == 0) level++;
        return level;
    }

    /** Whether {@code path} is the module {@code prefix} or inside it. */
    private static boolean under(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + ".");
    }

    /** The {@link Stem} of ε_θ(x_t, t, context). */
    public Stem stem(Variable x, int[] t, Variable context) {
        int s = config.imageSize();
        if (x.ndim() != 4 || x.dim(1) != config.inChannels() || x.dim(2) != s || x.dim(3) != s)
            throw new IllegalArgumentException("UNet: expected input [B, " + config.inChannels() + ", " + s + ", " + s + "], got " + java.util.Arrays.toString(x.shape()));
        if (t.length != x.dim(0) || context.dim(0) != x.dim(0) || context.dim(-1) != config.contextDim())
            throw new IllegalArgumentException("UNet: batch " + x.dim(0) + " needs " + x.dim(0) + " timesteps (got " + t.length + ") and context [B, L, " + config.contextDim() + "], got " + java.util.Arrays.toString(context.shape()));
        Variable temb = time_embed.forward(t);
        // The prompt as one vector (the mean over its token embeddings) steers every ResNet block,
        // not only the attention levels: the global attributes (colours, shape, place) are learned sooner.
        if (text_embed != null) temb = temb.add(text_embed.forward(Ops.mean(context, false, 1)));
        int p = config.patchSize();
        Variable latent = p == 1 ? x : spaceToDepth(x, p);
        if (config.coordChannels()) latent = ShapeOps.concat(List.of(latent, Variable.constant(coordinates(x.dim(0), config.latentSize()))), 1);
        Variable h = conv_in.forward(latent);
        List<Variable> skips = new java.util.ArrayList<>(List.of(h));
        int i = firstAttentionLevel();
        for (int l = 0; l < i; l++) {
            Level lv = down.get(l);
            for (int j = 0; j < lv.res.size(); j++) {
                h = lv.res.get(j).forward(h, temb);
                skips.add(h);
            }
            if (lv.downsample != null) {
                h = lv.downsample.forward(h);
                skips.add(h);
            }
        }
        boolean attending = i < down.size() && down.get(i).res.size() > 0;
        if (attending) h = down.get(i).res.get(0).forward(h, temb);
        return new Stem(temb, skips, h, i, attending);
    }

    /** The rest of the forward pass from a {@link Stem} (made from the same x_t, t and context). */
    public Variable forward(Stem stem, Variable context) {
        Variable temb = stem.temb(), h = stem.h();
        Deque<Variable> skips = new ArrayDeque<>();
        for (Variable v : stem.skips()) skips.push(v);
        for (int i = stem.level(); i < down.size(); i++) {
            Level lv = down.get(i);
            for (int j = 0; j < lv.res.size(); j++) {
                h = i == stem.level() && j == 0 && stem.attending() ? lv.attn.get(0).forward(h, context) : lv.block(j, h, temb, context);
                skips.push(h);
            }
            if (lv.downsample != null) {
                h = lv.downsample.forward(h);
                skips.push(h);
            }
        }
        h = mid.res.get(0).forward(h, temb);
        h = mid.attn.get(0).forward(h, context);
        h = mid.res.get(1).forward(h, temb);
        for (Level lv : up) {
            for (int j = 0; j < lv.res.size(); j++) {
                h = ShapeOps.concat(List.of(h, skips.pop()), 1);
                h = lv.block(j, h, temb, context);
            }
            if (lv.upsample != null) h = lv.upsample.forward(h);
        }
        Variable out = conv_out.forward(Ops.silu(norm_out.forward(h)));
        int p = config.patchSize();
        return p == 1 ? out : depthToSpace(out, p);
    }

    /**
     * Whether something watches or records its passes: a map listener on an attention layer, or an
     * adapter that keeps state ({@link org.alignguard.nn.Linear.Adapter#stateless}). Then its passes
     * run on one thread, in order, never split by rows ({@link RowSplit}).
     */
    public boolean listened() {
        for (Module m : namedModules().values()) {
            if (m instanceof org.alignguard.nn.Attention a && a.listened()) return true;
            if (m instanceof Linear l && l.adapters().stream().anyMatch(a -> !a.stateless())) return true;
        }
        return false;
    }

    /** The map size of level i when its transformers get positional embeddings, else 0. */
    private static int posSize(UNetConfig cfg, int level) {
        return cfg.posEmbed() ? cfg.latentSize() >> level : 0;
    }

    /** CoordConv's extra input: [B, 2, S, S], channel 0 the column and channel 1 the row, both from -1 to 1. */
    static Tensor coordinates(int batch, int s) {
        float[] c = new float[batch * 2 * s * s];
        for (int b = 0; b < batch; b++)
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++) {
                    int at = b * 2 * s * s + y * s + x;
                    c[at] = s == 1 ? 0 : 2f * x / (s - 1) - 1;
                    c[at + s * s] = s == 1 ? 0 : 2f * y / (s - 1) - 1;
                }
        return Tensor.of(c, batch, 2, s, s);
    }

    /** [B, C, H, W] -> [B, C·p², H/p, W/p]: each p×p block of pixels becomes p² channels (lossless). */
    static Variable spaceToDepth(Variable x, int p) {
        int b = x.dim(0), c = x.dim(1), h = x.dim(2) / p, w = x.dim(3) / p;
        return x.reshape(b, c, h, p, w, p).permute(0, 1, 3, 5, 2, 4).reshape(b, c * p * p, h, w);
    }

    /** The inverse of {@link #spaceToDepth}. */
    static Variable depthToSpace(Variable x, int p) {
        int b = x.dim(0), c = x.dim(1) / (p * p), h = x.dim(2), w = x.dim(3);
        return x.reshape(b, c, p, p, h, w).permute(0, 1, 4, 2, 5, 3).reshape(b, c, h * p, w * p);
    }
}
