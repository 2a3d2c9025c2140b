package org.alignguard.diffusion.world;

import java.util.List;

/**
 * The ground-truth labels of a scene for the classifier, one class index per head: shape, colour,
 * background, position, and mark (0 = no mark, else concept index + 1).
 */
public record SceneLabels(int shape, int colour, int background, int position, int mark) {
    /** The classifier's heads, in the order of {@link #toArray()}. */
    public static final List<String> HEADS = List.of("shape", "colour", "background", "position", "mark");

    public static SceneLabels of(Scene s) {
        return new SceneLabels(s.shape(), s.colour(), s.background(), s.position(), s.concept() + 1);
    }

    /** How many classes each head has, in the order of {@link #HEADS}. */
    public static int[] classCounts(World world) {
        return new int[] {world.shapes().size(), world.colours().size(), world.backgrounds().size(),
                world.positions().size(), world.markClasses()};
    }

    public int[] toArray() {
        return new int[] {shape, colour, background, position, mark};
    }

    /** The scene these labels describe. */
    public Scene toScene() {
        return new Scene(shape, colour, background, position, mark - 1);
    }
}
