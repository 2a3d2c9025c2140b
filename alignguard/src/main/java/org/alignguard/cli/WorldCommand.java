package org.alignguard.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.ImageGrid;
import org.alignguard.diffusion.world.Renderer;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.diffusion.world.WorldSampler;
import org.alignguard.tensor.Rng;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Shows the synthetic world: renders ground-truth scenes into a PNG grid, prints their captions
 * and a summary of the world (categories, concepts and their marks, vocabulary size).
 */
@Command(name = "world", description = "Render ground-truth examples of the synthetic world into a PNG grid and print their captions.")
final class WorldCommand implements Callable<Integer> {
    @Option(names = "--n", paramLabel = "N", description = "Number of random scenes (default: ${DEFAULT-VALUE}).", defaultValue = "16")
    int n;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed; the same seed gives the same scenes, captions and PNG (default: ${DEFAULT-VALUE}).", defaultValue = "0")
    long seed;

    @Option(names = "--out", paramLabel = "FILE.png", description = "Where to write the grid (default: ${DEFAULT-VALUE}).", defaultValue = "world.png")
    Path out;

    @Option(names = "--force", description = "Overwrite --out if it exists.")
    boolean force;

    @Option(names = "--size", paramLabel = "PX", description = "Image size, a multiple of 16 (default: ${DEFAULT-VALUE}).", defaultValue = "16")
    int size;

    @Option(names = "--scale", paramLabel = "K", description = "Upscaling factor for viewing (default: ${DEFAULT-VALUE}).", defaultValue = "8")
    int scale;

    @Option(names = "--every-concept", description = "Instead of random scenes, show every concept once (unsafe concepts, then their safe twins).")
    boolean everyConcept;

    @Option(names = "--world", paramLabel = "FILE.json", description = "A world file to use instead of the bundled one.")
    Path worldFile;

    @Override public Integer call() throws Exception {
        if (n < 1 || n > 4096) throw new UserError("--n must be between 1 and 4096, got " + n);
        if (size < 16 || size % 16 != 0 || size > 256) throw new UserError("--size must be a multiple of 16 between 16 and 256, got " + size);
        if (scale < 1 || scale > 64) throw new UserError("--scale must be between 1 and 64, got " + scale);
        if (!out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) throw new UserError("--out must name a .png file: " + out);
        if (Files.isDirectory(out)) throw new UserError("--out is a directory: " + out);
        if (Files.exists(out) && !force) throw new UserError("refusing to overwrite " + out + " (use --force)");
        World world;
        try {
            world = worldFile == null ? World.load() : World.load(worldFile);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2, e);
        } catch (java.io.IOException e) {
            throw new UserError("cannot read " + worldFile + ": " + e.getMessage(), 2, e);
        }

        Rng rng = new Rng(seed);
        WorldSampler sampler = new WorldSampler(world);
        List<Scene> scenes = new ArrayList<>();
        if (everyConcept) {
            for (Concept c : world.concepts()) scenes.add(sampler.sampleBenign(rng).withConcept(c.index()));
        } else {
            scenes.addAll(sampler.sample(rng, n));
        }
        Renderer renderer = new Renderer(world, size);
        CaptionGrammar grammar = new CaptionGrammar(world);
        List<float[]> images = new ArrayList<>();
        int cols = everyConcept ? Math.max(1, world.unsafeCount()) : (int) Math.ceil(Math.sqrt(scenes.size()));
        System.out.printf("%d scenes, %d per row (row, column: caption [mark]):%n", scenes.size(), cols);
        for (int i = 0; i < scenes.size(); i++) {
            Scene s = scenes.get(i);
            images.add(renderer.render(s));
            String mark = s.hasMark() ? world.concept(s.concept()).name() + ": " + world.concept(s.concept()).mark()
                    + (world.concept(s.concept()).unsafe() ? ", unsafe" : ", safe") : "no mark";
            System.out.printf("  %2d,%2d  %s  [%s]%n", i / cols + 1, i % cols + 1, grammar.caption(s, rng), mark);
        }
        ImageGrid.writePng(ImageGrid.grid(images, size, size, cols, scale, Math.max(1, scale / 2)), out);

        System.out.println();
        System.out.print(world.summary());
        System.out.printf("categories: %d, vocabulary: %d tokens (word level, specials included)%n",
                world.categories().size(), Tokenizer.forWorld(world).size());
        System.out.println("wrote " + out.toAbsolutePath().normalize());
        return 0;
    }
}
