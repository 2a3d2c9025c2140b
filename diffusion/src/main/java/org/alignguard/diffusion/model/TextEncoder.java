package org.alignguard.diffusion.model;

import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.nn.Attention;
import org.alignguard.nn.Embedding;
import org.alignguard.nn.LayerNorm;
import org.alignguard.nn.Linear;
import org.alignguard.nn.Module;
import org.alignguard.nn.ModuleList;
import org.alignguard.tensor.Rng;

/**
 * A small transformer that turns token ids into per-token context vectors, the part CLIP's text
 * tower plays in Stable Diffusion. It is trained jointly with the UNet during pretraining, then
 * frozen.
 * <pre>
 *   ids [B, L] ─► token_embedding + position_embedding ─► N × (h += attn(LN(h)); h += mlp(LN(h))) ─► final_norm ─► [B, L, dim]
 * </pre>
 */
public final class TextEncoder extends Module {
    public final TextEncoderConfig config;
    public final Embedding token_embedding, position_embedding;
    public final ModuleList<Layer> layers;
    public final LayerNorm final_norm;

    /** One pre-norm transformer encoder layer. */
    public static final class Layer extends Module {
        final LayerNorm norm1, norm2;
        final Attention self_attn;
        final Linear fc1, fc2;

        Layer(int dim, int heads, Rng rng) {
            norm1 = child("norm1", new LayerNorm(dim, 1e-5f));
            self_attn = child("self_attn", new Attention(dim, dim, heads, rng));
            norm2 = child("norm2", new LayerNorm(dim, 1e-5f));
            fc1 = child("fc1", new Linear(dim, 4 * dim, true, rng));
            fc2 = child("fc2", new Linear(4 * dim, dim, true, rng));
        }

        Variable forward(Variable h) {
            h = h.add(self_attn.forward(norm1.forward(h), null));
            return h.add(fc2.forward(Ops.gelu(fc1.forward(norm2.forward(h)))));
        }
    }

    public TextEncoder(TextEncoderConfig cfg, Rng rng) {
        this.config = cfg;
        token_embedding = child("token_embedding", new Embedding(cfg.vocabSize(), cfg.dim(), rng));
        position_embedding = child("position_embedding", new Embedding(cfg.maxLen(), cfg.dim(), rng));
        // Small initial embeddings, as CLIP (std 0.02), keep early attention logits tame.
        token_embedding.weight.setData(token_embedding.weight.data().mul(0.02f));
        position_embedding.weight.setData(position_embedding.weight.data().mul(0.01f));
        layers = child("layers", new ModuleList<>());
        for (int i = 0; i < cfg.layers(); i++) layers.add(new Layer(cfg.dim(), cfg.heads(), rng));
        final_norm = child("final_norm", new LayerNorm(cfg.dim(), 1e-5f));
    }

    /** ids: B prompts of maxLen token ids each, row-major. Returns [B, maxLen, dim]. */
    public Variable forward(int[] ids, int batch) {
        int len = config.maxLen();
        if (ids.length != batch * len)
            throw new IllegalArgumentException("TextEncoder: " + ids.length + " ids for " + batch + " prompts of " + len + " tokens");
        for (int id : ids)
            if (id < 0 || id >= config.vocabSize()) throw new IllegalArgumentException("TextEncoder: token id " + id + " outside the vocabulary of " + config.vocabSize());
        return forwardEmbedded(token_embedding.forward(ids, batch, len));
    }

    /**
     * The encoder from token embeddings [B, maxLen, dim] instead of ids: what {@link #forward} runs
     * after its table lookup. A learned pseudo-word (textual inversion) or a gradient with respect
     * to the tokens (an attack's one-hot relaxation: ∂L/∂onehot = ∂L/∂e · Eᵀ) enters here.
     */
    public Variable forwardEmbedded(Variable tokenEmbeddings) {
        int[] shape = tokenEmbeddings.shape();
        int len = config.maxLen();
        if (shape.length != 3 || shape[1] != len || shape[2] != config.dim())
            throw new IllegalArgumentException("TextEncoder: token embeddings of shape " + java.util.Arrays.toString(shape) + ", expected [B, " + len + ", " + config.dim() + "]");
        int batch = shape[0];
        int[] pos = new int[batch * len];
        for (int i = 0; i < pos.length; i++) pos[i] = i % len;
        Variable h = tokenEmbeddings.add(position_embedding.forward(pos, batch, len));
        for (Layer l : layers) h = l.forward(h);
        return final_norm.forward(h);
    }
}
