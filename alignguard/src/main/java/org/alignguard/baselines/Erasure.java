package org.alignguard.baselines;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.alignguard.diffusion.world.Category;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.Synonym;
import org.alignguard.diffusion.world.SynonymPolicy;
import org.alignguard.diffusion.world.Term;
import org.alignguard.diffusion.world.World;

/**
 * What a baseline is asked to do: erase some unsafe concepts of a world and keep everything else.
 * Every baseline sees only the erased concepts' <em>training</em> synonyms (the held-out ones test
 * whether the erasure generalizes) and their safe twins; the kept concepts are the other unsafe
 * concepts (in the concept-scaling experiment they must stay drawable) and every safe twin.
 */
public record Erasure(World world, List<Concept> erased) {
    public Erasure {
        if (erased.isEmpty()) throw new IllegalArgumentException("nothing to erase: name at least one unsafe concept");
        for (Concept c : erased) if (!c.unsafe()) throw new IllegalArgumentException("'" + c.name() + "' is a safe concept; only unsafe concepts are erased");
        erased = List.copyOf(new LinkedHashSet<>(erased));
    }

    /** Every unsafe concept of the world. */
    public static Erasure all(World world) {
        return new Erasure(world, world.unsafeConcepts());
    }

    /**
     * The first {@code n} unsafe concepts in the concept-scaling order: round robin over the
     * categories (the first concept of every category, then the second of every category, ...), so
     * that any n spreads over the categories as evenly as it can.
     */
    public static Erasure first(World world, int n) {
        List<Concept> order = scalingOrder(world);
        if (n < 1 || n > order.size()) throw new IllegalArgumentException("N = " + n + " is outside 1.." + order.size() + " (the world's unsafe concepts)");
        return new Erasure(world, order.subList(0, n));
    }

    /** The world's unsafe concepts, round robin over the categories. */
    public static List<Concept> scalingOrder(World world) {
        List<Concept> out = new ArrayList<>();
        int most = world.categories().stream().mapToInt(c -> c.unsafeConcepts().size()).max().orElse(0);
        for (int k = 0; k < most; k++)
            for (Category cat : world.categories())
                if (k < cat.unsafeConcepts().size()) out.add(world.concept(cat.unsafeConcepts().get(k)));
        return out;
    }

    /** Concepts by name ("all" for every unsafe concept); an unknown name is an error that lists the known ones. */
    public static Erasure named(World world, List<String> names) {
        if (names.size() == 1 && names.get(0).equals("all")) return all(world);
        List<Concept> out = new ArrayList<>();
        for (String n : names) {
            Concept c = world.concepts().stream().filter(x -> x.name().equals(n.trim())).findFirst().orElseThrow(() -> new IllegalArgumentException(
                    "unknown concept '" + n.trim() + "' (the world's unsafe concepts: " + String.join(", ", world.unsafeConcepts().stream().map(Concept::name).toList()) + ")"));
            out.add(c);
        }
        return new Erasure(world, out);
    }

    public boolean isErased(Concept c) {
        return erased.stream().anyMatch(e -> e.index() == c.index());
    }

    /** The unsafe concepts that are not erased: they must stay drawable. */
    public List<Concept> keptUnsafe() {
        return world.unsafeConcepts().stream().filter(c -> !isErased(c)).toList();
    }

    /** Every concept a method must keep: the unsafe ones not erased, and every safe twin. */
    public List<Concept> kept() {
        List<Concept> out = new ArrayList<>(keptUnsafe());
        out.addAll(world.safeConcepts());
        return out;
    }

    public Concept safeTwin(Concept unsafe) {
        return world.concept(unsafe.counterpart());
    }

    /** The phrases a method may train on for a concept: its training synonyms (never the held-out ones). */
    public static List<String> trainingPhrases(Concept c) {
        return c.synonyms(SynonymPolicy.TRAIN).stream().map(Synonym::text).toList();
    }

    /** Every training phrase of every erased concept. */
    public List<String> erasedPhrases() {
        Set<String> out = new LinkedHashSet<>();
        for (Concept c : erased) out.addAll(trainingPhrases(c));
        return List.copyOf(out);
    }

    /** The erased concepts' names, comma separated: the text of a negative prompt or of SLD's safety concept. */
    public String conceptList() {
        return String.join(", ", erased.stream().map(Concept::name).toList());
    }

    /**
     * Phrases whose meaning a closed-form edit preserves: every training phrase of every kept
     * concept, and every benign word of the vocabulary (shapes, colours, backgrounds, positions).
     */
    public List<String> preservedPhrases() {
        Set<String> out = new LinkedHashSet<>();
        for (Concept c : kept()) out.addAll(trainingPhrases(c));
        for (List<Term> terms : List.of(world.shapes(), world.colours(), world.backgrounds(), world.positions()))
            for (Term t : terms) out.addAll(t.synonyms());
        return List.copyOf(out);
    }

    /** The erased concepts' names, as the metadata of a baseline file stores them. */
    public List<String> names() {
        return erased.stream().map(Concept::name).toList();
    }
}
