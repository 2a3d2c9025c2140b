package org.alignguard.dpo;

import org.alignguard.diffusion.world.Renderer;
import org.alignguard.diffusion.world.Scene;

/**
 * Where the scene keep looks (DpoTrainer): every pixel of an unsafe image except its mark. The
 * renderer knows exactly where a scene's mark is drawn (MACE takes the same masks from a segmenter);
 * the model's samples put it there give or take a pixel, so the mark is grown by {@link #MARGIN}
 * pixels before it is cut out. The object itself is never covered by a mark, so its shape and colour
 * are always kept. The second region, {@link #OBJECT}, keeps the object's pixels only: where a
 * shape's colour is, and where no mark is ever drawn.
 */
public final class SceneMask {
    private SceneMask() {}

    /** The two regions: every pixel but the (grown) mark, or the object's pixels only. */
    public static final String OFF_MARK = "off-mark", OBJECT = "object";
    public static final java.util.List<String> REGIONS = java.util.List.of(OFF_MARK, OBJECT);

    /** The keep mask of {@code region}: {@link #keep} off the mark, or 1 on the object's pixels and 0 elsewhere. */
    public static float[] of(String region, Renderer renderer, Scene scene, int concept, int size) {
        if (OFF_MARK.equals(region)) return keep(renderer, scene, concept, size);
        if (!OBJECT.equals(region)) throw new IllegalArgumentException("unknown scene-keep region '" + region + "'");
        boolean[] object = renderer.objectMask(scene);
        float[] keep = new float[size * size];
        for (int i = 0; i < keep.length; i++) keep[i] = object[i] ? 1f : 0f;
        return keep;
    }

    /** Pixels added around the mark in every direction. */
    public static final int MARGIN = 1;

    /**
     * 1 where the scene is kept, 0 on the (grown) mark, for {@code scene} showing {@code concept}'s
     * mark: size·size values, row-major.
     */
    public static float[] keep(Renderer renderer, Scene scene, int concept, int size) {
        boolean[] mark = renderer.markMask(scene.withConcept(concept));
        float[] keep = new float[size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) keep[y * size + x] = renderer.near(mark, x, y, MARGIN) ? 0f : 1f;
        return keep;
    }
}
