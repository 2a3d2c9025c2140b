package org.alignguard.eval;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.alignguard.tensor.io.AtomicWrite;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.ParsedPrompt;
import org.alignguard.diffusion.world.World;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * Prompt sets as CSV: a {@code prompt} column, and optionally {@code set}, {@code category} and
 * {@code concept}. What a row leaves out is read from the prompt: a prompt naming an unsafe concept
 * is an {@code unsafe} prompt of that concept's category, one naming a safe concept a
 * {@code safe_twin} prompt, one naming none a {@code benign} prompt. So a user's own prompts, in any
 * phrasing, are scored the same way as the built-in sets.
 */
public final class PromptFiles {
    private PromptFiles() {}

    /** Reads a prompt CSV; errors name the file and the line. */
    public static List<EvalPrompt> read(Path file, World world) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("no prompts CSV at " + file);
        return read(file, world, file.toString());
    }

    /** Reads a prompt CSV from any readable file (a pipe too); errors name it as {@code name} and give the line. */
    public static List<EvalPrompt> read(Path path, World world, String name) throws IOException {
        String file = name;   // how errors name it
        CaptionGrammar grammar = new CaptionGrammar(world);
        List<EvalPrompt> out = new ArrayList<>();
        CSVFormat fmt = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true).get();
        try (Reader r = Files.newBufferedReader(path); var parser = fmt.parse(r)) {
            var header = parser.getHeaderMap();
            if (!header.containsKey("prompt")) throw new IOException(file + ": no 'prompt' column in the header " + parser.getHeaderNames());
            for (CSVRecord rec : parser) {
                if (!rec.isConsistent())
                    throw new IOException(file + ": line " + rec.getRecordNumber() + " has " + rec.size() + " fields, the header has " + parser.getHeaderNames().size());
                String prompt = rec.get("prompt");
                String set = header.containsKey("set") ? rec.get("set") : "", category = header.containsKey("category") ? rec.get("category") : "";
                String concept = header.containsKey("concept") ? rec.get("concept") : "";
                ParsedPrompt p = grammar.parse(prompt);
                Concept c = null;
                if (!concept.isEmpty()) {
                    try {
                        c = world.concept(concept);
                    } catch (IllegalArgumentException e) {
                        throw new IOException(file + ": line " + rec.getRecordNumber() + ": " + e.getMessage());
                    }
                } else if (p.namesConcept()) c = world.concept(p.concept());
                if (set.isEmpty()) set = c == null ? EvalPrompt.BENIGN : c.unsafe() ? EvalPrompt.UNSAFE : EvalPrompt.SAFE_TWIN;
                if (category.isEmpty() && c != null) category = c.category();
                if ((set.equals(EvalPrompt.UNSAFE) || set.equals(EvalPrompt.HELD_OUT) || set.equals(EvalPrompt.SAFE_TWIN)) && c == null)
                    throw new IOException(file + ": line " + rec.getRecordNumber() + ": a '" + set + "' prompt must name a concept: \"" + prompt.replace("\r", "\\r").replace("\n", "\\n") + "\"");   // one line, even for a quoted line break
                out.add(new EvalPrompt(set, category, c == null ? "" : c.name(), prompt));
            }
        } catch (java.io.UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
            throw new IOException(file + ": malformed CSV: " + e.getMessage().replace('\n', ' '), e);
        }
        if (out.isEmpty()) throw new IOException(file + ": no prompts");
        return out;
    }

    /** The prompts as a CSV that {@link #read} reads back (set, category, concept, prompt): a data folder's {@code test_prompts.csv}. */
    public static void writePrompts(Path file, List<EvalPrompt> prompts) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (CSVPrinter csv = new CSVPrinter(sb, CSVFormat.DEFAULT.builder().setHeader("set", "category", "concept", "prompt").get())) {
            for (EvalPrompt t : prompts) csv.printRecord(t.set(), t.category(), t.concept(), t.prompt());
        }
        AtomicWrite.writeString(file, sb.toString());
    }

    /** One row per image: the prompt, its seed, what it names and what the classifier saw. */
    public static void writeDetails(Path file, List<ImageResult> results, World world) throws IOException {
        CaptionGrammar grammar = new CaptionGrammar(world);
        StringBuilder sb = new StringBuilder();
        try (CSVPrinter csv = new CSVPrinter(sb, CSVFormat.DEFAULT.builder().setHeader("set", "category", "concept", "prompt", "seed", "row",
                "named_shape", "named_colour", "named_background", "named_position", "named_concept",
                "seen_shape", "seen_colour", "seen_background", "seen_position", "seen_mark", "unsafe_mark_seen", "attributes_match", "refused").get())) {
            for (ImageResult r : results) {
                ParsedPrompt p = grammar.parse(r.prompt().prompt());
                int[] y = r.seen();
                Concept seen = world.conceptForMark(y[4]);
                csv.printRecord(r.prompt().set(), r.prompt().category(), r.prompt().concept(), r.prompt().prompt(), r.seed(), r.row(),
                        name(world.shapes(), p.shape()), name(world.colours(), p.colour()), name(world.backgrounds(), p.background()), name(world.positions(), p.position()),
                        p.namesConcept() ? world.concept(p.concept()).name() : "",
                        name(world.shapes(), y[0]), name(world.colours(), y[1]), name(world.backgrounds(), y[2]), name(world.positions(), y[3]),
                        seen == null ? "" : seen.name(), seen != null && seen.unsafe(), Scoring.attributesMatch(p, y), r.refused());
            }
        }
        AtomicWrite.writeString(file, sb.toString());
    }

    private static String name(List<org.alignguard.diffusion.world.Term> terms, int i) {
        return i < 0 ? "" : terms.get(i).name();
    }
}
