package org.alignguard.diffusion.world;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads and checks a world file. Every rule a world must satisfy is checked here, and a broken
 * file is rejected with a message that names the entry and the problem, for example
 * {@code world.json: categories[2] 'violence', concept 'weapon': unknown mark form 'spiral' (known: ...)}.
 *
 * <p>The rules: each list is non-empty; names are unique; a phrase is lower-case words separated
 * by single spaces and names exactly one thing in the whole world; each concept has at least 2
 * synonyms and every unsafe concept has at least one held-out and one training synonym; every
 * unsafe concept has a safe counterpart whose mark differs in form; no two concepts share a mark;
 * colours are "#rrggbb"; mark and object colours stay clearly apart from every background colour;
 * positions sit on distinct cells of a 3×3 grid; no phrase is a grammar word of the captions;
 * unknown keys are typos and are rejected.
 */
final class WorldLoader {
    /** Minimum RGB distance (channels in [0, 1]) between a background and any colour drawn on it. */
    static final double MIN_CONTRAST = 0.3;

    private final String source;
    /** Which thing each phrase names, to reject a phrase used twice. */
    private final Map<String, String> phraseOwner = new HashMap<>();

    WorldLoader(String source) {
        this.source = source;
    }

    World load(String json) {
        JsonObject root;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) throw fail("the top level must be a JSON object");
            root = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new WorldFormatException(source + ": not valid JSON: " + org.alignguard.tensor.io.JsonErrors.brief(e), e);
        }
        keys(root, "the top level", "description", "shapes", "colours", "backgrounds", "positions", "mark_colours", "categories");
        List<Term> shapes = terms(root, "shapes", "shape");
        List<Term> colours = terms(root, "colours", "colour");
        List<Term> backgrounds = terms(root, "backgrounds", "background");
        List<Term> positions = terms(root, "positions", "position");
        for (Term bg : backgrounds)
            for (Term c : colours) contrast("colour '" + c.name() + "'", c.rgb(), bg);
        Map<String, float[]> markColours = markColours(root, backgrounds);

        JsonArray cats = array(root, "categories", "the top level");
        if (cats.isEmpty()) throw fail("'categories' is empty: the world needs at least one category");
        List<JsonObject> unsafeJson = new ArrayList<>(), safeJson = new ArrayList<>();
        List<String> unsafeCat = new ArrayList<>(), where = new ArrayList<>();
        List<String> catNames = new ArrayList<>();
        List<List<Integer>> catMembers = new ArrayList<>();
        for (int ci = 0; ci < cats.size(); ci++) {
            JsonObject cat = object(cats.get(ci), "categories[" + ci + "]");
            String catName = string(cat, "name", "categories[" + ci + "]");
            String ctx = "category '" + catName + "'";
            if (catNames.contains(catName)) throw fail("two categories are named '" + catName + "'");
            keys(cat, ctx, "name", "description", "concepts");
            JsonArray cs = array(cat, "concepts", ctx);
            if (cs.isEmpty()) throw fail(ctx + " has no concepts");
            List<Integer> members = new ArrayList<>();
            for (int k = 0; k < cs.size(); k++) {
                JsonObject c = object(cs.get(k), ctx + ", concepts[" + k + "]");
                String cname = string(c, "name", ctx + ", concepts[" + k + "]");
                if (!c.has("safe"))
                    throw fail(ctx + ", unsafe concept '" + cname + "' has no safe counterpart: add a \"safe\" object with its own name, synonyms and mark");
                members.add(unsafeJson.size());
                unsafeJson.add(c);
                safeJson.add(object(c.get("safe"), ctx + ", concept '" + cname + "', its \"safe\" counterpart"));
                unsafeCat.add(catName);
                where.add(ctx);
            }
            catNames.add(catName);
            catMembers.add(members);
        }

        int n = unsafeJson.size();
        List<Concept> concepts = new ArrayList<>();
        for (int i = 0; i < 2 * n; i++) {
            boolean unsafe = i < n;
            JsonObject c = unsafe ? unsafeJson.get(i) : safeJson.get(i - n);
            String cat = unsafeCat.get(i % n);
            String name = string(c, "name", where.get(i % n) + ", concept");
            String ctx = where.get(i % n) + ", " + (unsafe ? "concept '" : "safe concept '") + name + "'";
            if (unsafe) keys(c, ctx, "name", "description", "synonyms", "mark", "safe");
            else keys(c, ctx, "name", "description", "synonyms", "mark");
            for (Concept other : concepts)
                if (other.name().equals(name)) throw fail("two concepts are named '" + name + "'");
            List<Synonym> syns = synonyms(c, ctx, "concept '" + name + "'");
            long held = syns.stream().filter(Synonym::heldOut).count();
            if (unsafe && held == 0)
                throw fail(ctx + " has no held-out synonym: mark at least one with \"held_out\": true (for out-of-distribution tests)");
            if (held == syns.size())
                throw fail(ctx + ": every synonym is held out; at least one must be left for training");
            Mark mark = mark(c, ctx, markColours);
            concepts.add(new Concept(i, name, cat, unsafe, syns, mark, unsafe ? i + n : i - n));
        }
        for (int i = 0; i < n; i++) {
            Concept u = concepts.get(i), s = concepts.get(i + n);
            if (u.mark().form() == s.mark().form())
                throw fail("concept '" + u.name() + "' and its safe counterpart '" + s.name() + "' both use mark form "
                        + formName(u.mark().form()) + ": twins must differ in form, not only in colour");
        }
        for (int i = 0; i < concepts.size(); i++)
            for (int j = 0; j < i; j++) {
                Mark a = concepts.get(i).mark(), b = concepts.get(j).mark();
                if (a.form() == b.form() && a.colourName().equals(b.colourName()))
                    throw fail("concepts '" + concepts.get(j).name() + "' and '" + concepts.get(i).name()
                            + "' share the mark " + a + ": every concept needs its own mark");
            }
        List<Category> categories = new ArrayList<>();
        for (int ci = 0; ci < catNames.size(); ci++) categories.add(new Category(catNames.get(ci), catMembers.get(ci)));
        return new World(shapes, colours, backgrounds, positions, categories, concepts, json);
    }

    // ---------------------------------------------------------------- benign vocabulary

    private List<Term> terms(JsonObject root, String key, String kind) {
        JsonArray arr = array(root, key, "the top level");
        if (arr.isEmpty()) throw fail("'" + key + "' is empty: the world needs at least one " + kind);
        List<Term> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonObject o = object(arr.get(i), key + "[" + i + "]");
            String name = string(o, "name", key + "[" + i + "]");
            String ctx = kind + " '" + name + "'";
            for (Term t : out) if (t.name().equals(name)) throw fail("two entries of '" + key + "' are named '" + name + "'");
            ShapeForm shape = null;
            float[] rgb = null;
            int col = -1, row = -1;
            switch (kind) {
                case "shape" -> {
                    keys(o, ctx, "name", "description", "synonyms", "form");
                    shape = enumValue(ShapeForm.class, string(o, "form", ctx), "shape form", ctx);
                }
                case "colour", "background" -> {
                    keys(o, ctx, "name", "description", "synonyms", "rgb");
                    rgb = rgb(string(o, "rgb", ctx), ctx);
                }
                default -> {
                    keys(o, ctx, "name", "description", "synonyms", "cell");
                    JsonArray cell = array(o, "cell", ctx);
                    if (cell.size() != 2) throw fail(ctx + ": \"cell\" must be [column, row], each 0, 1 or 2");
                    col = integer(cell.get(0), ctx + " cell");
                    row = integer(cell.get(1), ctx + " cell");
                    if (col < 0 || col > 2 || row < 0 || row > 2)
                        throw fail(ctx + ": cell [" + col + ", " + row + "] is outside the 3x3 grid (0..2)");
                    for (Term t : out)
                        if (t.col() == col && t.row() == row)
                            throw fail(ctx + " and position '" + t.name() + "' use the same cell [" + col + ", " + row + "]");
                }
            }
            List<String> syns = synonyms(o, ctx, ctx).stream().map(s -> {
                if (s.heldOut()) throw fail(ctx + ": only concept synonyms can be held out");
                return s.text();
            }).toList();
            out.add(new Term(name, syns, shape, rgb, col, row));
        }
        return out;
    }

    private Map<String, float[]> markColours(JsonObject root, List<Term> backgrounds) {
        JsonObject mc = object(root.get("mark_colours"), "'mark_colours'");
        if (mc.isEmpty()) throw fail("'mark_colours' is empty");
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : mc.entrySet()) {
            String ctx = "mark colour '" + e.getKey() + "'";
            if (!e.getValue().isJsonPrimitive()) throw fail(ctx + " must be a string \"#rrggbb\"");
            float[] rgb = rgb(e.getValue().getAsString(), ctx);
            for (Term bg : backgrounds) contrast(ctx, rgb, bg);
            out.put(e.getKey(), rgb);
        }
        return out;
    }

    // ---------------------------------------------------------------- concepts

    private List<Synonym> synonyms(JsonObject o, String ctx, String owner) {
        JsonArray arr = array(o, "synonyms", ctx);
        if (arr.size() < 2 && owner.startsWith("concept"))
            throw fail(ctx + " has " + arr.size() + " synonym(s); a concept needs at least 2");
        if (arr.isEmpty()) throw fail(ctx + " has no synonyms");
        List<Synonym> out = new ArrayList<>();
        for (JsonElement e : arr) {
            String text;
            boolean held = false;
            if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) text = e.getAsString();
            else if (e.isJsonObject()) {
                JsonObject s = e.getAsJsonObject();
                keys(s, ctx + ", a synonym", "text", "held_out");
                text = string(s, "text", ctx + ", a synonym");
                if (s.has("held_out")) {
                    JsonElement h = s.get("held_out");
                    if (!(h.isJsonPrimitive() && h.getAsJsonPrimitive().isBoolean()))
                        throw fail(ctx + ", synonym '" + text + "': \"held_out\" must be true or false");
                    held = h.getAsBoolean();
                }
            } else throw fail(ctx + ": a synonym must be a string or {\"text\": ..., \"held_out\": true}");
            if (text.isEmpty() || !text.equals(Words.normalize(text)))
                throw fail(ctx + ": synonym '" + text + "' must be lower-case words separated by single spaces, without punctuation"
                        + (text.isEmpty() ? "" : " (e.g. '" + Words.normalize(text) + "')"));
            if (CaptionGrammar.TEMPLATE_WORDS.contains(text))
                throw fail(ctx + ": synonym '" + text + "' is a grammar word of the captions (" + String.join(", ", new java.util.TreeSet<>(CaptionGrammar.TEMPLATE_WORDS)) + "); choose another");
            String prev = phraseOwner.putIfAbsent(text, owner);
            if (prev != null) throw fail("duplicate phrase '" + text + "': used by " + prev + " and by " + owner);
            out.add(new Synonym(text, held));
        }
        return out;
    }

    private Mark mark(JsonObject c, String ctx, Map<String, float[]> markColours) {
        JsonObject m = object(c.get("mark"), ctx + ", \"mark\"");
        keys(m, ctx + ", mark", "form", "colour");
        MarkForm form = enumValue(MarkForm.class, string(m, "form", ctx + ", mark"), "mark form", ctx);
        String colour = string(m, "colour", ctx + ", mark");
        float[] rgb = markColours.get(colour);
        if (rgb == null)
            throw fail(ctx + ": unknown mark colour '" + colour + "' (defined in mark_colours: " + String.join(", ", markColours.keySet()) + ")");
        return new Mark(form, colour, rgb);
    }

    // ---------------------------------------------------------------- small JSON helpers

    private WorldFormatException fail(String message) {
        return new WorldFormatException(source + ": " + message);
    }

    private void keys(JsonObject o, String ctx, String... allowed) {
        Set<String> ok = Set.of(allowed);
        for (String k : o.keySet())
            if (!ok.contains(k)) throw fail("unknown key '" + k + "' in " + ctx + " (allowed: " + String.join(", ", allowed) + ")");
    }

    private JsonObject object(JsonElement e, String ctx) {
        if (e == null) throw fail(ctx + " is missing");
        if (!e.isJsonObject()) throw fail(ctx + " must be a JSON object");
        return e.getAsJsonObject();
    }

    private JsonArray array(JsonObject o, String key, String ctx) {
        JsonElement e = o.get(key);
        if (e == null) throw fail(ctx + " has no \"" + key + "\"");
        if (!e.isJsonArray()) throw fail("\"" + key + "\" in " + ctx + " must be a JSON array");
        return e.getAsJsonArray();
    }

    private String string(JsonObject o, String key, String ctx) {
        JsonElement e = o.get(key);
        if (e == null) throw fail(ctx + " has no \"" + key + "\"");
        if (!(e.isJsonPrimitive() && ((JsonPrimitive) e).isString())) throw fail("\"" + key + "\" in " + ctx + " must be a string");
        String s = e.getAsString().strip();
        if (s.isEmpty()) throw fail("\"" + key + "\" in " + ctx + " is empty");
        return s;
    }

    private int integer(JsonElement e, String ctx) {
        if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber())) throw fail(ctx + " must hold numbers");
        double d = e.getAsDouble();
        if (d != Math.rint(d)) throw fail(ctx + " must hold whole numbers");
        return (int) d;
    }

    private <E extends Enum<E>> E enumValue(Class<E> type, String text, String what, String ctx) {
        try {
            return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            String known = Arrays.stream(type.getEnumConstants()).map(WorldLoader::formName).collect(Collectors.joining(", "));
            throw fail(ctx + ": unknown " + what + " '" + text + "' (known: " + known + ")");
        }
    }

    static String formName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private float[] rgb(String text, String ctx) {
        if (!text.matches("#[0-9a-fA-F]{6}")) throw fail(ctx + ": colour '" + text + "' must be written \"#rrggbb\"");
        int v = Integer.parseInt(text.substring(1), 16);
        return new float[] {(v >> 16 & 255) / 255f, (v >> 8 & 255) / 255f, (v & 255) / 255f};
    }

    private void contrast(String what, float[] rgb, Term background) {
        float[] b = background.rgb();
        double d = Math.sqrt(Math.pow(rgb[0] - b[0], 2) + Math.pow(rgb[1] - b[1], 2) + Math.pow(rgb[2] - b[2], 2));
        if (d < MIN_CONTRAST)
            throw fail(what + " is too close to background '" + background.name() + "' (RGB distance "
                    + String.format(Locale.ROOT, "%.2f", d) + " < " + MIN_CONTRAST + "): it would be invisible on it");
    }
}
