package org.alignguard.dpo;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.diffusion.world.Words;
import org.alignguard.tensor.Rng;

/**
 * Training prompts made less regular, so an expert learns its concept and not the caption grammar:
 * users write words the vocabulary does not know ("please draw me a lovely ..."), which the tokenizer
 * reads as {@code <unk>}, and leave out the grammar's small words. With probability p a prompt gets
 * 1–4 unknown words at random places and loses each of its grammar words with probability 1/3.
 * The unknown words are nonsense on purpose: the model sees them all as the same {@code <unk>}
 * token, and no phrasing of the evaluation's out-of-grammar sets is used.
 */
public final class PromptNoise {
    /** A word no world's vocabulary has: the tokenizer reads it as {@code <unk>}. */
    static final String UNKNOWN = "qzxv";

    private PromptNoise() {}

    public static String apply(String prompt, double p, java.util.Set<String> grammarWords, Rng rng) {
        if (p <= 0 || prompt.isEmpty() || rng.nextDouble() >= p) return prompt;
        List<String> words = new ArrayList<>();
        for (String w : Words.split(prompt)) if (!grammarWords.contains(w) || rng.nextInt(3) != 0) words.add(w);
        int extra = 1 + rng.nextInt(4);
        for (int i = 0; i < extra; i++) words.add(rng.nextInt(words.size() + 1), UNKNOWN);
        return String.join(" ", words);
    }
}
