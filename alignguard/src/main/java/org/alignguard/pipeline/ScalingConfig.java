package org.alignguard.pipeline;

import java.nio.file.Path;
import java.util.List;
import org.alignguard.baselines.Esd;
import org.alignguard.baselines.Mace;
import org.alignguard.baselines.SldConfig;
import org.alignguard.baselines.Uce;
import org.alignguard.data.EvalSplit;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.dpo.DpoConfig;

/**
 * What the concept-scaling experiment ({@code alignguard scaling}) does.
 *
 * @param out              the experiment folder
 * @param model            the base model (the large world's, models/large/base.safetensors)
 * @param classifier       its classifier
 * @param ns               the numbers of erased concepts, ascending (the first N in round-robin order)
 * @param methods          which methods erase at every N ({@link ScalingJob#METHODS})
 * @param pairsPerConcept  kept preference pairs per unsafe concept
 * @param dpo              each expert's Diffusion-DPO settings; its steps are the minimum
 * @param stepsPerConcept  each expert trains max(dpo.steps, stepsPerConcept × its erased concepts) steps
 * @param esd, uce, mace, sld  the baselines' settings (chosen on the validation half)
 * @param dataSampling     how the base model draws the preference images
 * @param evalSampling     how every model draws its test images
 * @param erasedPrompts    test prompts over all erased concepts (at least 2 per concept), each with a held-out twin prompt
 * @param benign           benign test prompts
 * @param seed             seed of data and training
 * @param filter           keep only pairs the classifier confirms (false only for untrained test models)
 * @param split            the half of the evaluation scenes scored: TEST to report, VALIDATION to choose settings on
 */
public record ScalingConfig(Path out, Path model, Path classifier, List<Integer> ns, List<String> methods, int pairsPerConcept, DpoConfig dpo,
                            int stepsPerConcept, Esd.Settings esd, Uce.Settings uce, Mace.Settings mace, SldConfig sld,
                            Generator.Settings dataSampling, Generator.Settings evalSampling, int erasedPrompts, int benign, long seed, boolean filter,
                            EvalSplit split) {
    public ScalingConfig {
        ns = List.copyOf(ns);
        methods = List.copyOf(methods);
    }
}
