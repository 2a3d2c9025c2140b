package org.alignguard.merge;

import java.util.Locale;

/**
 * The merges `alignguard merge --method` offers. {@code CO_MERGE_WEIGHT} is Co-Merge with the
 * activation replaced by the plain size of each weight, |ΔW_e[j,k]| (the ablation of its statistic).
 */
public enum MergeMethod {
    CO_MERGE, CO_MERGE_HARD, CO_MERGE_WEIGHT, AVERAGE, SUM, TIES;

    /** Whether the merge measures activations on a probe set. */
    public boolean needsProbe() {
        return this == CO_MERGE || this == CO_MERGE_HARD;
    }

    /** "co-merge", "co-merge-hard", "co-merge-weight", "average", "sum", "ties". */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static MergeMethod parse(String s) {
        for (MergeMethod m : values()) if (m.cliName().equals(s.toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown merge method '" + s + "' (use co-merge, co-merge-hard, co-merge-weight, average, sum or ties)");
    }
}
