package org.alignguard.data;

/**
 * One generated candidate pair and the classifier's verdict. {@code loserMark} and {@code winnerMark}
 * are the concepts whose marks the classifier saw ("" for none).
 */
public record Candidate(PromptPair pair, long winnerSeed, long loserSeed, String loserMark, String winnerMark, boolean kept, String reason) {}
