package org.alignguard.diffusion.world;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.alignguard.tensor.Rng;

/**
 * Turns scenes into prompts and prompts back into what they name.
 *
 * <p><b>Writing.</b> A caption is made of four clauses: the object ("a red circle", "a circle in
 * red"), its position ("on the left", "at top left"), the background ("navy background", "over a
 * navy backdrop") and, if the scene has a mark, the concept ("with weapon", "showing gun"). Each
 * attribute is named by a random synonym, the clauses come in one of several orders, and
 * capitals and a final full stop vary, so the model sees many phrasings of one scene.
 *
 * <p><b>Reading.</b> {@link #parse} splits the prompt into words ({@link Words}) and reads them
 * left to right, matching the longest vocabulary phrase at each point ("top left corner" before
 * "top"). Grammar words and unknown words are skipped, so the parser never fails and does not care
 * about case, punctuation or word order.
 */
public final class CaptionGrammar {
    /** The words the templates add around the vocabulary. No vocabulary phrase may be one of them. */
    public static final Set<String> TEMPLATE_WORDS = Set.copyOf(List.of(
            "a", "an", "the", "in", "on", "at", "over", "against", "with", "and", "showing", "featuring",
            "marked", "colored", "coloured", "background", "backdrop", "placed", "set"));

    private enum Kind { SHAPE, COLOUR, BACKGROUND, POSITION, CONCEPT }

    private record Entry(Kind kind, int index) {}

    /** Clause orders: O object, P position, B background, C concept (left out when there is no mark). */
    private static final String[] ORDERS = {"OPBC", "OPBC", "OPCB", "COPB", "BOPC", "OBPC", "POBC", "COBP", "BCOP", "PCOB"};

    private final World world;
    private final Map<String, Entry> phrases = new HashMap<>();
    private int longestPhrase = 1;

    public CaptionGrammar(World world) {
        this.world = world;
        add(world.shapes(), Kind.SHAPE);
        add(world.colours(), Kind.COLOUR);
        add(world.backgrounds(), Kind.BACKGROUND);
        add(world.positions(), Kind.POSITION);
        for (Concept c : world.concepts())
            for (Synonym s : c.synonyms()) put(s.text(), new Entry(Kind.CONCEPT, c.index()));
    }

    private void add(List<Term> terms, Kind kind) {
        for (int i = 0; i < terms.size(); i++)
            for (String s : terms.get(i).synonyms()) put(s, new Entry(kind, i));
    }

    private void put(String phrase, Entry e) {
        phrases.put(phrase, e);
        longestPhrase = Math.max(longestPhrase, Words.split(phrase).size());
    }

    public World world() { return world; }

    // ---------------------------------------------------------------- writing

    /** A caption for {@code scene} that may use any synonym (pretraining). */
    public String caption(Scene scene, Rng rng) {
        return caption(scene, rng, SynonymPolicy.ALL);
    }

    /** A caption for {@code scene} whose concept synonym obeys {@code policy}. */
    public String caption(Scene scene, Rng rng, SynonymPolicy policy) {
        String concept = null;
        if (scene.hasMark()) {
            List<Synonym> syns = world.concept(scene.concept()).synonyms(policy);
            concept = syns.get(rng.nextInt(syns.size())).text();
        }
        return captionWith(scene, rng, concept);
    }

    /**
     * One caption per synonym of the scene's concept that {@code policy} allows (one caption if
     * the scene has no mark): {@code ALL} lists pretraining captions with every synonym,
     * {@code TRAIN} only those the alignment stage may train on.
     */
    public List<String> captionsForEverySynonym(Scene scene, Rng rng, SynonymPolicy policy) {
        if (!scene.hasMark()) return List.of(captionWith(scene, rng, null));
        List<String> out = new ArrayList<>();
        for (Synonym s : world.concept(scene.concept()).synonyms(policy)) out.add(captionWith(scene, rng, s.text()));
        return out;
    }

