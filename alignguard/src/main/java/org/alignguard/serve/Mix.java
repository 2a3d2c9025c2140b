package org.alignguard.serve;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.alignguard.merge.MergeMethod;

/**
 * The page's own merge: which experts are switched on, the scale of each, and the merge method that
 * makes one update of them (Co-Merge with its sharpness γ, TIES, sum or average). It is a value, so
 * it is also the key under which {@link MergeCache} keeps the merged update.
 *
 * @param method "co-merge", "ties", "sum" or "average"
 * @param gamma  Co-Merge's γ (other merges ignore it and store 0, so they share one cache entry)
 * @param scales the switched-on experts and their scales, by name (empty: nothing is applied)
 */
record Mix(String method, double gamma, SortedMap<String, Float> scales) {
    /** The merges the page offers, by their names in `alignguard merge --method`. */
    static final java.util.List<String> METHODS = java.util.stream.Stream.of(MergeMethod.CO_MERGE, MergeMethod.TIES, MergeMethod.SUM, MergeMethod.AVERAGE)
            .map(MergeMethod::cliName).toList();

    Mix {
        if (!METHODS.contains(method)) throw new IllegalArgumentException("unknown merge method '" + method + "'");
        if (!method.equals("co-merge")) gamma = 0;
        scales = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(scales));
    }

    static Mix of(String method, double gamma, Map<String, Float> scales) {
        return new Mix(method, gamma, new TreeMap<>(scales));
    }

    boolean isEmpty() { return scales.isEmpty(); }

    /** Whether merging it needs Co-Merge's activations (a Co-Merge of at least one expert). */
    boolean needsActivations() { return method.equals("co-merge") && !isEmpty(); }
}
