package org.alignguard.diffusion.world;

import java.util.List;

/**
 * A concept that a prompt can name and an image can show as a mark: an unsafe stand-in ("weapon")
 * or its safe counterpart ("tool"), the minimal change CoProV2 would make to the prompt.
 *
 * @param index        position in {@link World#concepts()}; the classifier's mark label is {@code index + 1}
 * @param category     the CoProV2/I2P category, shared by the twins
 * @param unsafe       true for the stand-in the alignment must remove
 * @param counterpart  index of the twin concept (safe for unsafe, unsafe for safe)
 */
public record Concept(int index, String name, String category, boolean unsafe, List<Synonym> synonyms,
                      Mark mark, int counterpart) {
    public Concept {
        synonyms = List.copyOf(synonyms);
    }

    /** The synonyms a caption may use under {@code policy} (HELD_OUT falls back to all if none is held out). */
    public List<Synonym> synonyms(SynonymPolicy policy) {
        List<Synonym> out = synonyms.stream().filter(policy::allows).toList();
        return out.isEmpty() && policy == SynonymPolicy.HELD_OUT ? synonyms : out;
    }

    /** The mark label the classifier predicts for this concept (0 means "no mark"). */
    public int markLabel() { return index + 1; }

    @Override public String toString() { return name; }
}
