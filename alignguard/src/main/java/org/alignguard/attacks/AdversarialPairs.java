package org.alignguard.attacks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.alignguard.data.PreferenceSet;
import org.alignguard.data.PromptPair;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Renderer;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * Adversarial Diffusion-DPO (AdvUnlearn-style, beyond the paper): what the attacks found against a
 * model becomes training signal for the experts. Each finding is carried into training scenes of its
 * concept, and each such scene becomes one extra preference pair:
 * <pre>
 *   condition c_adv  the attack's way in, on the training scene:
 *                      textual inversion   the scene's caption with the learned pseudo-word v* where the concept would stand
 *                      white-/black-box    the found tokens before the scene's caption without its concept clause
 *   loser  x^l       the base model's image of the scene with the mark (the pair's own loser)
 *   winner x^w       the scene without any mark, rendered (what the prompt's words describe)
 * </pre>
 * The winner is a render of the bare scene, not the safe twin's image: an adversarial prompt names
 * no twin, and teaching it to draw the twin's mark would cost benign fidelity. The learned
 * pseudo-words are returned so the trainer's text encoder can read them.
 *
 * @param pairs       the extra pairs (scenes and losers from the preference data)
 * @param pseudoWords the learned words the conditions use, with their embeddings
 * @param perAttack   how many pairs each attack gave
 */
public record AdversarialPairs(PreferenceSet pairs, Map<String, Tensor> pseudoWords, Map<String, Integer> perAttack) {
    /** The attack files a findings folder may hold, {@code <folder>/<attack>.json}. */
    public static List<Path> files(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) throw new IOException("no attack findings folder at " + folder + " (made by 'alignguard attack --out DIR': DIR/MODEL)");
        List<Path> out = new ArrayList<>();
        for (String a : Attack.NAMES) if (Files.isRegularFile(folder.resolve(a + ".json"))) out.add(folder.resolve(a + ".json"));
        if (out.isEmpty()) throw new IOException(folder + " holds no attack findings (" + String.join(", ", Attack.NAMES) + ".json)");
        return out;
    }

    /**
     * The adversarial pairs of the findings in {@code files} whose concept has pairs in {@code data}
     * (the category being trained): {@code scenes} training scenes per finding, drawn with {@code seed}.
     */
    public static AdversarialPairs build(World world, PreferenceSet data, List<Path> files, int scenes, long seed) throws IOException {
        if (scenes <= 0) throw new IllegalArgumentException("scenes per finding must be positive, got " + scenes);
        CaptionGrammar grammar = new CaptionGrammar(world);
        SynonymFilter filter = new SynonymFilter(world);
        int size = data.size() == 0 ? Renderer.DEFAULT_SIZE : data.losers().dim(2);
        Renderer renderer = new Renderer(world, size);
        List<PromptPair> pairs = new ArrayList<>();
        List<Integer> loserRows = new ArrayList<>();
        List<Scene> bare = new ArrayList<>();
        Map<String, Tensor> words = new TreeMap<>();
        Map<String, Integer> perAttack = new TreeMap<>();
        Map<String, List<Integer>> rowsOf = new java.util.HashMap<>();   // the data's pairs of each concept
        for (int i = 0; i < data.size(); i++) rowsOf.computeIfAbsent(data.pairs().get(i).unsafeConcept(), k -> new ArrayList<>()).add(i);
        // Every attack names a concept's learned word alike ("pseudo3"): a word that an earlier file
        // already used gets its own name here ("pseudo3v2", ...), or a later round's embedding would
        // stand in for an earlier one's. One folder trains exactly as before.
        Map<String, Integer> filesUsing = new java.util.HashMap<>();
        for (Path file : files) {
            String attack = file.getFileName().toString().replaceFirst("\\.json$", "");
            Map<String, String> named = new java.util.HashMap<>();   // this file's words -> their names in training
            for (Found f : AttackJob.findings(file)) {
                List<Integer> own = rowsOf.get(f.concept());
                if (own == null) continue;   // another category's concept
                String prefix = f.pseudoWords().isEmpty() ? prefix(world, f) : null;
                if (f.pseudoWords().isEmpty() && prefix == null) continue;   // not a prefix of its case's caption: nothing to carry over
                f.pseudoWords().forEach((w, v) -> words.put(named.computeIfAbsent(w, k -> uniqueName(k, filesUsing)), Tensor.of(v, v.length)));
                Rng rng = new Rng(AttackCase.mix(AttackCase.mix(seed, f.seed()), (f.concept() + "/" + attack).hashCode()));
                for (int k = 0; k < scenes; k++) {
                    int row = own.get(rng.nextInt(own.size()));
                    PromptPair p = data.pairs().get(row);
                    // [0]: the caption with the pseudo-word as its concept phrase; [1]: the same without the concept clause
                    String[] caption = AttackCase.pair(grammar, p.scene(), rng.nextInt(), prefix == null ? named.get(f.pseudoWords().keySet().iterator().next()) : "x");
                    String condition = prefix == null ? caption[0] : prefix + " " + caption[1];
                    pairs.add(new PromptPair("adv-" + attack + "-" + f.concept() + "@" + f.seed() + "-" + k, p.category(), p.unsafeConcept(), p.safeConcept(),
                            p.scene(), filter.check(condition), caption[1]));
                    loserRows.add(row);
                    bare.add(p.scene().withoutMark());
                }
                perAttack.merge(attack, scenes, Integer::sum);
            }
        }
        if (pairs.isEmpty()) return new AdversarialPairs(new PreferenceSet(List.of(), empty(size), empty(size)), words, perAttack);
        Tensor losers = data.select(loserRows).losers();
        return new AdversarialPairs(new PreferenceSet(pairs, renderer.renderBatch(bare), losers), words, perAttack);
    }

    /** {@code word} for the first file that uses it, then "wordv2", "wordv3", ... */
    static String uniqueName(String word, Map<String, Integer> filesUsing) {
        int n = filesUsing.merge(word, 1, Integer::sum);
        return n == 1 ? word : word + "v" + n;
    }

    /** The tokens a white- or black-box attack put before its case's caption; null when the prompt is not built so. */
    static String prefix(World world, Found f) {
        AttackCase c = AttackCase.of(world, world.concept(f.concept()), f.seed());
        String neutral = c.neutralPrompt();
        if (!f.prompt().endsWith(neutral) || f.prompt().length() == neutral.length()) return null;
        return f.prompt().substring(0, f.prompt().length() - neutral.length()).trim();
    }

    private static Tensor empty(int size) {
        return Tensor.zeros(0, 3, size, size);
    }
}
