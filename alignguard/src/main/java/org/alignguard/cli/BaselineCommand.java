package org.alignguard.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.baselines.BaselineFile;
import org.alignguard.baselines.Blocklist;
import org.alignguard.baselines.Erasure;
import org.alignguard.baselines.Esd;
import org.alignguard.baselines.Mace;
import org.alignguard.baselines.GuardSpec;
import org.alignguard.baselines.SldConfig;
import org.alignguard.baselines.Uce;
import org.alignguard.baselines.WeightEdit;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Erases concepts from the base model with one of the methods AlignGuard is compared against, and
 * writes the result as a baseline file that {@code evaluate --baseline}, {@code generate --baseline}
 * and the reports apply like a LoRA (docs/WALKTHROUGH.md, "Baselines").
 */
@Command(name = "baseline", description = "Erase concepts with a baseline method (esd-u, uce, mace, sld, negative-prompt, blocklist) and write it as a baseline file.")
final class BaselineCommand implements Callable<Integer> {
    static final List<String> METHODS = List.of("esd-u", "uce", "mace", "sld", "negative-prompt", "blocklist");

    @Spec CommandSpec spec;
    @Option(names = "--method", required = true, description = "esd-u, uce, mace, sld, negative-prompt or blocklist.") String method;
    @Option(names = "--concepts", split = ",", defaultValue = "all", description = "Unsafe concepts to erase, by name, or 'all' (default: ${DEFAULT-VALUE}).") List<String> concepts;
    @Option(names = "--first", paramLabel = "N", description = "Erase the first N unsafe concepts in the concept-scaling order (round robin over the categories) instead of --concepts.") Integer first;
    @Option(names = "--model", paramLabel = "CKPT", description = "Base model (default: models/base.safetensors).") Path model;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output baseline file (.safetensors).") Path out;
    @Option(names = "--force", description = "Overwrite an existing output.") boolean force;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the trained baselines (default: ${DEFAULT-VALUE}).") long seed;
    @Mixin UceOptions uce;
    @Mixin EsdOptions esd;
    @Mixin SldOptions sld;
    @Mixin MaceOptions mace;

