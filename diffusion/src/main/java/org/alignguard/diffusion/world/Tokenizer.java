package org.alignguard.diffusion.world;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A word-level tokenizer over the world's vocabulary. Text is cut into words by {@link Words}
 * (lower case, punctuation dropped); each word becomes its id, or {@code <unk>} if it is not in the
 * vocabulary, so encoding never fails. A sequence is {@code <bos> words… <eos>} padded with
 * {@code <pad>} to a fixed length; the empty prompt (the unconditional one) is {@code <bos> <eos>}.
 *
 * <p>The vocabulary is the four special tokens followed by the words in sorted order, so the same
 * world always gives the same ids. It is saved as a text file, one token per line, so a checkpoint
 * can carry it.
 */
public final class Tokenizer {
    public static final String PAD = "<pad>", BOS = "<bos>", EOS = "<eos>", UNK = "<unk>";
    public static final int PAD_ID = 0, BOS_ID = 1, EOS_ID = 2, UNK_ID = 3;
    private static final List<String> SPECIALS = List.of(PAD, BOS, EOS, UNK);

    /** A fixed-length encoding: {@code ids} padded to maxLen, and how many are real tokens (bos and eos included). */
    public record Encoding(int[] ids, int length) {
        /** 1 for real tokens, 0 for padding: what attention uses to ignore the padding. */
        public float[] attentionMask() {
            float[] m = new float[ids.length];
            Arrays.fill(m, 0, length, 1f);
            return m;
        }
    }

    private final List<String> tokens;
    private final Map<String, Integer> ids = new HashMap<>();

    private Tokenizer(List<String> tokens) {
        this.tokens = List.copyOf(tokens);
        for (int i = 0; i < tokens.size(); i++) {
            if (ids.put(tokens.get(i), i) != null) throw new IllegalArgumentException("token '" + tokens.get(i) + "' appears twice in the vocabulary");
        }
    }

    /** The tokenizer for a world: every word of the world file and of the caption templates. */
    public static Tokenizer forWorld(World world) {
        return fromWords(new CaptionGrammar(world).allWords());
    }

    /** A tokenizer over {@code words} (sorted here; the special tokens come first). */
    public static Tokenizer fromWords(Collection<String> words) {
        List<String> all = new ArrayList<>(SPECIALS);
        for (String w : new TreeSet<>(words)) {
            if (!w.equals(Words.normalize(w)) || w.contains(" "))
                throw new IllegalArgumentException("'" + w + "' is not a single lower-case word");
            all.add(w);
        }
        return new Tokenizer(all);
    }

    /** Reads a vocabulary saved by {@link #save}. */
    public static Tokenizer load(Path file) throws IOException {
        return fromLines(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    /** A vocabulary given as its tokens in id order (the saved file's lines). */
    public static Tokenizer fromLines(List<String> lines) {
        List<String> tokens = new ArrayList<>(lines);
        while (!tokens.isEmpty() && tokens.getLast().isEmpty()) tokens.removeLast(); // a trailing newline
        if (tokens.size() < SPECIALS.size() || !tokens.subList(0, SPECIALS.size()).equals(SPECIALS))
            throw new IllegalArgumentException("a vocabulary must start with the lines " + String.join(", ", SPECIALS));
        for (String t : tokens.subList(SPECIALS.size(), tokens.size()))
            if (t.isEmpty() || !t.equals(Words.normalize(t)) || t.contains(" "))
                throw new IllegalArgumentException("bad vocabulary line '" + t + "': expected one lower-case word");
        return new Tokenizer(tokens);
    }

    /** Writes the vocabulary, one token per line in id order. */
    public void save(Path file) throws IOException {
        Files.write(file, tokens, StandardCharsets.UTF_8);
    }

    public int size() { return tokens.size(); }

    /** The tokens in id order. */
    public List<String> vocabulary() { return tokens; }

    /** The id of one word (after lower-casing), or {@link #UNK_ID}. */
    public int id(String word) {
        return ids.getOrDefault(Words.normalize(word), UNK_ID);
    }

    public String token(int id) { return tokens.get(id); }

    /** The ids of the prompt's words, without bos/eos/padding. */
    public int[] wordIds(String text) {
        return Words.split(text).stream().mapToInt(w -> ids.getOrDefault(w, UNK_ID)).toArray();
    }

    /**
     * {@code <bos> words <eos>} padded with {@code <pad>} to {@code maxLen}. A prompt too long for
     * {@code maxLen} keeps its first {@code maxLen - 2} words and still ends with {@code <eos>}.
     */
    public Encoding encode(String text, int maxLen) {
        if (maxLen < 2) throw new IllegalArgumentException("maxLen must be at least 2 (for <bos> and <eos>), got " + maxLen);
        int[] words = wordIds(text);
        int n = Math.min(words.length, maxLen - 2);
        int[] out = new int[maxLen]; // filled with PAD_ID = 0
        out[0] = BOS_ID;
        System.arraycopy(words, 0, out, 1, n);
        out[n + 1] = EOS_ID;
        return new Encoding(out, n + 2);
    }

    /** The words of an encoding, without special tokens (unknown words show as {@code <unk>}). */
    public String decode(int[] encoded) {
        StringBuilder sb = new StringBuilder();
        for (int id : encoded) {
            if (id == PAD_ID || id == BOS_ID || id == EOS_ID) continue;
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(id >= 0 && id < tokens.size() ? tokens.get(id) : UNK);
        }
        return sb.toString();
    }
}
