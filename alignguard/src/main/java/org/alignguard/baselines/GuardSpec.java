package org.alignguard.baselines;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.diffusion.pipeline.Guidance;
import org.alignguard.diffusion.world.Words;
import org.alignguard.eval.Sampling;

/**
 * The part of a baseline that acts while sampling, not in the weights: a negative prompt, Safe
 * Latent Diffusion's guidance, or a blocklist that refuses prompts. Each field is null (or empty)
 * when unused. It is stored as JSON in a baseline file's metadata.
 *
 * @param negativePrompt replaces the empty prompt of classifier-free guidance
 * @param sld            SLD's settings, with {@code safetyTexts}
 * @param safetyTexts    SLD's safety concept, split into texts the text encoder can read whole
 * @param blocklist      phrases: a prompt that contains one (as whole words, any case) is refused
 */
public record GuardSpec(String negativePrompt, SldConfig sld, List<String> safetyTexts, List<String> blocklist) {
    /** The most words our text encoder reads in one prompt (24 tokens, less <bos> and <eos>). */
    public static final int MAX_WORDS = 22;

    public GuardSpec {
        safetyTexts = safetyTexts == null ? List.of() : List.copyOf(safetyTexts);
        blocklist = blocklist == null ? List.of() : List.copyOf(blocklist);
        if (sld != null && safetyTexts.isEmpty()) throw new IllegalArgumentException("SLD needs a safety concept text");
    }

    public static final GuardSpec NONE = new GuardSpec(null, null, List.of(), List.of());

    public boolean isNone() {
        return negativePrompt == null && sld == null && blocklist.isEmpty();
    }

    /** How images are drawn under this spec. */
    public Sampling sampling() {
        Sampling s = Sampling.PLAIN;
        if (negativePrompt != null) s = s.withGuidance(Guidance.negativePrompt(negativePrompt), "negative prompt");
        if (sld != null) s = s.withGuidance(new SafeLatentDiffusion(sld, safetyTexts), "sld-" + sld.name());
        if (!blocklist.isEmpty()) s = s.withFilter(Blocklist.of(blocklist), "blocklist");
        return s;
    }

    /**
     * Comma-separated lists of {@code phrases}, each short enough ({@link #MAX_WORDS} words) for the
     * text encoder to read whole.
     */
    public static List<String> chunks(List<String> phrases) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int words = 0;
        for (String p : phrases) {
            int w = Words.split(p).size();
            if (words > 0 && words + w > MAX_WORDS) {
                out.add(cur.toString());
                cur.setLength(0);
                words = 0;
            }
            if (words > 0) cur.append(", ");
            cur.append(p);
            words += w;
        }
        if (words > 0) out.add(cur.toString());
        return out;
    }
}