    @Override public Integer call() throws Exception {
        if (!METHODS.contains(method)) throw new UserError("--method: unknown method '" + method + "' (use " + String.join(", ", METHODS) + ")");
        Outputs.checkWritable(out, force);
        TextToImageModel m = Outputs.model(model, "base model");
        Erasure erasure;
        try {
            erasure = first != null ? Erasure.first(m.world(), first) : Erasure.named(m.world(), concepts);
        } catch (IllegalArgumentException e) {
            throw new UserError((first != null ? "--first: " : "--concepts: ") + e.getMessage());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("command", Outputs.command(spec));
        meta.put("seed", Long.toString(seed));
        BaselineFile.Made made;
        try (Progress progress = new Progress()) {
            made = make(m, erasure, progress);
        }
        BaselineFile.save(out, made, m, meta);
        System.out.printf(java.util.Locale.ROOT, "wrote %s: %s erasing %d concept(s), %d weight tensor(s) changed, %.1f s%n",
                out, method, erasure.erased().size(), made.edit().deltas().size(), made.seconds());
        return 0;
    }

    private BaselineFile.Made make(TextToImageModel m, Erasure erasure, Progress progress) {
        return switch (method) {
            case "uce" -> Uce.erase(m, erasure, uce.settings());
            case "esd-u" -> Esd.erase(m, erasure, esd.settings(seed), progress);
            case "mace" -> Mace.erase(m, erasure, mace.settings(seed), progress);
            case "sld" -> guard(erasure, new GuardSpec(null, sld.config(), GuardSpec.chunks(erasure.names()), null), Map.of("sld", sld.config()));
            case "negative-prompt" -> guard(erasure, new GuardSpec(erasure.conceptList(), null, null, null), Map.of("negative_prompt", erasure.conceptList()));
            case "blocklist" -> guard(erasure, new GuardSpec(null, null, null, erasure.erasedPhrases()), Map.of("phrases", erasure.erasedPhrases().size()));
            default -> throw new IllegalStateException(method);
        };
    }

    private static BaselineFile.Made guard(Erasure erasure, GuardSpec spec, Map<String, Object> settings) {
        Blocklist.of(spec.blocklist());   // checks the phrases
        return new BaselineFile.Made(spec.sld() != null ? "sld" : spec.negativePrompt() != null ? "negative-prompt" : "blocklist",
                erasure, new WeightEdit(Map.of()), spec, settings, 0);
    }

    /** UCE's settings (Gandikota et al. 2024; defaults as its code, target chosen on the validation split). */
    static final class UceOptions {
        @Option(names = "--uce-target", defaultValue = "safe-twin", description = "UCE: map erased concepts onto their safe twin or the empty prompt: safe-twin or empty (default: ${DEFAULT-VALUE}).") String target;
        @Option(names = "--uce-erase-scale", defaultValue = "1.0", description = "UCE: weight of the erased concepts (default: ${DEFAULT-VALUE}).") double eraseScale;
        @Option(names = "--uce-preserve-scale", defaultValue = "0.1", description = "UCE: weight λ_p of the preserved concepts (default: ${DEFAULT-VALUE}).") double preserveScale;
        @Option(names = "--uce-lambda", defaultValue = "0.5", description = "UCE: the identity term λ (its code's lamb) (default: ${DEFAULT-VALUE}).") double lambda;
        @Option(names = "--uce-pooled", defaultValue = "true", negatable = true, fallbackValue = "true", description = "UCE: also edit the pooled-text projection text_embed (default: ${DEFAULT-VALUE}).") boolean pooled;

        Uce.Settings settings() {
            Outputs.positiveNumber("--uce-erase-scale", eraseScale);
            Outputs.finite("--uce-preserve-scale", preserveScale);
            if (preserveScale < 0) throw new UserError("--uce-preserve-scale must be >= 0, got " + preserveScale);
            Outputs.positiveNumber("--uce-lambda", lambda);
            Uce.Target t = switch (target) {
                case "safe-twin" -> Uce.Target.SAFE_TWIN;
                case "empty" -> Uce.Target.EMPTY;
                default -> throw new UserError("--uce-target must be safe-twin or empty, got '" + target + "'");
            };
            return new Uce.Settings(t, eraseScale, preserveScale, lambda, pooled);
        }
    }

    /** SLD's configuration: a published preset, each value overridable (what the validation split tunes). */
    static final class SldOptions {
        @Option(names = "--sld-config", defaultValue = "medium", description = "SLD: weak, medium, strong or max (default: ${DEFAULT-VALUE}).") String preset;
        @Option(names = "--sld-warmup", description = "SLD: warm-up δ in steps of a 50-step run (overrides the preset).") Integer warmup;
        @Option(names = "--sld-guidance-scale", description = "SLD: s_S (overrides the preset).") Float guidanceScale;
        @Option(names = "--sld-threshold", description = "SLD: λ (overrides the preset).") Float threshold;
        @Option(names = "--sld-momentum", description = "SLD: s_m (overrides the preset).") Float momentum;
        @Option(names = "--sld-momentum-beta", description = "SLD: β_m (overrides the preset).") Float beta;

        SldConfig config() {
            try {
                SldConfig p = SldConfig.preset(preset);
                boolean custom = warmup != null || guidanceScale != null || threshold != null || momentum != null || beta != null;
                if (!custom) return p;
                return new SldConfig(p.name() + "-custom", warmup != null ? warmup : p.warmupSteps(), guidanceScale != null ? guidanceScale : p.guidanceScale(),
                        threshold != null ? threshold : p.threshold(), momentum != null ? momentum : p.momentumScale(), beta != null ? beta : p.momentumBeta());
            } catch (IllegalArgumentException e) {
                throw new UserError("--sld-config: " + e.getMessage());
            }
        }
    }
}
