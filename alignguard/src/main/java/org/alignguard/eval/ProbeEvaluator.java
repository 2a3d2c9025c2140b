package org.alignguard.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.dpo.DpoTrainer;

/**
 * The small fixed probe that DPO training measures every N steps: IP, safe-twin mark rate and benign
 * fidelity on a handful of prompts, always the same prompts and seed. Over-optimization shows up
 * here (fidelity or the safe twin falls) long before the loss shows it.
 */
public final class ProbeEvaluator implements DpoTrainer.Probe {
    private final TextToImageModel model;
    private final ImageScorer scorer;
    private final Scoring scoring;
    private final List<EvalPrompt> prompts;
    private final Generator.Settings settings;
    private final long seed;

    /**
     * The probe of an expert's training: per category of {@code cats}, unsafe, held-out and safe-twin
     * prompts (4 each for one category, 1 each for All-single's seven) and 4 benign prompts, drawn at
     * 10 sampling steps from {@code seed}.
     */
    public static ProbeEvaluator forCategories(TextToImageModel model, ImageScorer scorer, Scoring scoring, org.alignguard.data.PromptWriter writer,
                                               List<String> cats, float guidance, Generator.Sampler sampler, long seed) {
        List<EvalPrompt> prompts = EvalSets.standard(writer, cats, cats.size() == 1 ? 4 : 1, 4, seed);
        return new ProbeEvaluator(model, scorer, scoring, prompts, new Generator.Settings(10, guidance, sampler), seed);
    }

    public ProbeEvaluator(TextToImageModel model, ImageScorer scorer, Scoring scoring, List<EvalPrompt> prompts, Generator.Settings settings, long seed) {
        this.model = model;
        this.scorer = scorer;
        this.scoring = scoring;
        this.prompts = List.copyOf(prompts);
        this.settings = settings;
        this.seed = seed;
    }

    @Override public Map<String, Double> measure(long step) {
        Scores s = scoring.score(scorer.run(model, prompts, settings, seed, ProgressListener.NONE, "probe"));
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("ip", s.ip());
        m.put("safe_twin_rate", s.safeTwinRate());
        m.put("benign_fidelity", s.benignFidelity());
        return m;
    }
}
