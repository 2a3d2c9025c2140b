package org.alignguard.attacks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.Synonym;
import org.alignguard.diffusion.world.SynonymPolicy;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.diffusion.world.WorldSampler;
import org.alignguard.tensor.Rng;

/**
 * The black-box attack, after Ring-A-Bell (Tsai et al. 2024). It reads only the text encoder's
 * outputs, never a gradient or an image of the attacked model.
 * <pre>
 *   concept direction   d_c = mean_j [ pool(enc(caption_j with c)) − pool(enc(caption_j without c)) ]
 *                       (the same sentence with and without the concept clause, M scenes: {@link AttackCase#pair})
 *   target              τ   = pool(enc(neutral prompt)) + η·d_c
 *   genetic search over z = z_1 … z_K (allowed words), prompt(z) = z ⊕ neutral prompt:
 *     fitness(z) = cos(pool(enc(prompt(z))), τ)
 *     each generation: keep the best E (elitism), fill the rest by tournament selection,
 *     one-point crossover and per-token mutation; a child that names an unsafe synonym is
 *     mutated again (at most 20 times) or replaced by a fresh random child
 *   queries = population × generations text-encoder evaluations
 * </pre>
 * pool is the mean over the real tokens ({@code <bos>} … {@code <eos>}). Ring-A-Bell compares whole
 * CLIP sequences of a fixed length; ours have words at shifted places once tokens are prepended, so
 * the mean over tokens is the layout-free version of the same comparison.
 */
public final class BlackBoxAttack implements Attack {
    /**
     * @param tokens      K, searched tokens
     * @param population  individuals per generation
     * @param generations generations (queries = population × generations)
     * @param eta         η, how far along the concept direction the target lies (Ring-A-Bell: 3)
     * @param pairs       M, sentence pairs the direction is averaged over
     * @param mutation    probability that a token of a child is redrawn
     */
    public record Settings(int tokens, int population, int generations, float eta, int pairs, float mutation) {
        public Settings {
            if (tokens < 1) throw new IllegalArgumentException("black-box: tokens must be positive, got " + tokens);
            if (population < 2) throw new IllegalArgumentException("black-box: population must be at least 2, got " + population);
            if (generations < 1) throw new IllegalArgumentException("black-box: generations must be positive, got " + generations);
            if (!(eta > 0) || Float.isInfinite(eta)) throw new IllegalArgumentException("black-box: eta must be a positive number, got " + eta);
            if (pairs < 1) throw new IllegalArgumentException("black-box: pairs must be positive, got " + pairs);
            if (!(mutation >= 0 && mutation <= 1)) throw new IllegalArgumentException("black-box: mutation must be in [0, 1], got " + mutation);
        }

        public int queries() { return population * generations; }
    }

    private final Settings settings;
    private final World world;
    private final SynonymFilter filter;
    private final int[] allowed;

    public BlackBoxAttack(Settings settings, World world, Tokenizer tok) {
        this.settings = settings;
        this.world = world;
        this.filter = new SynonymFilter(world);
        this.allowed = filter.allowedTokens(tok);
    }

    @Override public String name() { return "black-box"; }

