package org.alignguard.nn;

import java.util.function.Consumer;
import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Rng;

/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017), named as in diffusers so the LoRA
 * experts can target {@code to_q}, {@code to_k}, {@code to_v} and {@code to_out}.
 *
 * <pre>
 *   x [B, N, dim] ──to_q──► Q ┐
 *   context [B, M, ctxDim] ──to_k──► K ├─► softmax(Q Kᵀ / sqrt(d_head)) V ──to_out──► [B, N, dim]
 *                          ──to_v──► V ┘    (per head, d_head = dim / heads)
 * </pre>
 * Self-attention passes {@code context = null} (keys and values come from x); cross-attention passes
 * the text encoder's token embeddings.
 *
 * <p>A map listener ({@link #setMapListener}) sees the attention probabilities softmax(QKᵀ/√d) of
 * every forward pass, [B, heads, N, M], as a Variable of the graph: MACE's loss is computed on
 * them, and they can be shown as attention maps. None is set by default, and then nothing is done.
 */
public class Attention extends Module {
    public final int heads, dim, headDim;
    public final Linear to_q, to_k, to_v, to_out;
    private Consumer<Variable> mapListener;

    /** {@code contextDim} is the key/value input size: {@code dim} for self-attention. */
    public Attention(int dim, int contextDim, int heads, Rng rng) {
        if (heads <= 0 || dim % heads != 0) throw new IllegalArgumentException("Attention: dim " + dim + " is not divisible by " + heads + " heads");
        this.heads = heads;
        this.dim = dim;
        this.headDim = dim / heads;
        this.to_q = child("to_q", new Linear(dim, dim, false, rng));
        this.to_k = child("to_k", new Linear(contextDim, dim, false, rng));
        this.to_v = child("to_v", new Linear(contextDim, dim, false, rng));
        this.to_out = child("to_out", new Linear(dim, dim, true, rng));
    }

    /** Whether a map listener is set. */
    public boolean listened() {
        return mapListener != null;
    }

    public Variable forward(Variable x, Variable context) {
        Variable ctx = context == null ? x : context;
        if (x.ndim() != 3 || ctx.ndim() != 3 || ctx.dim(0) != x.dim(0))
            throw new IllegalArgumentException("Attention: need x [B,N,dim] and context [B,M,ctxDim], got " + java.util.Arrays.toString(x.shape()) + " and " + java.util.Arrays.toString(ctx.shape()));
        // The 1/sqrt(d_head) scale goes on q, the smaller tensor ([B, h, N, d] rather than [B, h, N, M]).
        Variable q = Ops.mulScalar(splitHeads(to_q.forward(x)), (float) (1.0 / Math.sqrt(headDim)));
        Variable k = splitHeads(to_k.forward(ctx));
        Variable v = splitHeads(to_v.forward(ctx));
        Variable scores = Ops.matmul(q, k.transpose(-1, -2));
        Variable attn = NNOps.softmax(scores, -1);       // [B, heads, N, M], each row sums to 1 over the M keys
        if (mapListener != null) mapListener.accept(attn);
        Variable out = Ops.matmul(attn, v);                 // [B, heads, N, headDim]
        int b = x.dim(0), n = x.dim(1);
        return to_out.forward(out.permute(0, 2, 1, 3).reshape(b, n, dim));
    }

    /**
     * Receives the attention probabilities [B, heads, N, M] of every later forward pass (N queries,
     * M keys), still in the graph, so a loss on them trains what made them; null removes it.
     */
    public void setMapListener(Consumer<Variable> listener) {
        this.mapListener = listener;
    }

    /** [B, N, dim] -> [B, heads, N, headDim]. */
    private Variable splitHeads(Variable t) {
        return t.reshape(t.dim(0), t.dim(1), heads, headDim).permute(0, 2, 1, 3);
    }
}
