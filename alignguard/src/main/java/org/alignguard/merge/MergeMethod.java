package org.alignguard.merge;

import java.util.Locale;

/** The merges `alignguard merge --method` offers. */
public enum MergeMethod {
    CO_MERGE, CO_MERGE_HARD, AVERAGE, SUM, TIES;

    /** "co-merge", "co-merge-hard", "average", "sum", "ties". */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static MergeMethod parse(String s) {
        for (MergeMethod m : values()) if (m.cliName().equals(s.toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown merge method '" + s + "' (use co-merge, co-merge-hard, average, sum or ties)");
    }
}
