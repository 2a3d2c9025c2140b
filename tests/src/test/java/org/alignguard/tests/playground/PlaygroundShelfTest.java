package org.alignguard.tests.playground;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.alignguard.serve.Shelf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the playground offers follows the models folder: only the base model and the classifier are required. */
class PlaygroundShelfTest {
    @TempDir Path dir;

    @Test
    void theShippedFolderOffersEveryModel() throws IOException {
        Shelf s = Shelf.load(Playground.MODELS);
        assertEquals(List.of("base", "mix", "co-merge", "all-single", "expert:harassment", "expert:hate", "expert:illegal-activity", "expert:self-harm",
                "expert:sexual", "expert:shocking", "expert:violence", "blocklist", "esd-u", "mace", "negative-prompt", "sld", "uce"), s.modelNames());
    }

    @Test
    void allSingleIsOfferedWhenItIsThereAndTheRestIsOptional() throws IOException {
        for (String f : List.of("base.safetensors", "classifier.safetensors")) Files.copy(Playground.MODELS.resolve(f), dir.resolve(f));
        assertEquals(List.of("base", "mix"), Shelf.load(dir).modelNames(), "no experts, no whole LoRAs, no baselines");
        // Any LoRA of this base model stands in for All-single here (the default run writes runs/main/experts/all-single.safetensors).
        Files.copy(Playground.MODELS.resolve("experts/violence.safetensors"), dir.resolve("all-single.safetensors"));
        Shelf s = Shelf.load(dir);
        assertEquals(List.of("base", "mix", "all-single"), s.modelNames());
        assertTrue(s.loras.containsKey("all-single"));
    }

    @Test
    void aFolderWithoutTheBaseModelOrWithABadFileIsRefusedByName() throws IOException {
        IOException none = assertThrows(IOException.class, () -> Shelf.load(dir));
        assertTrue(none.getMessage().contains("no base.safetensors in " + dir), none.getMessage());
        for (String f : List.of("base.safetensors", "classifier.safetensors")) Files.copy(Playground.MODELS.resolve(f), dir.resolve(f));
        Files.createDirectory(dir.resolve("experts"));
        Files.writeString(dir.resolve("experts/broken.safetensors"), "not a safetensors file");
        IOException bad = assertThrows(IOException.class, () -> Shelf.load(dir));
        assertTrue(bad.getMessage().contains("broken.safetensors"), bad.getMessage());
    }

    @Test
    void aBaselineNamedLikeAnotherModelIsRefusedByName() throws IOException {
        for (String f : List.of("base.safetensors", "classifier.safetensors")) Files.copy(Playground.MODELS.resolve(f), dir.resolve(f));
        Files.createDirectory(dir.resolve("baselines"));
        for (String name : List.of("base", "mix", "co-merge", "all-single")) {
            Path p = dir.resolve("baselines/" + name + ".safetensors");
            Files.copy(Playground.MODELS.resolve("baselines/esd-u.safetensors"), p);
            IOException e = assertThrows(IOException.class, () -> Shelf.load(dir), name);
            assertTrue(e.getMessage().contains(p + ": a baseline cannot be called '" + name + "'"), e.getMessage());
            Files.delete(p);
        }
        Files.copy(Playground.MODELS.resolve("baselines/esd-u.safetensors"), dir.resolve("baselines/my-esd.safetensors"));
        assertEquals(List.of("base", "mix", "my-esd"), Shelf.load(dir).modelNames(), "any other name is the baseline's");
    }
}
