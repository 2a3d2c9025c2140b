package org.alignguard.diffusion.world;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.alignguard.tensor.io.AtomicWrite;
import org.alignguard.tensor.Tensor;

/**
 * Turns [-1, 1] CHW images into PNG files for people to look at: each pixel becomes a
 * {@code scale × scale} block (nearest neighbour, so nothing is blurred), and several images are
 * laid out in a grid with a thin gap.
 */
public final class ImageGrid {
    private ImageGrid() {}

    /** One image: {@code chw} holds 3·h·w values in [-1, 1]. */
    public static BufferedImage toImage(float[] chw, int h, int w, int scale) {
        return grid(List.of(chw), h, w, 1, scale, 0);
    }

    /** A grid of images, {@code cols} per row, {@code gap} pixels (dark gray) between them. */
    public static BufferedImage grid(List<float[]> images, int h, int w, int cols, int scale, int gap) {
        if (images.isEmpty()) throw new IllegalArgumentException("no images to lay out");
        if (cols < 1 || scale < 1 || gap < 0) throw new IllegalArgumentException("cols and scale must be positive, gap non-negative");
        cols = Math.min(cols, images.size());
        int rows = (images.size() + cols - 1) / cols;
        int tw = w * scale, th = h * scale;
        BufferedImage out = new BufferedImage(cols * tw + (cols + 1) * gap, rows * th + (rows + 1) * gap, BufferedImage.TYPE_INT_RGB);
        var g = out.createGraphics();
        g.setColor(new Color(40, 40, 40));
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.dispose();
        for (int i = 0; i < images.size(); i++) {
            float[] img = images.get(i);
            if (img.length != 3 * h * w) throw new IllegalArgumentException("image " + i + " has " + img.length + " values, expected 3x" + h + "x" + w);
            int ox = gap + (i % cols) * (tw + gap), oy = gap + (i / cols) * (th + gap);
            for (int y = 0; y < th; y++)
                for (int x = 0; x < tw; x++) {
                    int p = (y / scale) * w + x / scale;
                    out.setRGB(ox + x, oy + y, byteOf(img[p]) << 16 | byteOf(img[h * w + p]) << 8 | byteOf(img[2 * h * w + p]));
                }
        }
        return out;
    }

    /** A grid from a batch tensor of shape [N, 3, H, W]. */
    public static BufferedImage grid(Tensor batch, int cols, int scale) {
        if (batch.ndim() != 4 || batch.dim(1) != 3) throw new IllegalArgumentException("expected a [N, 3, H, W] batch");
        int n = batch.dim(0), h = batch.dim(2), w = batch.dim(3), per = 3 * h * w;
        float[] all = batch.toArray();
        List<float[]> images = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) images.add(java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per));
        return grid(images, h, w, cols, scale, Math.max(1, scale / 2));
    }

    /** A value in [-1, 1] as a byte 0..255 (clamped). */
    static int byteOf(float v) {
        return Math.clamp(Math.round((v + 1) * 127.5f), 0, 255);
    }

    /**
     * Writes a PNG atomically: into a temporary file beside {@code file}, then renamed over it, so
     * a crash never leaves a half-written image. Whether an existing file may be replaced is the
     * caller's decision.
     */
    public static void writePng(BufferedImage image, Path file) throws IOException {
        AtomicWrite.write(file, tmp -> {
            if (!ImageIO.write(image, "png", tmp.toFile())) throw new IOException("no PNG writer available");
        });
    }
}
