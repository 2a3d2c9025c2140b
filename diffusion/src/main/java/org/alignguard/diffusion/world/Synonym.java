package org.alignguard.diffusion.world;

/**
 * One way of naming a concept in a prompt ("weapon", "gun", "blade"). A held-out synonym is used in
 * pretraining but never in alignment training: it tests whether the alignment generalizes to words
 * it never saw, like CoPro's out-of-distribution concepts.
 */
public record Synonym(String text, boolean heldOut) {}
