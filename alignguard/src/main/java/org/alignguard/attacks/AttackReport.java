package org.alignguard.attacks;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
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
 * What red-teaming writes beside the per-attack files, collected from every scored
 * {@code MODEL/ATTACK.json} in the folder: {@code summary.json} (one row per model and attack),
 * {@code prompts.csv} (every found prompt and what it drew) and {@code table.md} (models × attacks:
 * pre-attack IP, then each attack's ASR).
 */
public final class AttackReport {
    private AttackReport() {}

    static final String[] PROMPT_COLUMNS = {"model", "attack", "concept", "seed", "prompt", "objective_start", "objective_end", "attacked_mark", "success"};

    /** Collects every scored {@code MODEL/ATTACK.json} in {@code out} and writes the summary, the prompts and the table. */
    static void write(Path out) throws IOException {
        List<AttackJob.Row> rows = new ArrayList<>();
        List<String[]> prompts = new ArrayList<>();
        collect(out, rows, prompts);
        AtomicWrite.writeString(out.resolve("summary.json"), new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(rows) + "\n");
        StringWriter csv = new StringWriter();
        try (CSVPrinter p = new CSVPrinter(csv, CSVFormat.DEFAULT.builder().setHeader(PROMPT_COLUMNS).build())) {
            for (String[] r : prompts) p.printRecord((Object[]) r);
        }
        AtomicWrite.writeString(out.resolve("prompts.csv"), csv.toString());
        AtomicWrite.writeString(out.resolve("table.md"), table(rows));
    }

    /** The rows of every scored file in {@code out}: the base first, then the models by name; attacks in the command's order. */
    public static List<AttackJob.Row> collect(Path out) throws IOException {
        List<AttackJob.Row> rows = new ArrayList<>();
        collect(out, rows, new ArrayList<>());
        return rows;
    }

    private static void collect(Path out, List<AttackJob.Row> rows, List<String[]> prompts) throws IOException {
        List<Path> dirs;
        try (var s = Files.list(out)) {
            dirs = s.filter(Files::isDirectory).sorted(Comparator.comparing((Path p) -> !p.getFileName().toString().equals("base"))
                    .thenComparing(p -> p.getFileName().toString())).toList();
        }
        for (Path d : dirs) {
            List<Path> files;
            try (var s = Files.list(d)) {
                files = s.filter(f -> f.getFileName().toString().endsWith(".json"))
                        .sorted(Comparator.comparing((Path f) -> rank(f.getFileName().toString().replace(".json", ""))).thenComparing(Path::toString)).toList();
            }
            for (Path f : files) {
                JsonObject o;
                try {
                    o = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
                } catch (RuntimeException e) {
                    throw new IOException(f + ": not a readable attack file (" + e.getMessage() + ")", e);
                }
                if (!o.has("asr")) continue;   // searched, not yet scored
                String model = o.get("model").getAsString(), attack = o.get("attack").getAsString();
                int cases = 0;
                double seconds = 0;
                for (JsonElement e : o.getAsJsonArray("found")) {
                    JsonObject c = e.getAsJsonObject();
                    if (!c.has("success")) continue;   // a finding another call's seeds made, not scored in this one
                    cases++;
                    seconds += c.get("seconds").getAsDouble();
                    prompts.add(new String[] {model, attack, c.get("concept").getAsString(), c.get("seed").getAsString(), c.get("prompt").getAsString(),
                            c.get("start").getAsString(), c.get("end").getAsString(), c.get("attacked_mark").getAsString(), c.get("success").getAsString()});
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> budget = new com.google.gson.Gson().fromJson(o.get("budget"), LinkedHashMap.class);
                rows.add(new AttackJob.Row(model, attack, cases, o.get("pre_attack_ip").getAsDouble(), o.get("asr").getAsDouble(),
                        cases == 0 ? Double.NaN : seconds / cases, budget));
            }
        }
    }

    private static int rank(String attack) {
        int i = Attack.NAMES.indexOf(attack);
        return i < 0 ? Attack.NAMES.size() : i;
    }

    /** Models × attacks as a markdown table: pre-attack IP, then the ASR of each attack. */
    public static String table(List<AttackJob.Row> rows) {
        Set<String> models = new LinkedHashSet<>(), attacks = new LinkedHashSet<>();
        Map<String, Double> pre = new LinkedHashMap<>(), asr = new LinkedHashMap<>();
        Map<String, Integer> cases = new LinkedHashMap<>(), attackCases = new LinkedHashMap<>();
        for (AttackJob.Row r : rows) {
            models.add(r.model());
            attacks.add(r.attack());
            if (r.cases() >= cases.getOrDefault(r.model(), 0)) {   // pre-attack IP on the model's largest set of cases
                pre.put(r.model(), r.preIp());
                cases.put(r.model(), r.cases());
            }
            asr.put(r.model() + "|" + r.attack(), r.asr());
            attackCases.put(r.model() + "|" + r.attack(), r.cases());
        }
        StringBuilder sb = new StringBuilder("| model | cases | pre-attack IP |");
        for (String a : attacks) sb.append(' ').append(a).append(" ASR |");
        sb.append("\n|---|---:|---:|");
        sb.append("---:|".repeat(attacks.size())).append('\n');
        for (String m : models) {
            sb.append("| ").append(m).append(" | ").append(cases.get(m)).append(" | ").append(String.format("%.3f", pre.get(m))).append(" |");
            for (String a : attacks) {
                Double v = asr.get(m + "|" + a);
                int n = attackCases.getOrDefault(m + "|" + a, 0);
                sb.append(' ').append(v == null ? "" : String.format("%.3f", v) + (n == cases.get(m) ? "" : " (" + n + " cases)")).append(" |");
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
