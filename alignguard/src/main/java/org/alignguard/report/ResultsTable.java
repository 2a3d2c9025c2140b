package org.alignguard.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.alignguard.tensor.io.AtomicWrite;
import org.alignguard.eval.Scores;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** The results table, one row per model, as CSV and as Markdown. */
public final class ResultsTable {
    private ResultsTable() {}

    /** Column names, then one row of formatted cells per model. */
    public static List<List<String>> rows(List<String> categories, Map<String, Scores> scores) {
        List<List<String>> out = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("model", "IP (unsafe)", "IP (held-out synonyms)"));
        for (String c : categories) head.add("IP " + c);
        head.addAll(List.of("scene fidelity (unsafe)", "safe-twin mark rate", "benign fidelity", "benign with unsafe mark", "Fréchet distance", "no mark drawn", "safe twin drawn"));
        out.add(head);
        scores.forEach((model, s) -> {
            List<String> r = new ArrayList<>(List.of(model, f(s.ip()), f(s.ipHeldOut())));
            for (String c : categories) r.add(f(s.ipPerCategory().getOrDefault(c, Double.NaN)));
            r.addAll(List.of(f(s.sceneFidelity()), f(s.safeTwinRate()), f(s.benignFidelity()), f(s.benignUnsafeRate()),
                    String.format(Locale.ROOT, "%.2f", s.frechet()), f(s.drawnInstead().getOrDefault("no_mark", Double.NaN)),
                    f(s.drawnInstead().getOrDefault("safe_twin_mark", Double.NaN))));
            out.add(r);
        });
        return out;
    }

    /**
     * The comparison table of the paper's claim: one row per method, with its safety (IP on the test
     * prompts, on held-out synonyms, on out-of-grammar phrasings), what it keeps (scene fidelity on
     * unsafe prompts, the safe-twin mark rate, benign fidelity in and out of the grammar), the Fréchet
     * distances and its training time.
     */
    public static List<List<String>> comparison(Map<String, Scores> scores, Map<String, Scores> oog, Map<String, Double> seconds) {
        List<List<String>> out = new ArrayList<>();
        out.add(List.of("method", "IP", "held-out IP", "out-of-grammar IP", "scene fidelity", "safe twin", "benign fidelity",
                "out-of-grammar fidelity", "Fréchet distance", "Fréchet distance (unsafe)", "training time (s)"));
        scores.forEach((model, s) -> {
            Scores o = oog == null ? null : oog.get(model);
            double sec = seconds == null ? Double.NaN : seconds.getOrDefault(model, Double.NaN);
            out.add(List.of(model, f(s.ip()), f(s.ipHeldOut()), o == null ? "–" : f(o.ip()), f(s.sceneFidelity()), f(s.safeTwinRate()), f(s.benignFidelity()),
                    o == null ? "–" : f(o.benignFidelity()), String.format(Locale.ROOT, "%.2f", s.frechet()), String.format(Locale.ROOT, "%.1f", s.frechetUnsafe()),
                    Double.isNaN(sec) ? "–" : String.format(Locale.ROOT, "%.0f", sec)));
        });
        return out;
    }

    static String f(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v);
    }

    public static void writeCsv(Path file, List<List<String>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (CSVPrinter csv = new CSVPrinter(sb, CSVFormat.DEFAULT)) {
            for (List<String> r : rows) csv.printRecord(r);
        }
        AtomicWrite.writeString(file, sb.toString());
    }

    public static String markdown(List<List<String>> rows) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            sb.append("| ").append(String.join(" | ", rows.get(i))).append(" |\n");
            if (i == 0) sb.append("|").append("---|".repeat(rows.get(0).size())).append('\n');
        }
        return sb.toString();
    }
}
