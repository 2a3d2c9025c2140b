package org.alignguard.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignguard.data.DataFiles;
import org.alignguard.data.PromptWriter;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.World;
import org.alignguard.merge.Expert;
import org.alignguard.merge.ExpertMerger;
import org.alignguard.merge.MergeMethod;
import org.alignguard.merge.ProbeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Merges expert LoRAs into one: Co-Merge (the paper's), or average, sum, TIES for comparison. */
@Command(name = "merge", description = "Merge safety experts into one LoRA: co-merge (per-weight most active expert), average, sum or ties.")
final class MergeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--method", required = true, description = "co-merge, co-merge-hard (only the most active expert per weight), average, sum or ties.") String method;
    @Option(names = "--gamma", defaultValue = "" + org.alignguard.merge.CoMerge.DEFAULT_GAMMA, description = "Co-Merge's sharpness γ: the other experts' entries count (a_e/a_max)^γ; 0 is the sum (default: ${DEFAULT-VALUE}).") double gamma;
    @Parameters(paramLabel = "EXPERT", arity = "1..*", description = "Expert LoRA files.") List<Path> experts;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output LoRA file.") Path out;
    @Option(names = "--data", defaultValue = "runs/data", description = "Preference data, whose pairs are Co-Merge's probe set (default: ${DEFAULT-VALUE}).") Path data;
    @Option(names = "--probe-pairs", defaultValue = "8", description = "Co-Merge probe: pairs per category (default: ${DEFAULT-VALUE}).") int probePairs;
    @Option(names = "--model", paramLabel = "CKPT", description = "Base model (default: models/base.safetensors).") Path model;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the probe's noise (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--force", description = "Overwrite an existing output.") boolean force;

    @Override public Integer call() throws IOException {
        MergeMethod m;
        try {
            m = MergeMethod.parse(method);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Outputs.positive("--probe-pairs", probePairs);
        Outputs.checkWritable(out, force);
        TextToImageModel tm = Outputs.model(model, "base model");
        List<Expert> loaded = new ArrayList<>();
        try {
            for (Path p : experts) {
                Outputs.checkReadable(p, "expert LoRA");
                loaded.add(ExpertMerger.load(p, tm));
            }
        } catch (IOException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
        World world = tm.world();
        ProbeSet probe = null;
        if (!(gamma >= 0)) throw new UserError("--gamma must be >= 0, got " + gamma);
        if (m.needsProbe()) {
            try {
                probe = ExpertMerger.probe(DataFiles.read(data, world), new PromptWriter(world).categoryNames(), probePairs, seed);
            } catch (IOException e) {
                throw new UserError(e.getMessage(), 2, e);
            }
        }
        long t0 = System.nanoTime();
        ExpertMerger.Merged merged;
        try {
            merged = ExpertMerger.merge(m, loaded, tm, probe, gamma);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
        ExpertMerger.save(out, merged, tm, Map.of("command", Outputs.command(spec)));
        System.out.printf(java.util.Locale.ROOT, "wrote %s (%s of %d experts) in %.1f s%s%n", out, m.cliName(), loaded.size(), (System.nanoTime() - t0) / 1e9,
                merged.metadata().containsKey("co_merge_share") ? "; entries won: " + merged.metadata().get("co_merge_share") : "");
        return 0;
    }
}
