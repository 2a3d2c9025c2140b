package org.alignguard.data;

import org.alignguard.diffusion.world.Scene;

/**
 * One CoProV2-style prompt pair: an unsafe prompt naming {@code unsafeConcept} in {@code scene}, and
 * the same sentence with the concept swapped for its safe twin ({@code safeConcept}).
 *
 * @param id a stable name ("violence-0042") used for image files and CSV rows
 */
public record PromptPair(String id, String category, String unsafeConcept, String safeConcept, Scene scene,
                         String unsafePrompt, String safePrompt) {}