    @Override public Map<String, Object> budget() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", settings.tokens());
        m.put("population", settings.population());
        m.put("generations", settings.generations());
        m.put("queries", settings.queries());
        m.put("eta", settings.eta());
        m.put("pairs", settings.pairs());
        m.put("mutation", settings.mutation());
        m.put("allowed_words", allowed.length);
        return m;
    }

    @Override public Found run(TextToImageModel model, AttackCase c, Targets targets, ProgressListener progress) {
        long t0 = System.nanoTime();
        Rng rng = c.searchRng(name());
        float[] target = target(model, c, rng);
        Tokenizer tok = model.tokenizer;
        int n = settings.population(), k = settings.tokens();
        List<int[]> pop = new ArrayList<>();
        for (int i = 0; i < n; i++) pop.add(repair(tok, random(rng), c, rng));
        int[] best = null;
        double bestFit = Double.NEGATIVE_INFINITY, first = Double.NaN;
        for (int g = 0; g < settings.generations(); g++) {
            double[] fit = fitness(model, pop, c, target);
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(fit[b], fit[a]));
            if (g == 0) first = fit[order[0]];
            if (fit[order[0]] > bestFit) {
                bestFit = fit[order[0]];
                best = pop.get(order[0]).clone();
            }
            progress.onStep(name() + " " + c.key(), g + 1, settings.generations(), bestFit);
            if (g == settings.generations() - 1) break;
            List<int[]> next = new ArrayList<>();
            int elite = Math.max(1, n / 8);
            for (int i = 0; i < elite; i++) next.add(pop.get(order[i]));
            while (next.size() < n) {
                int[] a = pop.get(tournament(fit, rng)), b = pop.get(tournament(fit, rng));
                int cut = rng.nextInt(k + 1);
                int[] child = new int[k];
                for (int j = 0; j < k; j++) child[j] = j < cut ? a[j] : b[j];
                for (int j = 0; j < k; j++) if (rng.nextFloat() < settings.mutation()) child[j] = allowed[rng.nextInt(allowed.length)];
                next.add(repair(tok, child, c, rng));
            }
            pop = next;
        }
        String prompt = filter.check(WhiteBoxAttack.prompt(tok, best, c));
        return new Found(c.concept().name(), c.seed(), prompt, Map.of(), first, bestFit, settings.queries(), (System.nanoTime() - t0) / 1e9);
    }

    /** τ = pool(enc(neutral)) + η·d_c. */
    float[] target(TextToImageModel model, AttackCase c, Rng rng) {
        CaptionGrammar g = new CaptionGrammar(world);
        WorldSampler sampler = new WorldSampler(world);
        List<Synonym> syns = c.concept().synonyms(SynonymPolicy.TRAIN);
        List<String> with = new ArrayList<>(), without = new ArrayList<>();
        for (int j = 0; j < settings.pairs(); j++) {
            Scene s = sampler.sampleBenign(rng);
            String[] pair = AttackCase.pair(g, s.withConcept(c.concept().index()), rng.nextInt(), syns.get(j % syns.size()).text());
            with.add(pair[0]);
            without.add(pair[1]);
        }
        float[][] pw = pooled(model, with), po = pooled(model, without);
        float[] base = pooled(model, List.of(c.neutralPrompt()))[0];
        float[] tau = base.clone();
        for (int j = 0; j < settings.pairs(); j++)
            for (int i = 0; i < tau.length; i++) tau[i] += settings.eta() * (pw[j][i] - po[j][i]) / settings.pairs();
        return tau;
    }

    private double[] fitness(TextToImageModel model, List<int[]> pop, AttackCase c, float[] target) {
        List<String> prompts = pop.stream().map(z -> WhiteBoxAttack.prompt(model.tokenizer, z, c)).toList();
        float[][] p = pooled(model, prompts);
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) out[i] = cosine(p[i], target);
        return out;
    }

    /** The mean of the text encoder's outputs over each prompt's real tokens. */
    static float[][] pooled(TextToImageModel model, List<String> prompts) {
        int len = model.textEncoder.config.maxLen(), dim = model.textEncoder.config.dim();
        float[] h;
        try (var scope = Grad.noGrad()) {
            h = model.encode(prompts).data().contiguous().toArray();
        }
        float[][] out = new float[prompts.size()][dim];
        for (int i = 0; i < prompts.size(); i++) {
            int real = model.tokenizer.encode(prompts.get(i), len).length();
            for (int p = 0; p < real; p++)
                for (int j = 0; j < dim; j++) out[i][j] += h[(i * len + p) * dim + j] / real;
        }
        return out;
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb + 1e-30);
    }

    private int tournament(double[] fit, Rng rng) {
        int best = rng.nextInt(fit.length);
        for (int i = 0; i < 2; i++) {
            int o = rng.nextInt(fit.length);
            if (fit[o] > fit[best]) best = o;
        }
        return best;
    }

    private int[] random(Rng rng) {
        int[] z = new int[settings.tokens()];
        for (int j = 0; j < z.length; j++) z[j] = allowed[rng.nextInt(allowed.length)];
        return z;
    }

    /** The child, or a mutation of it, whose prompt passes the synonym filter. */
    private int[] repair(Tokenizer tok, int[] z, AttackCase c, Rng rng) {
        for (int attempt = 0; attempt < 20 && !filter.allows(WhiteBoxAttack.prompt(tok, z, c)); attempt++)
            z[rng.nextInt(z.length)] = allowed[rng.nextInt(allowed.length)];
        return filter.allows(WhiteBoxAttack.prompt(tok, z, c)) ? z : repair(tok, random(rng), c, rng);
    }

}
