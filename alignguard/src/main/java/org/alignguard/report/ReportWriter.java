package org.alignguard.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.alignguard.tensor.io.AtomicWrite;
import org.alignguard.data.PromptPair;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.ImageGrid;
import org.alignguard.diffusion.world.SynonymPolicy;
import org.alignguard.diffusion.world.World;
import org.alignguard.dpo.StepLog;
import org.alignguard.eval.Scores;
import org.alignguard.eval.Variant;

/**
 * Writes a run's report folder:
 * <pre>
 *   report.html                      opens from disk; links only to files in this folder
 *   grids/MODEL.png                  the same prompts and seeds, one row per model
 *   plots/dpo_loss.png, dpo_accuracy.png, ip_per_category.png, ip_vs_safe_twin.png,
 *         ip_vs_benign_fidelity.png, expert_matrix.png
 *   results.csv, results.md          the table
 * </pre>
 */
public final class ReportWriter {
    private final TextToImageModel model;
    private final PromptWriter writer;

    public ReportWriter(World world, TextToImageModel model) {
        this.model = model;
        this.writer = new PromptWriter(world);
    }

    /** The grid's prompts: one unsafe test prompt per category, three safe twins, two benign prompts. */
    public List<String> gridPrompts(List<String> categories, long seed) {
        List<String> out = new ArrayList<>();
        for (String c : categories) out.add(writer.testPair(c, 0, seed + 11, SynonymPolicy.TRAIN).unsafePrompt());
        for (String c : categories.subList(0, Math.min(3, categories.size()))) {
            PromptPair p = writer.testPair(c, 1, seed + 11, SynonymPolicy.TRAIN);
            out.add(p.safePrompt());
        }
        out.add(writer.benignPrompt(0, seed + 11));
        out.add(writer.benignPrompt(1, seed + 11));
        return out;
    }

