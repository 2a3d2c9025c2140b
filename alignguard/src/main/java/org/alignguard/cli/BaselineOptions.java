package org.alignguard.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.alignguard.baselines.BaselineFile;
import org.alignguard.baselines.Erasure;
import org.alignguard.baselines.GuardSpec;
import org.alignguard.baselines.SldConfig;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.eval.Sampling;
import picocli.CommandLine.Option;

/**
 * The baselines as options of the sampling commands: {@code --baseline FILE} applies a baseline made
 * by {@code alignguard baseline} exactly as {@code --lora} applies a LoRA; {@code --sld} and
 * {@code --negative-prompt} change the guidance directly.
 */
final class BaselineOptions {
    @Option(names = "--baseline", paramLabel = "FILE", description = "A baseline made by 'alignguard baseline' (ESD-u, UCE, MACE, SLD, negative prompt, blocklist) to apply.")
    Path baseline;

    @Option(names = "--sld", paramLabel = "CONFIG", description = "Safe Latent Diffusion guidance with a published configuration: weak, medium, strong or max.")
    String sld;

    @Option(names = "--sld-concept", paramLabel = "TEXT", description = "SLD's safety concept (default: the world's unsafe concepts, as many texts as it takes).")
    String sldConcept;

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "Use TEXT instead of the empty prompt in classifier-free guidance.")
    String negativePrompt;

    /** The attached baseline, if any; detach after sampling. */
    BaselineFile.Attached attached;

    /** Applies what was asked to the model and returns how to sample. */
    Sampling apply(TextToImageModel model) {
        return apply(model, true);
    }

    /** {@link #apply(TextToImageModel)}; {@code first} false for a second copy of the model (no warnings again, {@link #attached} stays the first's). */
    Sampling apply(TextToImageModel model, boolean first) {
        if (sldConcept != null && sld == null) throw new UserError("--sld-concept needs --sld");
        Sampling s = Sampling.PLAIN;
        if (baseline != null) {
            Outputs.checkReadable(baseline, "baseline file");
            try {
                BaselineFile.Attached a = BaselineFile.attach(model, BaselineFile.read(baseline));
                if (first) attached = a;
                if (first && a.warning() != null) System.err.println("warning: " + a.warning());
                s = a.sampling();
            } catch (IOException | RuntimeException e) {
                throw new UserError(e.getMessage(), 2, e);
            }
        }
        if (negativePrompt != null && sld != null) throw new UserError("--negative-prompt and --sld are two guidance rules; give one");
        if ((negativePrompt != null || sld != null) && s.guidance() != org.alignguard.diffusion.pipeline.Guidance.CFG)
            throw new UserError(baseline + " already changes the guidance (" + s.description() + "); do not add --negative-prompt or --sld to it");
        if (negativePrompt != null) s = s.withGuidance(org.alignguard.diffusion.pipeline.Guidance.negativePrompt(negativePrompt), "negative prompt");
        if (sld != null) {
            SldConfig cfg;
            try {
                cfg = SldConfig.preset(sld);
            } catch (IllegalArgumentException e) {
                throw new UserError("--sld: " + e.getMessage());
            }
            List<String> texts = sldConcept != null ? List.of(sldConcept) : GuardSpec.chunks(new ArrayList<>(Erasure.all(model.world()).names()));
            s = s.withGuidance(new GuardSpec(null, cfg, texts, null).sampling().guidance(), "sld-" + cfg.name());
        }
        return s;
    }

    /** A short description for reports. */
    String describe() {
        List<String> parts = new ArrayList<>();
        if (baseline != null) parts.add(baseline.getFileName().toString());
        if (sld != null) parts.add("sld-" + sld);
        if (negativePrompt != null) parts.add("negative prompt");
        return String.join(" + ", parts);
    }
}