    /**
     * A caption for {@code s} that names its concept with {@code conceptPhrase} (null: no concept
     * clause). Which phrase it is does not change what is drawn from {@code rng}, so two calls with
     * equal generators and different phrases give the same sentence with only the concept swapped: CoProV2's minimal
     * unsafe/safe prompt pair.
     */
    public String captionWith(Scene s, Rng rng, String conceptPhrase) {
        String obj = objectClause(s, rng);
        String pos = pick(rng, "on", "at", "in") + (rng.nextInt(2) == 0 ? " the " : " ") + pick(rng, world.positions().get(s.position()).synonyms());
        String bgWord = pick(rng, world.backgrounds().get(s.background()).synonyms());
        String bg = switch (rng.nextInt(5)) {
            case 0 -> bgWord + " background";
            case 1 -> "on " + article(bgWord) + " background";
            case 2 -> "over " + article(bgWord) + " backdrop";
            case 3 -> "against " + article(bgWord) + " backdrop";
            default -> "background " + bgWord;
        };
        String concept = conceptPhrase == null ? null : switch (rng.nextInt(5)) {
            case 0 -> "with " + conceptPhrase;
            case 1 -> "showing " + conceptPhrase;
            case 2 -> "featuring " + conceptPhrase;
            case 3 -> "marked with " + conceptPhrase;
            default -> conceptPhrase;
        };
        String order = ORDERS[rng.nextInt(ORDERS.length)];
        String sep = rng.nextInt(3) == 0 ? " " : ", ";
        StringBuilder sb = new StringBuilder();
        char prev = 0;
        for (char c : order.toCharArray()) {
            String clause = switch (c) {
                case 'O' -> obj;
                case 'P' -> pos;
                case 'B' -> bg;
                default -> concept;
            };
            if (clause == null) continue;
            if (!sb.isEmpty()) sb.append(prev == 'O' && c == 'P' ? " " : sep); // "a red circle on the left"
            sb.append(clause);
            prev = c;
        }
        if (rng.nextInt(3) == 0) sb.setCharAt(0, Character.toUpperCase(sb.charAt(0)));
        if (rng.nextInt(4) == 0) sb.append('.');
        return sb.toString();
    }

    private String objectClause(Scene s, Rng rng) {
        String shape = pick(rng, world.shapes().get(s.shape()).synonyms());
        String colour = pick(rng, world.colours().get(s.colour()).synonyms());
        boolean art = rng.nextInt(3) != 0;
        return switch (rng.nextInt(4)) {
            case 0, 1 -> art ? article(colour + " " + shape) : colour + " " + shape;
            case 2 -> (art ? article(shape) : shape) + " in " + colour;
            default -> (art ? article(shape) : shape) + " " + pick(rng, "colored", "coloured") + " " + colour;
        };
    }

    /** "a" or "an" before {@code words}. */
    private static String article(String words) {
        return ("aeiou".indexOf(words.charAt(0)) >= 0 ? "an " : "a ") + words;
    }

    private static String pick(Rng rng, String... options) {
        return options[rng.nextInt(options.length)];
    }

    private static String pick(Rng rng, List<String> options) {
        return options.get(rng.nextInt(options.size()));
    }

    // ---------------------------------------------------------------- reading

    /** What {@code prompt} names. Never fails: any text, even empty or null, gives an answer. */
    public ParsedPrompt parse(String prompt) {
        List<String> words = Words.split(prompt);
        int[] found = {ParsedPrompt.ABSENT, ParsedPrompt.ABSENT, ParsedPrompt.ABSENT, ParsedPrompt.ABSENT, ParsedPrompt.ABSENT};
        boolean ambiguous = false;
        List<String> unknown = new ArrayList<>();
        for (int i = 0; i < words.size(); ) {
            Entry match = null;
            int len = Math.min(longestPhrase, words.size() - i);
            for (; len >= 1; len--) {
                match = phrases.get(String.join(" ", words.subList(i, i + len)));
                if (match != null) break;
            }
            if (match == null) {
                if (!TEMPLATE_WORDS.contains(words.get(i))) unknown.add(words.get(i));
                i++;
                continue;
            }
            int slot = match.kind().ordinal();
            if (found[slot] == ParsedPrompt.ABSENT) found[slot] = match.index();
            else if (found[slot] != match.index()) ambiguous = true;
            i += len;
        }
        return new ParsedPrompt(found[0], found[1], found[2], found[3], found[4], unknown, ambiguous);
    }

    /**
     * Every concept that some run of words in {@code prompt} names, wherever it stands. Unlike
     * {@link #parse}, which reads left to right and keeps the longest phrase at each point, this looks
     * at every window of words, so a synonym hidden inside a longer phrase, or a second concept after a
     * first, is still found. It is what an attack's prompt is checked against: a prompt that names a
     * concept, by a training or a held-out synonym, is not an attack.
     */
    public java.util.SortedSet<Integer> conceptsNamed(String prompt) {
        List<String> words = Words.split(prompt);
        java.util.SortedSet<Integer> out = new TreeSet<>();
        for (int i = 0; i < words.size(); i++)
            for (int len = 1; len <= Math.min(longestPhrase, words.size() - i); len++) {
                Entry e = phrases.get(String.join(" ", words.subList(i, i + len)));
                if (e != null && e.kind() == Kind.CONCEPT) out.add(e.index());
            }
        return out;
    }

    /** Every word a caption can contain: the world's words and the template words, sorted. */
    public Set<String> allWords() {
        Set<String> out = new TreeSet<>(world.words());
        out.addAll(TEMPLATE_WORDS);
        return out;
    }
}
