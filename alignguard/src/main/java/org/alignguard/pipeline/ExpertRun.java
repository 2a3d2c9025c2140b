package org.alignguard.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.alignguard.tensor.io.AtomicWrite;
import org.alignguard.data.PreferenceSet;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.dpo.DpoTrainer;
import org.alignguard.dpo.KeepSet;
import org.alignguard.dpo.StepLog;
import org.alignguard.lora.LoraFile;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * One expert's training as files: the training state {@code X.state.safetensors} while it runs
 * (atomic checkpoints, what {@code --resume} reads), then the LoRA {@code X.safetensors} with the
 * command and settings in its metadata, and the step log {@code X.log.csv}. The state is removed once
 * the LoRA is written. The trained LoRA is left attached to the model; the caller detaches it.
 */
public final class ExpertRun {
    private final TextToImageModel model;
    private final KeepSet keep;
    private final DpoConfig cfg;

    /** {@code all}: every category's pairs, which the preservation term draws safe twins from. */
    public ExpertRun(TextToImageModel model, PreferenceSet all, DpoConfig cfg) {
        this(model, KeepSet.safeTwins(all), cfg);
    }

    /** {@code keep}: what the preservation term keeps (safe twins, and unsafe concepts that are not erased). */
    public ExpertRun(TextToImageModel model, KeepSet keep, DpoConfig cfg) {
        this.model = model;
        this.keep = keep;
        this.cfg = cfg;
    }

    public static Path statePath(Path lora) { return sibling(lora, ".state.safetensors"); }

    public static Path logPath(Path lora) { return sibling(lora, ".log.csv"); }

    /** The probe measurements taken during training, as JSON. */
    public static Path probePath(Path lora) { return sibling(lora, ".probe.json"); }

    /** Reads a step log written by {@link #train}. */
    public static java.util.List<StepLog> readLog(Path file) throws IOException {
        java.util.List<StepLog> out = new java.util.ArrayList<>();
        if (!Files.isRegularFile(file)) return out;
        CSVFormat fmt = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        try (var r = Files.newBufferedReader(file); var parser = fmt.parse(r)) {
            for (var rec : parser) {
                double[] v = new double[StepLog.COLUMNS.length];
                for (int i = 0; i < v.length; i++) v[i] = rec.isMapped(StepLog.COLUMNS[i]) ? Double.parseDouble(rec.get(StepLog.COLUMNS[i])) : 0;   // older logs lack "anchor" and "scene_keep"
                out.add(StepLog.of(v));
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IOException(file + ": malformed step log: " + e.getMessage(), e);
        }
        return out;
    }

    private static Path sibling(Path lora, String suffix) {
        String name = lora.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return lora.resolveSibling(stem + suffix);
    }

    public DpoTrainer.Result train(PreferenceSet pairs, Path out, boolean resume, Map<String, String> meta, ProgressListener progress,
                                   String phase, DpoTrainer.Probe probe) throws IOException {
        Path state = statePath(out);
        long t0 = System.nanoTime();
        DpoTrainer.Result r = new DpoTrainer(model, pairs, keep, cfg).train(state, resume, meta, progress, phase, probe);
        Map<String, String> m = new LinkedHashMap<>(meta);
        // Training time of this session (a resumed run counts only what it did after the resume).
        m.put("train_seconds", String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
        m.put("dpo_config", new com.google.gson.Gson().toJson(cfg));
        m.put("steps", Integer.toString(cfg.steps()));
        LoraFile.save(out, r.lora(), model, m);
        writeLog(logPath(out), r);
        Files.deleteIfExists(state);
        return r;
    }

    static void writeLog(Path file, DpoTrainer.Result r) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (CSVPrinter csv = new CSVPrinter(sb, CSVFormat.DEFAULT.builder().setHeader(StepLog.COLUMNS).get())) {
            for (StepLog s : r.log()) {
                Object[] row = new Object[StepLog.COLUMNS.length];
                double[] v = s.values();
                for (int i = 0; i < v.length; i++) row[i] = i == 0 ? (Object) (long) v[0] : (Object) v[i];
                csv.printRecord(row);
            }
        }
        AtomicWrite.writeString(file, sb.toString());
    }
}
