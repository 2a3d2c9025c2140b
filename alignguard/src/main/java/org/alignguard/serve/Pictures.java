package org.alignguard.serve;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.alignguard.diffusion.world.ImageGrid;

/**
 * Images as PNG data URLs ({@code data:image/png;base64,...}), which the page puts straight into
 * {@code <img src>}: nothing is written to disk. ImageIO's disk cache is switched off, since it would
 * otherwise buffer every PNG in a temporary file.
 */
final class Pictures {
    /** Screen pixels per image pixel: the 16×16 drawings show as 128×128. */
    static final int SCALE = 8;

    static {
        ImageIO.setUseCache(false);
    }

    private Pictures() {}

    /** An RGB image, {@code chw} holding 3·size·size values in [-1, 1]. */
    static String rgb(float[] chw, int size, int scale) {
        return png(ImageGrid.toImage(chw, size, size, scale));
    }

    /**
     * A heat map of {@code values} (size×size, row-major, ≥ 0), scaled so its largest value is the
     * brightest: dark blue (0) through magenta to yellow (max).
     */
    static String heat(float[] values, int size, int scale) {
        float max = 0;
        for (float v : values) max = Math.max(max, v);
        BufferedImage img = new BufferedImage(size * scale, size * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                double u = max > 0 ? values[y * size + x] / max : 0;
                int r = (int) (255 * Math.min(1, 1.6 * u)), g = (int) (255 * Math.max(0, 2 * u - 1)), b = (int) (255 * (0.35 + 0.4 * Math.sin(Math.PI * u)));
                int rgb = (r << 16) | (g << 8) | Math.min(255, b);
                for (int dy = 0; dy < scale; dy++)
                    for (int dx = 0; dx < scale; dx++) img.setRGB(x * scale + dx, y * scale + dy, rgb);
            }
        return png(img);
    }

    private static String png(BufferedImage img) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // a byte array does not fail
        }
    }
}