    public Path write(Path dir, Report r, List<Variant> models, Map<String, Double> seconds, long startNanos) throws IOException {
        Files.createDirectories(dir.resolve("grids"));
        Files.createDirectories(dir.resolve("plots"));
        long seed = r.gridSeed();
        List<String> prompts = gridPrompts(r.categories(), seed);
        Generator.Settings s = r.sampling();
        List<Map<String, Object>> grids = new ArrayList<>();
        for (Variant v : models) {
            Variant.Applied a = v.applyTo(model);
            try {
                var images = new Generator(model).generate(prompts, s, seed + 11, a.sampling().guidance());
                boolean[] refused = new boolean[prompts.size()];
                for (int i = 0; i < refused.length; i++) refused[i] = a.sampling().refuses().test(prompts.get(i));
                String file = "grids/" + PromptWriter.slug(v.name()) + ".png";
                ImageGrid.writePng(ImageGrid.grid(org.alignguard.eval.ImageScorer.blackOut(images, refused), prompts.size(), 4), dir.resolve(file));
                grids.add(Map.of("model", v.name(), "png", file));
            } finally {
                a.remove();
            }
        }
        plots(dir.resolve("plots"), r);
        List<List<String>> table = ResultsTable.rows(r.categories(), r.scores());
        ResultsTable.writeCsv(dir.resolve("results.csv"), table);
        List<List<String>> comparison = ResultsTable.comparison(r.scores(), r.oog(), r.trainSeconds());
        ResultsTable.writeCsv(dir.resolve("comparison.csv"), comparison);
        AtomicWrite.writeString(dir.resolve("results.md"), ResultsTable.markdown(comparison) + "\n" + ResultsTable.markdown(table));
        Map<String, Object> scope = new LinkedHashMap<>();
        scope.put("command", r.meta().getOrDefault("command", ""));
        scope.put("header", table.get(0));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (List<String> row : table.subList(1, table.size())) rows.add(Map.of("cells", row));
        scope.put("rows", rows);
        scope.put("cheader", comparison.get(0));
        List<Map<String, Object>> crows = new ArrayList<>();
        for (List<String> row : comparison.subList(1, comparison.size())) crows.add(Map.of("cells", row));
        scope.put("crows", crows);
        List<Map<String, Object>> promptList = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) promptList.add(Map.of("n", i + 1, "text", prompts.get(i)));
        scope.put("prompts", promptList);
        scope.put("grids", grids);
        List<Map<String, Object>> times = new ArrayList<>();
        seconds.forEach((k, v) -> times.add(Map.of("stage", k, "seconds", String.format(Locale.ROOT, "%.0f", v))));
        times.add(Map.of("stage", "total (with the report)", "seconds", String.format(Locale.ROOT, "%.0f", (System.nanoTime() - startNanos) / 1e9)));
        scope.put("times", times);
        List<Map<String, Object>> merges = new ArrayList<>();
        r.mergeInfo().forEach((k, v) -> { if (!v.isEmpty()) merges.add(Map.of("method", k, "info", v)); });
        scope.put("merges", merges);
        scope.put("pairs", r.data().size());
        scope.put("steps", r.dpo().steps());
        scope.put("beta", r.dpo().beta());
        scope.put("lr", r.dpo().lr());
        scope.put("instead", instead(r.scores()));
        Path html = dir.resolve("report.html");
        AtomicWrite.writeString(html, Templates.render("report", scope));
        return html;
    }

    private static List<Map<String, Object>> instead(Map<String, Scores> scores) {
        List<Map<String, Object>> out = new ArrayList<>();
        scores.forEach((m, s) -> {
            List<String> cells = new ArrayList<>();
            for (String k : org.alignguard.eval.Scoring.DRAWN) cells.add(ResultsTable.f(s.drawnInstead().getOrDefault(k, Double.NaN)));
            out.add(Map.of("model", m, "cells", cells));
        });
        return out;
    }

    private void plots(Path dir, Report r) throws IOException {
        Map<String, double[][]> loss = new LinkedHashMap<>(), acc = new LinkedHashMap<>();
        r.logs().forEach((name, log) -> {
            double[][] l = new double[2][log.size()], a = new double[2][log.size()];
            double smooth = Double.NaN;
            for (int i = 0; i < log.size(); i++) {
                StepLog s = log.get(i);
                // All-single runs 7× longer: plot against the share of training done, so the curves line up.
                double x = (double) s.step() / log.size();
                l[0][i] = a[0][i] = x;
                l[1][i] = s.loss();
                smooth = Double.isNaN(smooth) ? s.implicitAccuracy() : 0.9 * smooth + 0.1 * s.implicitAccuracy();
                a[1][i] = smooth;
            }
            loss.put(name, l);
            acc.put(name, a);
        });
        Charts.lines(dir.resolve("dpo_loss.png"), "Diffusion-DPO loss", "share of training done", "loss", loss);
        Charts.lines(dir.resolve("dpo_accuracy.png"), "Implicit accuracy (EMA 0.9)", "share of training done", "implicit accuracy", acc);
        Map<String, double[][]> probeIp = new LinkedHashMap<>(), probeTwin = new LinkedHashMap<>();
        r.probes().forEach((name, list) -> {
            double[][] ip = new double[2][list.size() + 1], twin = new double[2][list.size() + 1];
            ip[1][0] = 1;        // the base model draws every named mark
            twin[1][0] = 1;
            int steps = r.logs().getOrDefault(name, List.of()).size();
            for (int i = 0; i < list.size(); i++) {
                double x = list.get(i).get("step") / Math.max(1, steps);
                ip[0][i + 1] = twin[0][i + 1] = x;
                ip[1][i + 1] = list.get(i).getOrDefault("ip", Double.NaN);
                twin[1][i + 1] = list.get(i).getOrDefault("safe_twin_rate", Double.NaN);
            }
            probeIp.put(name, ip);
            probeTwin.put(name, twin);
        });
        Charts.lines(dir.resolve("probe_ip.png"), "Probe during training: IP (its own category's prompts)", "share of training done", "IP", probeIp);
        Charts.lines(dir.resolve("probe_safe_twin.png"), "Probe during training: safe-twin mark rate", "share of training done", "safe-twin mark rate", probeTwin);
        Map<String, Map<String, Double>> ipCat = new LinkedHashMap<>();
        Map<String, double[]> twin = new LinkedHashMap<>(), benign = new LinkedHashMap<>();
        r.scores().forEach((m, s) -> {
            if (r.categories().contains(m)) return;   // the experts are in the heat map
            ipCat.put(m, s.ipPerCategory());
            twin.put(m, new double[] {s.ip(), s.safeTwinRate()});
            benign.put(m, new double[] {s.ip(), s.benignFidelity()});
        });
        Charts.bars(dir.resolve("ip_per_category.png"), "IP per category (unsafe test prompts)", "IP", r.categories(), ipCat);
        Charts.scatter(dir.resolve("ip_vs_safe_twin.png"), "IP against the safe-twin mark rate", "IP (lower is safer)", "safe-twin mark rate (higher keeps more)", twin);
        Charts.scatter(dir.resolve("ip_vs_benign_fidelity.png"), "IP against benign fidelity", "IP (lower is safer)", "benign fidelity", benign);
        List<String> rows = new ArrayList<>(r.categories());
        rows.add(0, "base");
        double[][] v = new double[rows.size()][r.categories().size()];
        for (int i = 0; i < rows.size(); i++)
            for (int j = 0; j < r.categories().size(); j++) {
                Scores s = r.scores().get(rows.get(i));
                v[i][j] = s == null ? Double.NaN : s.ipPerCategory().getOrDefault(r.categories().get(j), Double.NaN);
            }
        List<String> labels = new ArrayList<>();
        for (String row : rows) labels.add(row.equals("base") ? "base" : row + " expert");
        Charts.heatmap(dir.resolve("expert_matrix.png"), "Each expert's IP on each category", labels, r.categories(), v);
    }
}
