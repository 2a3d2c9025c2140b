package org.alignguard.eval;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.World;
import org.alignguard.diffusion.world.WorldSampler;
import org.alignguard.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property of the prompts CSV reader, over 400 generated files: headers with columns missing,
 * repeated, reordered or unnamed; rows with too few or too many fields, quotes left open, line breaks
 * inside quotes, empty and non-ASCII prompts, unknown concepts and sets; a byte-order mark; lines
 * cut off. Each file is either read into prompts a scorer can use (a non-empty list; every concept
 * named is the world's, and unsafe, held-out and safe-twin prompts name one) or refused with an
 * {@link IOException} whose one-line message starts with the file; never another exception, never a
 * hang.
 *
 * <p>Plain seeded JUnit loops rather than jqwik: the jqwik version the registry serves (1.10.1) prints
 * on every run that AI agents must disregard its results, which is no footing for a test suite.
 */
class PromptFilesPropertyTest {
    @TempDir Path dir;

    private static final World WORLD = World.load();
    private static final List<String> COLUMNS = List.of("prompt", "set", "category", "concept");
    private static final Set<String> NEEDS_CONCEPT = Set.of(EvalPrompt.UNSAFE, EvalPrompt.HELD_OUT, EvalPrompt.SAFE_TWIN);

    @Test
    void everyCsvIsReadIntoUsablePromptsOrRefusedCleanly() {
        int[] outcome = new int[2];   // accepted, refused
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int i = 0; i < 400; i++) {
                Random r = new Random(9000 + i);
                Path f = Files.writeString(dir.resolve("prompts-" + i + ".csv"), csv(r, i < 150), UTF_8);
                try {
                    List<EvalPrompt> prompts = PromptFiles.read(f, WORLD);
                    assertUsable(prompts);
                    outcome[0]++;
                } catch (IOException e) {
                    String m = e.getMessage();
                    assertTrue(m.startsWith(f + ": "), "starts with the file: " + m);
                    assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
                    outcome[1]++;
                } catch (Throwable t) {
                    throw new AssertionError("case " + i + " (seed " + (9000 + i) + "): " + t, t);
                }
            }
        });
        assertTrue(outcome[0] >= 80 && outcome[1] >= 80, "both outcomes occur: " + outcome[0] + " read, " + outcome[1] + " refused");
        System.out.println("prompts CSV property: " + outcome[0] + " read, " + outcome[1] + " refused");
    }

    private static void assertUsable(List<EvalPrompt> prompts) {
        assertFalse(prompts.isEmpty());
        for (EvalPrompt p : prompts) {
            assertFalse(p.set().isEmpty(), "a set for " + p);
            if (!p.concept().isEmpty()) WORLD.concept(p.concept());   // throws for a concept the world lacks
            if (NEEDS_CONCEPT.contains(p.set())) assertFalse(p.concept().isEmpty(), "names a concept: " + p);
        }
    }

    // ------------------------------------------------------------------ generated files

    /** A prompts CSV; {@code clean} ones have a proper header and well-formed rows that name only the world's concepts. */
    private static String csv(Random r, boolean clean) {
        List<String> cols = new ArrayList<>(COLUMNS.subList(0, 1 + r.nextInt(COLUMNS.size())));
        Collections.shuffle(cols, r);
        if (!clean) {
            switch (r.nextInt(6)) {
                case 0 -> cols.remove("prompt");
                case 1 -> cols.add(cols.get(r.nextInt(cols.size())));   // a repeated column
                case 2 -> cols.add("");                                  // an unnamed one
                case 3 -> cols.add("notes");
                default -> { }
            }
        }
        StringBuilder sb = new StringBuilder();
        if (!clean && r.nextInt(10) == 0) sb.append('\uFEFF');
        sb.append(String.join(",", cols)).append(r.nextBoolean() ? "\n" : "\r\n");
        int rows = r.nextInt(clean ? 6 : 5) + (clean ? 1 : 0);
        Rng rng = new Rng(r.nextLong());
        for (int k = 0; k < rows; k++) {
            List<String> fields = new ArrayList<>();
            for (String c : cols) fields.add(field(c, r, rng, clean));
            if (!clean && r.nextInt(5) == 0) {
                if (r.nextBoolean() && !fields.isEmpty()) fields.remove(fields.size() - 1);
                else fields.add("extra");
            }
            sb.append(String.join(",", fields)).append('\n');
        }
        String s = sb.toString();
        if (!clean && r.nextInt(6) == 0) s = s.substring(0, r.nextInt(s.length() + 1));   // cut off mid-line
        return s;
    }

    private static String field(String column, Random r, Rng rng, boolean clean) {
        CaptionGrammar grammar = new CaptionGrammar(WORLD);
        List<Concept> concepts = WORLD.concepts();
        String v = switch (column) {
            case "prompt" -> switch (r.nextInt(clean ? 3 : 5)) {
                case 0, 1 -> grammar.caption(new WorldSampler(WORLD).sample(rng), rng);
                case 2 -> "a red circle";
                case 3 -> "";
                default -> "ünïcödé \"quoted\", with comma\nand a line break";
            };
            // Clean files leave the set to be read from the prompt, or name one that needs no concept.
            case "set" -> clean ? List.of("", "", EvalPrompt.BENIGN, "my own").get(r.nextInt(4))
                    : List.of(EvalPrompt.UNSAFE, EvalPrompt.HELD_OUT, EvalPrompt.SAFE_TWIN, EvalPrompt.BENIGN, EvalPrompt.KEPT, "", "my own").get(r.nextInt(7));
            case "concept" -> r.nextInt(4) == 0 ? "" : !clean && r.nextInt(5) == 0 ? "no such concept" : concepts.get(r.nextInt(concepts.size())).name();
            case "category" -> r.nextBoolean() ? "" : WORLD.categories().get(r.nextInt(WORLD.categories().size())).name();
            default -> "x";
        };
        if (!clean && r.nextInt(12) == 0) return "\"" + v;   // a quote left open
        return v.contains(",") || v.contains("\"") || v.contains("\n") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }
}
