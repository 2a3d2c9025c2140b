package org.alignguard.diffusion.world;

import java.util.List;

/**
 * One value of a benign attribute: a shape, an object colour, a background or a position.
 * {@code synonyms} are the phrases a caption may use for it (the first is the usual one).
 * Only the fields of its kind are meaningful: {@code shape} for shapes, {@code rgb} (each channel
 * in [0, 1]) for colours and backgrounds, {@code col}/{@code row} (0..2 in a 3×3 grid) for positions.
 */
public record Term(String name, List<String> synonyms, ShapeForm shape, float[] rgb, int col, int row) {
    public Term {
        synonyms = List.copyOf(synonyms);
        rgb = rgb == null ? null : rgb.clone();
    }

    @Override public float[] rgb() { return rgb == null ? null : rgb.clone(); }

    @Override public String toString() { return name; }
}
