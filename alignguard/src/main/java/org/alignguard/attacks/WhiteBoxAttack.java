package org.alignguard.attacks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;

/**
 * The white-box discrete attack, after UnlearnDiffAtk (Zhang et al. 2024): K adversarial tokens
 * are prepended to the case's prompt without its concept clause, and chosen so that the attacked
 * model denoises images that carry the mark well ({@link DenoisingObjective}). The tokens are
 * discrete, so the search follows GCG (Zou et al. 2023): the gradient with respect to each token's
 * one-hot vector ranks replacements, and a batch of single-token swaps is then tried for real.
 * <pre>
 *   prompt(z) = z_1 … z_K ⊕ neutral prompt,   z_k ∈ allowed words (no unsafe synonym)
 *   each iteration, on one draw of (t, ε) for each of a few target images picked at random:
 *     g_k      = ∂L/∂e_k                      e_k: the token embedding at position k
 *     ∂L/∂1_v  = g_k · E_v                    the one-hot relaxation: e_k = 1ᵀE, so its gradient is g_k Eᵀ
 *     top_k    = the topK words v with the most negative g_k · E_v
 *     B swaps  = (k ~ U{1..K}, v ~ U(top_k)), each prompt checked by the synonym filter
 *     z        = argmin over {z} ∪ swaps of L on this draw   (keeping z is one of the options)
 * </pre>
 */
public final class WhiteBoxAttack implements Attack {
    /**
     * @param tokens     K, adversarial tokens (the budget: 5)
     * @param iterations search iterations (the budget: 200)
     * @param topK       replacements kept per position from the gradient
     * @param candidates B, swaps tried per iteration
     * @param images     target images each iteration draws (t, ε) for, picked at random from the case's
     *                   (UnlearnDiffAtk fits one image; the candidates' cost grows with this: B+1 prompts × images rows)
     */
    public record Settings(int tokens, int iterations, int topK, int candidates, int images) {
        public Settings {
            if (tokens < 1) throw new IllegalArgumentException("white-box: tokens must be positive, got " + tokens);
            if (iterations < 1) throw new IllegalArgumentException("white-box: iterations must be positive, got " + iterations);
            if (topK < 1) throw new IllegalArgumentException("white-box: top-k must be positive, got " + topK);
            if (candidates < 1) throw new IllegalArgumentException("white-box: candidates must be positive, got " + candidates);
            if (images < 1) throw new IllegalArgumentException("white-box: images per iteration must be positive, got " + images);
        }
    }

    private final Settings settings;
    private final SynonymFilter filter;
    private final int[] allowed;

    public WhiteBoxAttack(Settings settings, World world, Tokenizer tok) {
        this.settings = settings;
        this.filter = new SynonymFilter(world);
        this.allowed = filter.allowedTokens(tok);
    }

    @Override public String name() { return "white-box"; }

    @Override public boolean fitsCaseImages() { return true; }

