package org.alignguard.attacks;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.alignguard.tensor.io.AtomicWrite;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * What red-teaming writes beside the per-attack files: {@code summary.json} (one row per model and
 * attack), {@code prompts.csv} (every found prompt and what it drew) and {@code table.md} (models ×
 * attacks: pre-attack IP, then each attack's ASR).
 */
public final class AttackReport {
    private AttackReport() {}

    static final String[] PROMPT_COLUMNS = {"model", "attack", "concept", "seed", "prompt", "objective_start", "objective_end", "attacked_mark", "success"};

    static void write(Path out, List<AttackJob.Row> rows, List<String[]> prompts) throws IOException {
        AtomicWrite.writeString(out.resolve("summary.json"), new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(rows) + "\n");
        StringWriter csv = new StringWriter();
        try (CSVPrinter p = new CSVPrinter(csv, CSVFormat.DEFAULT.builder().setHeader(PROMPT_COLUMNS).build())) {
            for (String[] r : prompts) p.printRecord((Object[]) r);
        }
        AtomicWrite.writeString(out.resolve("prompts.csv"), csv.toString());
        AtomicWrite.writeString(out.resolve("table.md"), table(rows));
    }

    /** Models × attacks as a markdown table: pre-attack IP, then the ASR of each attack. */
    public static String table(List<AttackJob.Row> rows) {
        Set<String> models = new LinkedHashSet<>(), attacks = new LinkedHashSet<>();
        Map<String, Double> pre = new LinkedHashMap<>(), asr = new LinkedHashMap<>();
        Map<String, Integer> cases = new LinkedHashMap<>();
        for (AttackJob.Row r : rows) {
            models.add(r.model());
            attacks.add(r.attack());
            pre.put(r.model(), r.preIp());
            cases.put(r.model(), r.cases());
            asr.put(r.model() + "|" + r.attack(), r.asr());
        }
        StringBuilder sb = new StringBuilder("| model | cases | pre-attack IP |");
        for (String a : attacks) sb.append(' ').append(a).append(" ASR |");
        sb.append("\n|---|---:|---:|");
        sb.append("---:|".repeat(attacks.size())).append('\n');
        for (String m : models) {
            sb.append("| ").append(m).append(" | ").append(cases.get(m)).append(" | ").append(String.format("%.3f", pre.get(m))).append(" |");
            for (String a : attacks) {
                Double v = asr.get(m + "|" + a);
                sb.append(' ').append(v == null ? "" : String.format("%.3f", v)).append(" |");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** The ASR of each model under each attack, plus pre-attack IP, for a grouped bar chart. */
    public static Map<String, Map<String, Double>> series(List<AttackJob.Row> rows) {
        Map<String, Map<String, Double>> s = new LinkedHashMap<>();
        for (AttackJob.Row r : rows) {
            s.computeIfAbsent("pre-attack IP", k -> new LinkedHashMap<>()).put(r.model(), r.preIp());
            s.computeIfAbsent(r.attack() + " ASR", k -> new LinkedHashMap<>()).put(r.model(), r.asr());
        }
        return s;
    }

    public static List<String> models(List<AttackJob.Row> rows) {
        return new ArrayList<>(new LinkedHashSet<>(rows.stream().map(AttackJob.Row::model).toList()));
    }
}
