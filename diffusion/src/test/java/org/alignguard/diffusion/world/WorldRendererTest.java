package org.alignguard.diffusion.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The renderer: every concept's mark shows, marks are told apart, the object stays intact. */
class WorldRendererTest {
    static final World WORLD = WorldTest.WORLD;
    static final Renderer R = new Renderer(WORLD);

    /** Fewest mark pixels a concept may show at 16×16, wherever the object is (out of 256). */
    static final int MIN_MARK_PIXELS = 30;
    /** Fewest pixels in which two mark forms must differ, wherever the object is. */
    static final int MIN_FORM_DIFFERENCE = 30;

    static int differing(float[] a, float[] b) {
        int hw = a.length / 3, n = 0;
        for (int p = 0; p < hw; p++)
            if (a[p] != b[p] || a[hw + p] != b[hw + p] || a[2 * hw + p] != b[2 * hw + p]) n++;
        return n;
    }

    @Test void imagesAreChwInMinusOneToOne() {
        Tensor t = R.renderTensor(new Scene(0, 0, 0, 0, 0));
        assertArrayEquals(new int[] {3, 16, 16}, t.shape());
        for (float v : t.toArray()) assertTrue(v >= -1 && v <= 1);
        assertArrayEquals(new int[] {2, 3, 16, 16}, R.renderBatch(List.of(new Scene(0, 0, 0, 0, 0), new Scene(1, 1, 1, 1, -1))).shape());
    }

    @Test void everyConceptRendersItsMarkAtEveryPosition() {
        for (Concept c : WORLD.concepts())
            for (int pos = 0; pos < WORLD.positions().size(); pos++)
                for (int shape = 0; shape < WORLD.shapes().size(); shape++) {
                    Scene s = new Scene(shape, c.index() % WORLD.colours().size(), c.index() % WORLD.backgrounds().size(), pos, c.index());
                    float[] marked = R.render(s), plain = R.render(s.withoutMark());
                    int diff = differing(marked, plain);
                    assertTrue(diff >= MIN_MARK_PIXELS, c.name() + " at " + WORLD.positions().get(pos) + ": only " + diff + " mark pixels");
                    // the mark is drawn only where the mark mask says, in the mark's colour
                    boolean[] mask = R.markMask(s);
                    int count = 0;
                    for (boolean b : mask) if (b) count++;
                    assertEquals(diff, count);
                }
    }

    @Test void theMarkNeverCoversTheObject() {
        Scene s = new Scene(1, 2, 3, 4, WORLD.concept("weapon").index());
        boolean[] obj = R.objectMask(s), mark = R.markMask(s);
        for (int p = 0; p < obj.length; p++) assertFalse(obj[p] && mark[p]);
        float[] a = R.render(s), b = R.render(s.withoutMark());
        for (int p = 0; p < obj.length; p++) if (obj[p]) assertEquals(a[p], b[p]);
    }

    @Test void everyTwoMarkFormsDifferWhereverTheObjectIs() {
        List<Concept> one = WORLD.concepts().stream().filter(c -> c.mark().colourName().equals("pink")).toList();
        for (int i = 0; i < one.size(); i++)
            for (int j = 0; j < i; j++)
                for (int pos = 0; pos < WORLD.positions().size(); pos++) {
                    Scene a = new Scene(1, 0, 1, pos, one.get(i).index()), b = a.withConcept(one.get(j).index());
                    int d = differing(R.render(a), R.render(b));
                    assertTrue(d >= MIN_FORM_DIFFERENCE, one.get(i).mark() + " vs " + one.get(j).mark() + " at " + pos + ": " + d + " pixels");
                }
    }

    @Test void safeAndUnsafeTwinsDifferInForm() {
        for (Concept u : WORLD.unsafeConcepts()) {
            Scene s = new Scene(0, 0, 0, 4, u.index());
            int d = differing(R.render(s), R.render(s.withConcept(u.counterpart())));
            assertTrue(d >= MIN_FORM_DIFFERENCE, u.name() + ": " + d);
        }
    }

    @Test void everyAttributeChangesTheImage() {
        Scene s = new Scene(0, 0, 0, 0, Scene.NONE);
        float[] base = R.render(s);
        for (int i = 1; i < WORLD.shapes().size(); i++) assertTrue(differing(base, R.render(new Scene(i, 0, 0, 0, -1))) > 0);
        for (int i = 1; i < WORLD.colours().size(); i++) assertTrue(differing(base, R.render(new Scene(0, i, 0, 0, -1))) > 0);
        for (int i = 1; i < WORLD.backgrounds().size(); i++) assertTrue(differing(base, R.render(new Scene(0, 0, i, 0, -1))) > 100);
        for (int i = 1; i < WORLD.positions().size(); i++) assertTrue(differing(base, R.render(new Scene(0, 0, 0, i, -1))) > 0);
    }

    @Test void largerImagesAreTheSameWorld() {
        Renderer big = new Renderer(WORLD, 32);
        Scene s = new Scene(2, 3, 4, 5, 6);
        float[] small = R.render(s), large = big.render(s);
        assertEquals(3 * 32 * 32, large.length);
        // the mark covers about the same share of the image
        int a = count(R.markMask(s)), b = count(big.markMask(s));
        assertEquals(a * 4.0, b, a * 4.0 * 0.25);
        assertTrue(differing(large, big.render(s.withoutMark())) > 0);
        assertEquals(small.length * 4, large.length);
    }

    static int count(boolean[] m) {
        int n = 0;
        for (boolean b : m) if (b) n++;
        return n;
    }

    @Test void sameSeedGivesSameImages() {
        WorldSampler sampler = new WorldSampler(WORLD);
        Tensor a = R.renderBatch(sampler.sample(new Rng(7), 32)), b = R.renderBatch(sampler.sample(new Rng(7), 32));
        assertArrayEquals(a.toArray(), b.toArray());
        Tensor c = R.renderBatch(sampler.sample(new Rng(8), 32));
        assertFalse(java.util.Arrays.equals(a.toArray(), c.toArray()));
    }

    @Test void pngGridIsUpscaledAndWrittenAtomically(@TempDir Path dir) throws Exception {
        Scene s = new Scene(0, 0, 0, 0, 0);
        float[] img = R.render(s);
        Path out = dir.resolve("grid.png");
        ImageGrid.writePng(ImageGrid.grid(List.of(img, img, img), 16, 16, 2, 4, 2), out);
        BufferedImage back = ImageIO.read(out.toFile());
        assertEquals(2 * 64 + 3 * 2, back.getWidth());
        assertEquals(2 * 64 + 3 * 2, back.getHeight());
        // the top-left pixel of the first tile is the scene's pixel (0, 0), as a byte
        int rgb = back.getRGB(2, 2);
        assertEquals(ImageGrid.byteOf(img[0]), rgb >> 16 & 255);
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file is left behind");
        }
    }
}
