package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The committed base model and classifier load, generate, and classify, as a fresh clone would. */
class ShippedModelTest {
    static final Path MODELS = Path.of("..", "models");

    @Test
    void baseModelLoadsAndGenerates() throws Exception {
        Path file = MODELS.resolve("base.safetensors");
        assertTrue(Files.isRegularFile(file), "shipped model missing: " + file.toAbsolutePath());
        TextToImageModel.Loaded loaded = TextToImageModel.load(file);
        Map<String, String> meta = loaded.metadata();
        assertTrue(meta.get("command").startsWith("alignguard pretrain"), "the command that made it is recorded: " + meta.get("command"));
        assertTrue(meta.containsKey("seed"));
        Generator gen = new Generator(loaded.model());
        Generator.Settings s = new Generator.Settings(4, 3f, Generator.Sampler.DDIM);
        Tensor a = gen.generate(List.of("a red circle in the centre on a navy background", ""), s, 1);
        assertArrayEquals(new int[] {2, 3, 16, 16}, a.shape());
        for (float v : a.toArray()) assertTrue(v >= -1f && v <= 1f, "pixel " + v);
        assertArrayEquals(a.toArray(), gen.generate(List.of("a red circle in the centre on a navy background", ""), s, 1).toArray(),
                "same seed, same images");
    }

    @Test
    void classifierLoadsAndReadsRenders() throws Exception {
        World world = World.load();
        SceneClassifier clf = ClassifierTrainer.load(MODELS.resolve("classifier.safetensors"), world);
        Map<String, Double> acc = new ClassifierTrainer(world, clf.imageSize).accuracy(clf, 200, 99);
        for (var e : acc.entrySet()) assertTrue(e.getValue() >= 0.95, "head " + e.getKey() + " accuracy " + e.getValue());
        assertEquals(5, acc.size());
    }
}
