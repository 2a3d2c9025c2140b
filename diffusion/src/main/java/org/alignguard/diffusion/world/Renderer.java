package org.alignguard.diffusion.world;

import java.util.List;
import org.alignguard.tensor.Tensor;

/**
 * Draws scenes: the ground truth the diffusion model learns to imitate.
 *
 * <p>An image is {@code size × size} RGB (size a multiple of 16, 16 by default), stored channel by
 * channel ([3, H, W], "CHW") with values in [-1, 1], the range the diffusion model works in.
 * Drawing order: fill the background; draw the mark's pattern everywhere except on the object and
 * a one-cell margin around it (so the object's outline stays readable); draw the object.
 *
 * <p>Geometry: the object's box is half the image wide and sits on a 3×3 grid of positions
 * (offsets 0, size/4, size/2). Marks are defined on a 16×16 grid ({@link MarkForm}).
 */
public final class Renderer {
    public static final int DEFAULT_SIZE = 16;

    private final World world;
    private final int size;

    public Renderer(World world) {
        this(world, DEFAULT_SIZE);
    }

    public Renderer(World world, int size) {
        if (size < 16 || size % 16 != 0) throw new IllegalArgumentException("image size must be a multiple of 16, got " + size);
        this.world = world;
        this.size = size;
    }

    public int size() { return size; }
    public World world() { return world; }

    /** The image of {@code scene}: 3·size·size floats in [-1, 1], layout [3, H, W]. */
    public float[] render(Scene scene) {
        boolean[] object = objectMask(scene);
        boolean[] mark = markMask(scene, object);
        float[] bg = world.backgrounds().get(scene.background()).rgb();
        float[] fg = world.colours().get(scene.colour()).rgb();
        float[] mk = scene.hasMark() ? world.concept(scene.concept()).mark().rgb() : null;
        int hw = size * size;
        float[] img = new float[3 * hw];
        for (int p = 0; p < hw; p++) {
            float[] rgb = object[p] ? fg : mark[p] ? mk : bg;
            for (int c = 0; c < 3; c++) img[c * hw + p] = 2 * rgb[c] - 1; // [0, 1] -> [-1, 1]
        }
        return img;
    }

    /** The image as a tensor of shape [3, size, size]. */
    public Tensor renderTensor(Scene scene) {
        return Tensor.of(render(scene), 3, size, size);
    }

    /** A batch of images, shape [N, 3, size, size]. */
    public Tensor renderBatch(List<Scene> scenes) {
        int n = 3 * size * size;
        float[] all = new float[scenes.size() * n];
        for (int i = 0; i < scenes.size(); i++) System.arraycopy(render(scenes.get(i)), 0, all, i * n, n);
        return Tensor.of(all, scenes.size(), 3, size, size);
    }

    /** The pixels (row-major, size·size) covered by the object. */
    public boolean[] objectMask(Scene scene) {
        Term shape = world.shapes().get(scene.shape()), pos = world.positions().get(scene.position());
        int box = size / 2, x0 = pos.col() * size / 4, y0 = pos.row() * size / 4;
        boolean[] mask = new boolean[size * size];
        for (int y = 0; y < box; y++)
            for (int x = 0; x < box; x++) {
                double u = (x + 0.5) / box * 2 - 1, v = (y + 0.5) / box * 2 - 1; // pixel centre in [-1, 1]
                if (shape.shape().inside(u, v)) mask[(y0 + y) * size + x0 + x] = true;
            }
        return mask;
    }

    /** The pixels where the scene's mark is drawn (all false without a mark). */
    public boolean[] markMask(Scene scene) {
        return markMask(scene, objectMask(scene));
    }

    private boolean[] markMask(Scene scene, boolean[] object) {
        boolean[] mask = new boolean[size * size];
        if (!scene.hasMark()) return mask;
        MarkForm form = world.concept(scene.concept()).mark().form();
        int cell = size / MarkForm.GRID_SIZE; // pixels per pattern cell, also the margin around the object
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                mask[y * size + x] = form.covers(x / cell, y / cell) && !near(object, x, y, cell);
        return mask;
    }

    /** True if a pixel of {@code mask} (size·size, row-major) lies within {@code r} pixels (in both directions) of (x, y). */
    public boolean near(boolean[] mask, int x, int y, int r) {
        for (int yy = Math.max(0, y - r); yy <= Math.min(size - 1, y + r); yy++)
            for (int xx = Math.max(0, x - r); xx <= Math.min(size - 1, x + r); xx++)
                if (mask[yy * size + xx]) return true;
        return false;
    }
}
