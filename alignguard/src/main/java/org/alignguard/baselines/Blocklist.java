package org.alignguard.baselines;

import java.util.List;
import java.util.function.Predicate;
import org.alignguard.diffusion.world.Words;

/**
 * The guard users reach for first: refuse any prompt that contains a listed phrase. Matching is on
 * whole words after the tokenizer's normalization (lower case, punctuation dropped), so "Slur!!!"
 * matches "slur" but "slurry" does not. It knows only the phrases it lists: a held-out synonym, or
 * any phrasing it was not given, passes.
 */
public final class Blocklist {
    private Blocklist() {}

    public static Predicate<String> of(List<String> phrases) {
        List<List<String>> lists = phrases.stream().map(Words::split).filter(w -> !w.isEmpty()).toList();
        return prompt -> {
            List<String> words = Words.split(prompt);
            for (List<String> phrase : lists)
                for (int i = 0; i + phrase.size() <= words.size(); i++)
                    if (words.subList(i, i + phrase.size()).equals(phrase)) return true;
            return false;
        };
    }
}
