package org.alignguard.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.ImageGrid;
import org.alignguard.eval.ImageScorer;
import org.alignguard.eval.Sampling;
import org.alignguard.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Text to image: one PNG, a grid when there are several images (n per prompt, one row per prompt). */
@Command(name = "generate", description = "Generate images from prompts with the text-to-image model.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions opts;
    @Mixin LoraOptions loras;
    @Mixin BaselineOptions baselines;
    @Option(names = "--prompt", description = "A prompt (repeatable). The empty prompt is the unconditional one.") List<String> prompts;
    @Option(names = "--prompts", paramLabel = "FILE", description = "A text file with one prompt per line.") Path promptsFile;
    @Option(names = "--n", defaultValue = "1", description = "Images per prompt (default: ${DEFAULT-VALUE}).") int n;
    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--scale", defaultValue = "8", description = "Pixel upscaling in the PNG (default: ${DEFAULT-VALUE}).") int scale;
    @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "Output PNG.") Path out;
    @Option(names = "--force", description = "Overwrite an existing output.") boolean force;

    @Override public Integer call() throws IOException {
        Outputs.positive("--n", n);
        Outputs.positive("--scale", scale);
        Outputs.checkWritable(out, force);
        List<String> all = new ArrayList<>();
        if (prompts != null) all.addAll(prompts);
        if (promptsFile != null) {
            Outputs.checkReadable(promptsFile, "prompts file");
            Files.readAllLines(promptsFile).stream().filter(l -> !l.isBlank()).forEach(all::add);
        }
        if (all.isEmpty()) throw new UserError("give at least one --prompt or a --prompts FILE");
        Generator.Settings settings = opts.settings();
        TextToImageModel model = opts.load();
        loras.attach(model);
        Sampling sampling = baselines.apply(model);
        long t0 = System.nanoTime();
        List<String> refused = all.stream().filter(sampling.refuses()).distinct().toList();
        Tensor images = generate(model, all, n, settings, seed, sampling);
        ImageGrid.writePng(ImageGrid.grid(images, n, scale), out);
        for (String r : refused) System.err.println("refused by " + sampling.description() + " (drawn black): \"" + r + "\"");
        System.out.printf(java.util.Locale.ROOT, "wrote %d image(s) to %s in %.1f s%n", images.dim(0), out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** n images for each prompt, prompt-major; a prompt the sampling refuses is drawn black. */
    static Tensor generate(TextToImageModel model, List<String> prompts, int n, Generator.Settings settings, long seed, Sampling sampling) {
        List<String> expanded = new ArrayList<>();
        boolean[] refused = new boolean[prompts.size() * n];
        int k = 0;
        for (String p : prompts)
            for (int i = 0; i < n; i++) {
                refused[k++] = sampling.refuses().test(p);
                expanded.add(refused[k - 1] ? "" : p);
            }
        return ImageScorer.blackOut(new Generator(model).generate(expanded, settings, seed, sampling.guidance()), refused);
    }
}
