package org.alignguard.data;

/** How many candidate pairs of a category were generated, and how many the filter kept or dropped and why. */
public record CategoryCount(String category, int candidates, int kept, int unsafeWithoutMark, int safeWithoutTwinMark) {
    public double keptFraction() {
        return candidates == 0 ? 0 : (double) kept / candidates;
    }
}
