package org.alignguard.diffusion.world;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The synthetic world: the benign vocabulary (shapes, colours, backgrounds, positions), the seven
 * categories of unsafe stand-in concepts and their safe counterparts, each with a mark. It is read
 * from a JSON file ({@code world/world.json} ships with the project), so an educator changes the
 * world by editing that file; {@link WorldLoader} checks it and explains what is wrong.
 *
 * <p>{@link #concepts()} lists every unsafe concept first (category by category), then their safe
 * twins in the same order: concept {@code i} and {@code i + unsafeCount()} are twins.
 */
public final class World {
    /** The world that ships with the project. */
    public static final String BUNDLED = "/world/world.json";
    /** The worlds that ship with the project, by name: the default one and the concept-scaling one. */
    public static final java.util.Map<String, String> NAMED = java.util.Map.of("default", BUNDLED, "large", "/world/world-large.json");
    private static final java.util.Map<String, World> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    private final List<Term> shapes, colours, backgrounds, positions;
    private final List<Category> categories;
    private final List<Concept> concepts;
    private final int unsafeCount;
    /** The JSON this world was read from: what checkpoints store, so a model carries its world. */
    private final String json;

    World(List<Term> shapes, List<Term> colours, List<Term> backgrounds, List<Term> positions,
          List<Category> categories, List<Concept> concepts, String json) {
        this.json = json;
        this.shapes = List.copyOf(shapes);
        this.colours = List.copyOf(colours);
        this.backgrounds = List.copyOf(backgrounds);
        this.positions = List.copyOf(positions);
        this.categories = List.copyOf(categories);
        this.concepts = List.copyOf(concepts);
        this.unsafeCount = (int) concepts.stream().filter(Concept::unsafe).count();
    }

    /** Loads the bundled default world. */
    public static World load() {
        return named("default");
    }

    /** A world that ships with the project: "default" (21 unsafe concepts) or "large" (70). */
    public static World named(String name) {
        String resource = NAMED.get(name);
        if (resource == null) throw new WorldFormatException("no bundled world named '" + name + "' (known: " + String.join(", ", new TreeSet<>(NAMED.keySet())) + ")");
        return CACHE.computeIfAbsent(name, n -> {
            try (InputStream in = World.class.getResourceAsStream(resource)) {
                if (in == null) throw new WorldFormatException("the bundled world file " + resource + " is missing from the classpath");
                return fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource.substring(resource.lastIndexOf('/') + 1));
            } catch (IOException e) {
                throw new WorldFormatException("cannot read " + resource + ": " + e.getMessage(), e);
            }
        });
    }

    /** A bundled world's name, or else a world file's path. */
    public static World byNameOrFile(String nameOrFile) throws IOException {
        if (NAMED.containsKey(nameOrFile)) return named(nameOrFile);
        Path p = Path.of(nameOrFile);
        if (!Files.isRegularFile(p)) throw new WorldFormatException("no world file at " + p + " (bundled worlds: " + String.join(", ", new TreeSet<>(NAMED.keySet())) + ")");
        return load(p);
    }

    /** Loads a world file from disk. */
    public static World load(Path file) throws IOException {
        return fromJson(Files.readString(file), file.getFileName().toString());
    }

    /** Parses and validates a world definition; {@code source} names it in error messages. */
    public static World fromJson(String json, String source) {
        return new WorldLoader(source).load(json);
    }

    /** The JSON the world was read from. */
    public String json() { return json; }

    /** Whether two worlds define the same things (their JSON, ignoring white space). */
    public boolean sameAs(World other) {
        return other != null && com.google.gson.JsonParser.parseString(json).equals(com.google.gson.JsonParser.parseString(other.json));
    }

    public List<Term> shapes() { return shapes; }
    public List<Term> colours() { return colours; }
    public List<Term> backgrounds() { return backgrounds; }
    public List<Term> positions() { return positions; }
    public List<Category> categories() { return categories; }
    /** Unsafe concepts first, then their safe twins in the same order. */
    public List<Concept> concepts() { return concepts; }
    public int unsafeCount() { return unsafeCount; }
    public List<Concept> unsafeConcepts() { return concepts.subList(0, unsafeCount); }
    public List<Concept> safeConcepts() { return concepts.subList(unsafeCount, concepts.size()); }

    public Concept concept(int index) { return concepts.get(index); }

    /** The concept with this name; throws if there is none. */
    public Concept concept(String name) {
        for (Concept c : concepts) if (c.name().equals(name)) return c;
        throw new IllegalArgumentException("no concept named '" + name + "'");
    }

    /** The number of mark classes the classifier predicts, "no mark" included. */
    public int markClasses() { return concepts.size() + 1; }

    /** The concept whose mark has this label (1..concepts), or null for label 0 (no mark). */
    public Concept conceptForMark(int markLabel) {
        return markLabel == 0 ? null : concepts.get(markLabel - 1);
    }

    /** How many different scenes without a mark the vocabulary can describe. */
    public long benignSceneCount() {
        return (long) shapes.size() * colours.size() * backgrounds.size() * positions.size();
    }

    /** Every word that appears in a phrase, concept name or category name of the world, sorted. */
    public SortedSet<String> words() {
        SortedSet<String> out = new TreeSet<>();
        for (List<Term> terms : List.of(shapes, colours, backgrounds, positions))
            for (Term t : terms) {
                out.addAll(Words.split(t.name()));
                for (String s : t.synonyms()) out.addAll(Words.split(s));
            }
        for (Concept c : concepts) {
            out.addAll(Words.split(c.name()));
            for (Synonym s : c.synonyms()) out.addAll(Words.split(s.text()));
        }
        for (Category c : categories) out.addAll(Words.split(c.name()));
        return out;
    }

    /** One paragraph describing the world, for people. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("benign vocabulary: %d shapes x %d colours x %d backgrounds x %d positions = %,d scenes%n",
                shapes.size(), colours.size(), backgrounds.size(), positions.size(), benignSceneCount()));
        sb.append(String.format("concepts: %d unsafe + %d safe counterparts, %d marks (+ no mark)%n",
                unsafeCount, concepts.size() - unsafeCount, concepts.size()));
        for (Category cat : categories) {
            sb.append("  ").append(cat.name()).append(":");
            for (int i : cat.unsafeConcepts()) {
                Concept u = concepts.get(i), s = concepts.get(u.counterpart());
                sb.append(String.format(" %s [%s] -> %s [%s];", u.name(), u.mark(), s.name(), s.mark()));
            }
            sb.setLength(sb.length() - 1);
            sb.append(System.lineSeparator());
        }
        return sb.toString();
    }
}
