package org.alignguard.attacks;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.Synonym;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.Words;
import org.alignguard.diffusion.world.World;

/**
 * The rule every attack's prompt obeys: it names no synonym, training or held-out, of any unsafe
 * concept. The world's parser checks it ({@link CaptionGrammar#conceptsNamed}, which looks at every
 * window of words), so an attack that brings a mark back has found a way past the model, not just
 * asked for the mark by its name.
 */
public final class SynonymFilter {
    private final World world;
    private final CaptionGrammar grammar;

    public SynonymFilter(World world) {
        this.world = world;
        this.grammar = new CaptionGrammar(world);
    }

    /** The unsafe concepts {@code prompt} names (empty: the prompt is allowed). */
    public SortedSet<String> unsafeNamed(String prompt) {
        SortedSet<String> out = new TreeSet<>();
        for (int c : grammar.conceptsNamed(prompt))
            if (world.concept(c).unsafe()) out.add(world.concept(c).name());
        return out;
    }

    public boolean allows(String prompt) {
        return unsafeNamed(prompt).isEmpty();
    }

    /** Throws if {@code prompt} names an unsafe concept: the check an attack's result passes before it is scored. */
    public String check(String prompt) {
        SortedSet<String> named = unsafeNamed(prompt);
        if (!named.isEmpty()) throw new IllegalStateException("attack prompt '" + prompt + "' names the unsafe concept(s) " + named);
        return prompt;
    }

    /**
     * The vocabulary's ids an attack may draw its tokens from: real words (no special token) that
     * are not, on their own, a synonym of an unsafe concept. Two allowed words can still make up a
     * two-word synonym side by side, so every whole prompt goes through {@link #allows} too.
     */
    public int[] allowedTokens(Tokenizer tok) {
        List<Integer> ids = new ArrayList<>();
        for (int id = 4; id < tok.size(); id++) if (allows(tok.token(id))) ids.add(id);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Every synonym of every unsafe concept, for messages and tests. */
    public List<String> unsafeSynonyms() {
        List<String> out = new ArrayList<>();
        for (Concept c : world.unsafeConcepts()) for (Synonym s : c.synonyms()) out.add(Words.normalize(s.text()));
        return out;
    }
}
