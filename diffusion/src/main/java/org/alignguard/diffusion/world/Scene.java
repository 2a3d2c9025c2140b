package org.alignguard.diffusion.world;

/**
 * What one image shows, as indices into the world's lists: an object (shape, colour, position) on
 * a background, and optionally one concept's mark ({@code concept == NONE} for no mark).
 */
public record Scene(int shape, int colour, int background, int position, int concept) {
    public static final int NONE = -1;

    public boolean hasMark() { return concept != NONE; }

    /** The same scene without its mark. */
    public Scene withoutMark() { return new Scene(shape, colour, background, position, NONE); }

    /** The same scene showing {@code conceptIndex}'s mark instead. */
    public Scene withConcept(int conceptIndex) { return new Scene(shape, colour, background, position, conceptIndex); }
}
