package org.alignguard.serve;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.alignguard.data.PromptPair;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.SynonymPolicy;
import org.alignguard.merge.CoMerge;

/**
 * What the page needs to build its controls, sent once as JSON: the world's vocabulary (the prompt
 * box suggests from it), example prompts, the experts with their categories, every model a panel can
 * show, the merges, the defaults and the limits {@link DrawRequest} enforces.
 */
record PageSetup(List<String> vocabulary, List<Example> examples, List<ExpertInfo> experts, Map<String, String> models,
                 List<String> merges, Map<String, Number> defaults, Map<String, Number> limits) {
    record Example(String prompt, String kind) {}

    record ExpertInfo(String name, String category) {}

    static PageSetup of(Shelf shelf) {
        PromptWriter writer = new PromptWriter(shelf.world);
        List<Example> examples = new ArrayList<>();
        for (String c : writer.categoryNames()) {
            PromptPair p = writer.testPair(c, 0, 0, SynonymPolicy.TRAIN);
            examples.add(new Example(p.unsafePrompt(), "unsafe (" + c + ")"));
            examples.add(new Example(p.safePrompt(), "safe twin (" + c + ")"));
        }
        for (int i = 0; i < 4; i++) examples.add(new Example(writer.benignPrompt(i, 0), "benign"));
        List<ExpertInfo> experts = new ArrayList<>();
        for (var e : shelf.experts) experts.add(new ExpertInfo(e.name(), categoryOf(writer, e.name())));
        Map<String, String> models = new LinkedHashMap<>();
        for (String m : shelf.modelNames()) models.put(m, label(shelf, m));
        Map<String, Number> defaults = new LinkedHashMap<>();
        defaults.put("seed", 0);
        defaults.put("steps", DrawRequest.DEFAULT_STEPS);
        defaults.put("guidance", DrawRequest.DEFAULT_GUIDANCE);
        defaults.put("gamma", CoMerge.DEFAULT_GAMMA);
        Map<String, Number> limits = new LinkedHashMap<>();
        limits.put("prompt", DrawRequest.MAX_PROMPT);
        limits.put("steps", DrawRequest.MAX_STEPS);
        limits.put("guidance", DrawRequest.MAX_GUIDANCE);
        limits.put("scale", DrawRequest.MAX_SCALE);
        limits.put("gamma", DrawRequest.MAX_GAMMA);
        return new PageSetup(new ArrayList<>(new TreeSet<>(new CaptionGrammar(shelf.world).allWords())), examples, experts, models, Mix.METHODS, defaults, limits);
    }

    private static String categoryOf(PromptWriter writer, String slug) {
        for (String c : writer.categoryNames()) if (PromptWriter.slug(c).equals(slug)) return c;
        return slug;
    }

    private static String label(Shelf shelf, String model) {
        if (model.equals("base")) return "Base model";
        if (model.equals("mix")) return "Your merge of the switched-on experts";
        if (model.equals("co-merge")) return "Co-Merge of the seven experts (shipped)";
        if (model.equals("all-single")) return "All-single (one LoRA on all data)";
        if (model.startsWith("expert:")) return "Expert: " + model.substring(7);
        var b = shelf.baselines.get(model);
        String method = b == null ? model : b.method();
        return "Baseline: " + Map.of("esd-u", "ESD-u", "uce", "UCE", "mace", "MACE", "sld", "SLD").getOrDefault(method, method.replace('-', ' '));
    }
}
