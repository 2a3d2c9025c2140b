package org.alignguard.baselines;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.alignguard.data.DataSplit;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.Words;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;

/**
 * MACE's prompts and which token positions of them it uses.
 *
 * <p><b>Prompt pairs.</b> MACE writes 30 prompts per concept from templates ("a photo of {concept}")
 * and the same templates with the concept's mapping ("a person wearing clothes" for nudity). Ours
 * are grammar captions on TRAIN scenes that name the concept with one of its <em>training</em>
 * synonyms (never a held-out one), and the same caption naming the safe twin, CoProV2's minimal
 * safe rewrite: {@link CaptionGrammar#captionWith} draws the same sentence from two generators in
 * the same state, so the two captions differ only in the concept phrase.
 *
 * <p><b>Positions.</b> Encoded, a caption is {@code <bos> words <eos> <pad>…}; token position
 * p + 1 holds word p. The closed-form refinement (MACE's {@code prepare_k_v}, {@code all_words=False})
 * pairs the words <em>around</em> the concept with the same words of the anchor caption: the prefix
 * ({@code <bos>} and the words before the phrase) position by position, the suffix (the words after
 * it, {@code <eos>} and the padding) right-aligned, shifted by the difference in phrase length. The
 * phrase's own positions are left out. The LoRA stage uses the opposite columns: the phrase's
 * positions plus {@code <eos>} and the padding (MACE's {@code use_pooler}).
 */
final class MacePrompts {
    /** Captions each kept concept adds to the preservation set. */
    static final int KEPT_CAPTIONS = 3;
    /** Tries to write a caption that fits the encoder's length before giving up. */
    private static final int TRIES = 100;

    private MacePrompts() {}

    /**
     * A prompt naming the concept with {@code phrase}, its anchor naming the safe twin with
     * {@code anchorPhrase}, the scene they describe, and where the phrases sit: token positions
     * [start, end) in the prompt and [start, anchorEnd) in the anchor; {@code length} is the
     * prompt's token count, {@code <bos>} and {@code <eos>} included.
     */
    record Pair(String prompt, String anchor, Scene scene, int start, int end, int anchorEnd, int length) {
        /** Finds the phrases in two captions that differ only in them; an error if they differ elsewhere. */
        static Pair of(String prompt, String phrase, String anchor, String anchorPhrase, Scene scene) {
            List<String> w = Words.split(prompt), a = Words.split(anchor), p = Words.split(phrase), q = Words.split(anchorPhrase);
            for (int at = 0; at + p.size() <= w.size() && at + q.size() <= a.size(); at++)
                if (w.subList(at, at + p.size()).equals(p) && a.subList(at, at + q.size()).equals(q)
                        && w.subList(0, at).equals(a.subList(0, at)) && w.subList(at + p.size(), w.size()).equals(a.subList(at + q.size(), a.size())))
                    return new Pair(prompt, anchor, scene, at + 1, at + 1 + p.size(), at + 1 + q.size(), w.size() + 2);
            throw new IllegalArgumentException("'" + prompt + "' and '" + anchor + "' do not differ only in '" + phrase + "' / '" + anchorPhrase + "'");
        }

        /**
         * The aligned positions {i, j} of the surrounding words: prompt position i, anchor position
         * j, for {@code maxLen} tokens. Prefix: i = j < start. Suffix: i ≥ end, j = i + (anchorEnd − end),
         * both inside the sequence. The phrase's positions [start, end) are not in it.
         */
        int[][] surrounding(int maxLen) {
            List<int[]> out = new ArrayList<>();
            for (int i = 0; i < start; i++) out.add(new int[] {i, i});
            for (int i = end; i < maxLen; i++) {
                int j = i + anchorEnd - end;
                if (j >= 0 && j < maxLen) out.add(new int[] {i, j});
            }
            return out.toArray(int[][]::new);
        }

        /** The key columns MACE's attention loss reads: the phrase's positions, then {@code <eos>} and the padding. */
        int[] conceptColumns(int maxLen) {
            List<Integer> out = new ArrayList<>();
            for (int i = start; i < end; i++) out.add(i);
            for (int i = length - 1; i < maxLen; i++) out.add(i);
            return out.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /**
     * {@code n} pairs for {@code concept}: TRAIN scenes, its training synonyms in turn against its
     * safe twin's, every caption short enough that nothing is cut at {@code maxLen} tokens.
     */
    static List<Pair> pairs(World world, Concept concept, Concept twin, int n, long seed, int maxLen) {
        PromptWriter writer = new PromptWriter(world);
        CaptionGrammar grammar = new CaptionGrammar(world);
        List<String> phrases = Erasure.trainingPhrases(concept), anchors = Erasure.trainingPhrases(twin);
        List<Pair> out = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            Rng rng = new Rng((seed * 1_000_003L + concept.index()) * 1_000_033L + k);
            String phrase = phrases.get(k % phrases.size()), anchorPhrase = anchors.get(k % anchors.size());
            Pair pair = null;
            for (int tries = 0; pair == null || pair.length > maxLen || pair.length + pair.anchorEnd - pair.end > maxLen; tries++) {
                if (tries == TRIES) throw new IllegalStateException("no caption naming '" + phrase + "' fits the text encoder's " + maxLen + " tokens");
                Scene scene = writer.scene(rng, DataSplit.TRAIN, null).withConcept(concept.index());
                long template = rng.nextInt();
                // Two generators in the same state: the same sentence, only the concept phrase differs.
                String prompt = grammar.captionWith(scene, new Rng(template), phrase);
                String anchor = grammar.captionWith(scene.withConcept(twin.index()), new Rng(template), anchorPhrase);
                pair = Pair.of(prompt, phrase, anchor, anchorPhrase, scene);
            }
            out.add(pair);
        }
        return out;
    }

    /**
     * The prompts of MACE's preservation cache, our analogue of its COCO captions: {@code benign}
     * grammar captions on TRAIN scenes without a concept, every phrase a method must keep
     * ({@link Erasure#preservedPhrases}), and {@link #KEPT_CAPTIONS} captions of every kept concept
     * (the unsafe ones not erased and every safe twin) with its training synonyms.
     */
    static List<String> preservation(Erasure erasure, int benign, long seed) {
        World world = erasure.world();
        PromptWriter writer = new PromptWriter(world);
        CaptionGrammar grammar = new CaptionGrammar(world);
        Set<String> out = new LinkedHashSet<>();
        Rng rng = new Rng(seed ^ 0xCAC4EL);
        for (int i = 0; i < benign; i++) out.add(grammar.captionWith(writer.scene(rng, DataSplit.TRAIN, null), rng, null));
        out.addAll(erasure.preservedPhrases());
        for (Concept c : erasure.kept()) {
            List<String> phrases = Erasure.trainingPhrases(c);
            for (int i = 0; i < KEPT_CAPTIONS; i++)
                out.add(grammar.captionWith(writer.scene(rng, DataSplit.TRAIN, null).withConcept(c.index()), rng, phrases.get(i % phrases.size())));
        }
        return List.copyOf(out);
    }
}