    @Override public Map<String, Object> budget() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", settings.tokens());
        m.put("iterations", settings.iterations());
        m.put("top_k", settings.topK());
        m.put("candidates", settings.candidates());
        m.put("images_per_iteration", settings.images());
        m.put("allowed_words", allowed.length);
        return m;
    }

    @Override public Found run(TextToImageModel model, AttackCase c, Targets targets, ProgressListener progress) {
        try (var frozen = new FrozenWeights(model)) {
            return search(model, c, targets, progress);
        }
    }

    private Found search(TextToImageModel model, AttackCase c, Targets targets, ProgressListener progress) {
        long t0 = System.nanoTime();
        TargetImages.Set set = targets.forCase(c);
        if (set == null || set.images() == null) throw new IllegalStateException("white-box: the base model drew no image with the mark of '" + c.concept().name() + "' for " + c.key());
        Rng rng = c.searchRng(name());
        Tokenizer tok = model.tokenizer;
        int[] z = start(tok, c, rng);
        float[] table = embeddingTable(model);   // frozen: read once
        double first = Double.NaN, current = Double.NaN;
        for (int it = 0; it < settings.iterations(); it++) {
            DenoisingObjective.Draw d = DenoisingObjective.draw(model, DenoisingObjective.pick(set.images(), settings.images(), rng), rng, 1);
            String now = prompt(tok, z, c);
            float[][] scores = oneHotGradient(model, d, now, table);
            List<String> options = new ArrayList<>();
            List<int[]> swaps = new ArrayList<>();
            options.add(now);
            swaps.add(z);
            int[][] top = new int[z.length][];
            for (int k = 0; k < z.length; k++) top[k] = mostNegative(scores[k], settings.topK());
            for (int b = 0; b < settings.candidates(); b++) {
                int k = rng.nextInt(z.length);
                int[] cand = z.clone();
                cand[k] = top[k][rng.nextInt(top[k].length)];
                String p = prompt(tok, cand, c);
                if (!filter.allows(p)) continue;
                options.add(p);
                swaps.add(cand);
            }
            double[] l = DenoisingObjective.losses(model, d, options, 256);
            int best = 0;
            for (int j = 1; j < l.length; j++) if (l[j] < l[best]) best = j;
            if (it == 0) first = l[0];
            z = swaps.get(best);
            current = l[best];
            progress.onStep(name() + " " + c.key(), it + 1, settings.iterations(), current);
        }
        return new Found(c.concept().name(), c.seed(), filter.check(prompt(tok, z, c)), Map.of(), first, current, settings.iterations(), (System.nanoTime() - t0) / 1e9);
    }

    /** The prompt the search starts from on case {@code c} (for tests and reports). */
    String initialPrompt(TextToImageModel model, AttackCase c) {
        return prompt(model.tokenizer, start(model.tokenizer, c, c.searchRng(name())), c);
    }

    /** K random allowed words whose prompt passes the filter. */
    private int[] start(Tokenizer tok, AttackCase c, Rng rng) {
        for (int attempt = 0; ; attempt++) {
            int[] z = new int[settings.tokens()];
            for (int k = 0; k < z.length; k++) z[k] = allowed[rng.nextInt(allowed.length)];
            if (filter.allows(prompt(tok, z, c)) || attempt > 1000) return z;
        }
    }

    static String prompt(Tokenizer tok, int[] z, AttackCase c) {
        StringBuilder sb = new StringBuilder();
        for (int id : z) sb.append(tok.token(id)).append(' ');
        return sb.append(c.neutralPrompt()).toString();
    }

    /**
     * For each adversarial position k (tokens 1..K after {@code <bos>}) and each allowed word v,
     * ∂L/∂(one-hot_k)_v = g_k · E_v, with g_k the gradient at that position summed over the draw's rows.
     * Entries for words that are not allowed are +∞, so they are never picked.
     */
    float[][] oneHotGradient(TextToImageModel model, DenoisingObjective.Draw d, String prompt, float[] e) {
        float[][] g = embeddingGradient(model, d, prompt, settings.tokens());
        int dim = model.textEncoder.config.dim(), vocab = model.textEncoder.config.vocabSize();
        float[][] out = new float[g.length][vocab];
        for (float[] row : out) java.util.Arrays.fill(row, Float.POSITIVE_INFINITY);
        for (int k = 0; k < g.length; k++)
            for (int v : allowed) {
                float s = 0;
                for (int j = 0; j < dim; j++) s += g[k][j] * e[v * dim + j];
                out[k][v] = s;
            }
        return out;
    }

    /** The token embedding table E [vocab, dim], row-major. */
    static float[] embeddingTable(TextToImageModel model) {
        return model.textEncoder.token_embedding.weight.data().contiguous().toArray();
    }

    /** The ids of the {@code k} smallest finite entries. */
    static int[] mostNegative(float[] score, int k) {
        List<Integer> ids = new ArrayList<>();
        for (int v = 0; v < score.length; v++) if (Float.isFinite(score[v])) ids.add(v);
        ids.sort((a, b) -> Float.compare(score[a], score[b]));
        return ids.subList(0, Math.min(k, ids.size())).stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * g_k = ∂L/∂e_k at token positions 1..K of {@code prompt} (the adversarial tokens, after
     * {@code <bos>}), summed over the draw's rows, for the model as it stands. Only the token
     * embeddings collect a gradient; the model's weights are left as they are.
     */
    static float[][] embeddingGradient(TextToImageModel model, DenoisingObjective.Draw d, String prompt, int k) {
        int dim = model.textEncoder.config.dim();
        Variable e = Variable.param(model.tokenEmbeddings(List.of(prompt), Map.of()).data());   // [1, L, dim]
        DenoisingObjective.loss(model, d, DenoisingObjective.repeatEach(model.textEncoder.forwardEmbedded(e), d.rows())).backward();
        float[] g = e.grad().contiguous().toArray();   // already summed over the rows
        float[][] out = new float[k][dim];
        for (int p = 0; p < k; p++) System.arraycopy(g, (p + 1) * dim, out[p], 0, dim);
        return out;
    }
}
