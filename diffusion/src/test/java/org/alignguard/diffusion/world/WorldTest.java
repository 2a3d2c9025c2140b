package org.alignguard.diffusion.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The bundled world's contents, and the loader's checks on a broken world file. */
class WorldTest {
    static final World WORLD = World.load();

    @Test void bundledWorldHasTheSevenCategoriesAndEnoughScenes() {
        assertEquals(Set.of("hate", "harassment", "violence", "self-harm", "sexual", "shocking", "illegal activity"),
                new HashSet<>(WORLD.categories().stream().map(Category::name).toList()));
        for (Category c : WORLD.categories()) assertTrue(c.unsafeConcepts().size() >= 2, c.name());
        assertTrue(WORLD.benignSceneCount() >= 2000, "thousands of distinct benign scenes");
        assertEquals(WORLD.concepts().size() + 1, WORLD.markClasses());
    }

    @Test void everyUnsafeConceptHasASafeTwinWithADifferentForm() {
        for (Concept u : WORLD.unsafeConcepts()) {
            Concept s = WORLD.concept(u.counterpart());
            assertTrue(u.unsafe());
            assertFalse(s.unsafe());
            assertEquals(u.index(), s.counterpart());
            assertEquals(u.category(), s.category());
            assertNotEquals(u.mark().form(), s.mark().form(), u.name() + " vs " + s.name());
        }
    }

    @Test void everyConceptHasSynonymsAndHeldOutOnes() {
        for (Concept c : WORLD.concepts()) {
            assertTrue(c.synonyms().size() >= 2, c.name());
            assertFalse(c.synonyms(SynonymPolicy.TRAIN).isEmpty(), c.name());
            if (c.unsafe()) {
                assertTrue(c.synonyms().stream().anyMatch(Synonym::heldOut), c.name() + " has a held-out synonym");
                assertTrue(c.synonyms(SynonymPolicy.HELD_OUT).stream().allMatch(Synonym::heldOut));
            }
            assertTrue(c.synonyms(SynonymPolicy.TRAIN).stream().noneMatch(Synonym::heldOut));
        }
    }

    @Test void marksAreUniqueAndNeverInABackgroundColour() {
        Set<String> marks = new HashSet<>();
        for (Concept c : WORLD.concepts()) {
            assertTrue(marks.add(c.mark().toString()), "duplicate mark " + c.mark());
            for (Term bg : WORLD.backgrounds()) assertTrue(distance(c.mark().rgb(), bg.rgb()) >= WorldLoader.MIN_CONTRAST);
        }
    }

    static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < 3; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s);
    }

    // ---------------------------------------------------------------- validation of a broken file

    static JsonObject bundledJson() {
        try (InputStream in = World.class.getResourceAsStream(World.BUNDLED)) {
            return JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static JsonObject firstConcept(JsonObject root) {
        return root.getAsJsonArray("categories").get(0).getAsJsonObject().getAsJsonArray("concepts").get(0).getAsJsonObject();
    }

    /** Applies {@code edit} to the bundled world file and expects loading to fail with a message containing every {@code expected} text. */
    static void rejects(Consumer<JsonObject> edit, String... expected) {
        JsonObject root = bundledJson();
        edit.accept(root);
        WorldFormatException e = assertThrows(WorldFormatException.class, () -> World.fromJson(new Gson().toJson(root), "world.json"));
        for (String s : expected) assertTrue(e.getMessage().contains(s), "message '" + e.getMessage() + "' should mention '" + s + "'");
    }

    @Test void unchangedFileLoads() {
        World w = World.fromJson(new Gson().toJson(bundledJson()), "world.json");
        assertEquals(WORLD.concepts().size(), w.concepts().size());
    }

    @Test void rejectsUnknownMarkForm() {
        rejects(r -> firstConcept(r).getAsJsonObject("mark").addProperty("form", "spiral"), "unknown mark form 'spiral'", "slur", "stripes_h");
    }

    @Test void rejectsUnknownShapeForm() {
        rejects(r -> r.getAsJsonArray("shapes").get(0).getAsJsonObject().addProperty("form", "hexagon"), "unknown shape form 'hexagon'");
    }

    @Test void rejectsDuplicatePhrase() {
        rejects(r -> firstConcept(r).getAsJsonArray("synonyms").add("red"), "duplicate phrase 'red'", "colour 'red'", "concept 'slur'");
    }

    @Test void rejectsMissingCounterpart() {
        rejects(r -> firstConcept(r).remove("safe"), "'slur' has no safe counterpart");
    }

    @Test void rejectsTwinsThatDifferOnlyInColour() {
        rejects(r -> firstConcept(r).getAsJsonObject("safe").getAsJsonObject("mark").addProperty("form", "stripes_h"),
                "'slur'", "'greeting'", "differ in form");
    }

    @Test void rejectsConceptWithoutHeldOutSynonym() {
        rejects(r -> {
            JsonArray syns = new JsonArray();
            syns.add("slur");
            syns.add("insult");
            firstConcept(r).add("synonyms", syns);
        }, "'slur' has no held-out synonym");
    }

    @Test void rejectsConceptWithOneSynonym() {
        rejects(r -> {
            JsonArray syns = new JsonArray();
            syns.add("slur");
            firstConcept(r).add("synonyms", syns);
        }, "'slur' has 1 synonym(s)", "at least 2");
    }

    @Test void rejectsMarkColourOnABackgroundColour() {
        rejects(r -> r.getAsJsonObject("mark_colours").addProperty("pink", "#808080"), "mark colour 'pink'", "background 'gray'");
    }

    @Test void rejectsUnknownMarkColour() {
        rejects(r -> firstConcept(r).getAsJsonObject("mark").addProperty("colour", "teal"), "unknown mark colour 'teal'");
    }

    @Test void rejectsTwoConceptsWithOneMark() {
        rejects(r -> {
            JsonObject second = r.getAsJsonArray("categories").get(0).getAsJsonObject().getAsJsonArray("concepts").get(1).getAsJsonObject();
            second.getAsJsonObject("mark").addProperty("colour", "pink");
        }, "share the mark stripes_h/pink");
    }

    @Test void rejectsTypoKeysAndBadPhrasesAndBadJson() {
        rejects(r -> firstConcept(r).add("synonym", new JsonArray()), "unknown key 'synonym'");
        rejects(r -> firstConcept(r).getAsJsonArray("synonyms").add("Self-Harm!"), "'Self-Harm!' must be lower-case words", "'self harm'");
        rejects(r -> firstConcept(r).getAsJsonArray("synonyms").add("background"), "grammar word");
        rejects(r -> r.getAsJsonArray("positions").get(0).getAsJsonObject().add("cell", JsonParser.parseString("[1, 1]")), "same cell");
        rejects(r -> r.remove("categories"), "has no \"categories\"");
        assertThrows(WorldFormatException.class, () -> World.fromJson("{ not json", "w.json"));
    }
}
