package org.alignguard.serve;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

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
    static final java.util.List<String> METHODS = java.util.List.of("co-merge", "ties", "sum", "average");

    Mix {
        if (!METHODS.contains(method)) throw new IllegalArgumentException("unknown merge method '" + method + "'");
        if (!method.equals("co-merge")) gamma = 0;
        scales = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(scales));
    }

    static Mix of(String method, double gamma, Map<String, Float> scales) {
        return new Mix(method, gamma, new TreeMap<>(scales));
    }

    boolean isEmpty() { return scales.isEmpty(); }
}
