package org.alignguard.diffusion.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How text is cut into words, shared by the caption parser and the tokenizer so both see the same
 * words: lower-case, every character that is not a letter or digit becomes a space ("Top-Left!"
 * gives "top", "left"). It never fails; {@code null} counts as the empty text.
 */
public final class Words {
    private Words() {}

    public static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        if (text == null) return out;
        StringBuilder word = new StringBuilder();
        String lower = text.toLowerCase(Locale.ROOT);
        for (int i = 0; i < lower.length(); ) {
            int cp = lower.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetterOrDigit(cp)) word.appendCodePoint(cp);
            else if (!word.isEmpty()) { out.add(word.toString()); word.setLength(0); }
        }
        if (!word.isEmpty()) out.add(word.toString());
        return out;
    }

    /** The words of {@code text} joined by single spaces: the canonical form of a phrase. */
    public static String normalize(String text) {
        return String.join(" ", split(text));
    }
}
