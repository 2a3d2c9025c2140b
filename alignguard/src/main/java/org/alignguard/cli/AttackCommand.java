package org.alignguard.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.alignguard.attacks.Attack;
import org.alignguard.attacks.AttackJob;
import org.alignguard.attacks.AttackReport;
import org.alignguard.attacks.BlackBoxAttack;
import org.alignguard.attacks.TextualInversion;
import org.alignguard.attacks.WhiteBoxAttack;
import org.alignguard.baselines.Erasure;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.World;
import org.alignguard.eval.Variant;
import org.alignguard.pipeline.Variants;
import org.alignguard.report.Charts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Red-teaming: search-based attacks (white-box, black-box, textual inversion) against the base
 * model, the experts, the merges and the baselines; pre-attack IP and post-attack ASR per model.
 */
@Command(name = "attack", description = "Red-team the models: white-box token search, black-box genetic search, textual inversion; pre-attack IP and ASR per model and attack.")
final class AttackCommand implements Callable<Integer> {
    @Mixin ModelOptions opts;
    @Option(names = "--classifier", paramLabel = "CKPT", description = "Classifier (default: the shipped models/classifier.safetensors).") Path classifier;
    @Option(names = "--attacks", split = ",", description = "Attacks to run (default: all of white-box, black-box, textual-inversion).") List<String> attacks;
    @Option(names = "--against", paramLabel = "NAME=FILE", description = "A model to attack: a LoRA (expert, merge, All-single) or a baseline file; repeatable (default: co-merge, every expert on its own category, every shipped baseline).") List<String> against;
    @Option(names = "--experts", paramLabel = "DIR", description = "Attack each expert in DIR (CATEGORY.safetensors) on its own category (default with no --against: models/experts).") Path experts;
    @Option(names = "--no-base", description = "Leave out the base model (by default it is attacked too: it is every attack's control).") boolean noBase;
    @Option(names = "--concepts", split = ",", defaultValue = "all", description = "Unsafe concepts to attack, by name, or 'all' (default: ${DEFAULT-VALUE}).") List<String> concepts;
    @Option(names = "--seeds", defaultValue = "3", description = "Seeds per concept (default: ${DEFAULT-VALUE}).") int seeds;
    @Option(names = "--seed", defaultValue = "1000", description = "The first seed; seeds are consecutive (default: ${DEFAULT-VALUE}).") long firstSeed;
    @Option(names = "--tokens", defaultValue = "5", description = "White-box: adversarial tokens K (default: ${DEFAULT-VALUE}).") int tokens;
    @Option(names = "--iterations", defaultValue = "200", description = "White-box: iterations (default: ${DEFAULT-VALUE}).") int iterations;
    @Option(names = "--top-k", defaultValue = "16", description = "White-box: replacements per position from the gradient (default: ${DEFAULT-VALUE}).") int topK;
    @Option(names = "--candidates", defaultValue = "16", description = "White-box: swaps tried per iteration (default: ${DEFAULT-VALUE}).") int candidates;
    @Option(names = "--wb-images", defaultValue = "2", description = "White-box: target images per iteration, of the 4 the base drew for the case (default: ${DEFAULT-VALUE}).") int wbImages;
    @Option(names = "--bb-tokens", defaultValue = "5", description = "Black-box: searched tokens (default: ${DEFAULT-VALUE}).") int bbTokens;
    @Option(names = "--population", defaultValue = "32", description = "Black-box: population (default: ${DEFAULT-VALUE}).") int population;
    @Option(names = "--generations", defaultValue = "50", description = "Black-box: generations; queries = population x generations (default: ${DEFAULT-VALUE}).") int generations;
    @Option(names = "--eta", defaultValue = "3", description = "Black-box: how far along the concept direction the target lies (Ring-A-Bell: 3) (default: ${DEFAULT-VALUE}).") float eta;
    @Option(names = "--pairs", defaultValue = "16", description = "Black-box: sentence pairs the concept direction is averaged over (default: ${DEFAULT-VALUE}).") int pairs;
    @Option(names = "--ti-steps", defaultValue = "400", description = "Textual inversion: steps per concept (default: ${DEFAULT-VALUE}).") int tiSteps;
    @Option(names = "--ti-images", defaultValue = "8", description = "Textual inversion: marked images per concept (default: ${DEFAULT-VALUE}).") int tiImages;
    @Option(names = "--ti-lr", defaultValue = "5e-3", description = "Textual inversion: learning rate (default: ${DEFAULT-VALUE}).") float tiLr;
    @Option(names = "--out", defaultValue = "runs/attack", description = "Output folder (default: ${DEFAULT-VALUE}).") Path out;
    @Option(names = "--resume", description = "Continue the attacks in --out.") boolean resume;
    @Option(names = "--force", description = "Delete an existing --out folder and start over.") boolean force;

    @Override public Integer call() throws IOException {
        var sampling = opts.settings();
        Outputs.positive("--seeds", seeds);
        Outputs.positive("--tokens", tokens);
        Outputs.positive("--iterations", iterations);
        Outputs.positive("--top-k", topK);
        Outputs.positive("--candidates", candidates);
        Outputs.positive("--wb-images", wbImages);
        Outputs.positive("--bb-tokens", bbTokens);
        if (population < 2) throw new UserError("--population must be at least 2, got " + population);
        Outputs.positive("--generations", generations);
        Outputs.positiveNumber("--eta", eta);
        Outputs.positive("--pairs", pairs);
        Outputs.positive("--ti-steps", tiSteps);
        Outputs.positive("--ti-images", tiImages);
        Outputs.positiveNumber("--ti-lr", tiLr);
        List<String> names = attacks == null ? Attack.NAMES : attacks;
        for (String a : names) if (!Attack.NAMES.contains(a)) throw new UserError("--attacks: unknown attack '" + a + "' (use " + String.join(", ", Attack.NAMES) + ")");
        TextToImageModel model = opts.load();
        World world = model.world();
        List<Concept> chosen;
        try {
            chosen = Erasure.named(world, concepts).erased();   // the same names, 'all' and checks as the baselines'
        } catch (IllegalArgumentException e) {
            throw new UserError("--concepts: " + e.getMessage());
        }
        List<AttackJob.Target> targets = targets(model, world);
        var clf = Outputs.classifier(classifier, world);
        if (Files.exists(out)) {
            if (force) org.alignguard.data.OutputDirs.deleteTree(out);
            else if (!resume) throw new UserError("output folder " + out + " exists; pass --resume to continue it or --force to start over");
        } else if (resume) throw new UserError("nothing to resume: no folder at " + out);
        List<Attack> list = new ArrayList<>();
        for (String a : names)
            list.add(switch (a) {
                case "white-box" -> new WhiteBoxAttack(new WhiteBoxAttack.Settings(tokens, iterations, topK, candidates, wbImages), world, model.tokenizer);
                case "black-box" -> new BlackBoxAttack(new BlackBoxAttack.Settings(bbTokens, population, generations, eta, pairs, 1f / bbTokens), world, model.tokenizer);
                default -> new TextualInversion(new TextualInversion.Settings(tiSteps, tiImages, tiLr), world, model.tokenizer);
            });
        List<Long> seedList = new ArrayList<>();
        for (int i = 0; i < seeds; i++) seedList.add(firstSeed + i);
        long t0 = System.nanoTime();
        try (Progress progress = new Progress()) {
            AttackJob job = new AttackJob(model, clf, new AttackJob.Settings(chosen, seedList, sampling, tiImages), out, progress);
            job.run(targets, list);
        } catch (IllegalArgumentException e) {   // a state file made with another budget, or unreadable
            throw new UserError(e.getMessage(), 2, e);
        }
        List<AttackJob.Row> all = AttackReport.collect(out);   // with what earlier calls scored in the folder
        Charts.bars(out.resolve("asr.png"), "Pre-attack IP and post-attack ASR", "share of cases with an unsafe mark", AttackReport.models(all), AttackReport.series(all));
        System.out.print(AttackReport.table(all));
        System.out.printf(java.util.Locale.ROOT, "attacks finished in %.1f min; %s holds summary.json, prompts.csv, table.md, asr.png%n", (System.nanoTime() - t0) / 6e10, out.toAbsolutePath().normalize());
        return 0;
    }

    /** The models to attack, each checked on the base model once (a LoRA for another base is refused here). */
    private List<AttackJob.Target> targets(TextToImageModel model, World world) {
        List<AttackJob.Target> list = new ArrayList<>();
        if (!noBase) list.add(new AttackJob.Target("base", Variant.BASE));
        Map<String, Path> files = new LinkedHashMap<>();
        Path expertDir = experts;
        if (against == null) {
            files.put("co-merge", Outputs.home().resolve("models/co-merge.safetensors"));
            if (expertDir == null) expertDir = Outputs.home().resolve("models/experts");
            try (Stream<Path> s = Files.list(Outputs.home().resolve("models/baselines"))) {
                s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted()
                        .forEach(p -> files.put(p.getFileName().toString().replace(".safetensors", ""), p));
            } catch (IOException e) {
                throw new UserError("cannot list the shipped baselines in models/baselines: " + e.getMessage());
            }
        } else for (String a : against) {
            int eq = a.indexOf('=');
            if (eq <= 0 || eq == a.length() - 1) throw new UserError("--against: expected NAME=FILE, got '" + a + "'");
            String name = a.substring(0, eq).trim();
            if (files.containsKey(name) || name.equals("base")) throw new UserError("--against: the name '" + name + "' is used twice");
            files.put(name, Path.of(a.substring(eq + 1)));
        }
        for (var e : files.entrySet()) list.add(new AttackJob.Target(e.getKey(), checked(model, e.getKey(), e.getValue())));
        if (expertDir != null) {
            if (!Files.isDirectory(expertDir)) throw new UserError("--experts: no folder at " + expertDir);
            for (var c : world.categories()) {
                String file = org.alignguard.data.PromptWriter.slug(c.name());   // "illegal activity" is saved as illegal-activity.safetensors
                Path f = expertDir.resolve(file + ".safetensors");
                if (Files.isRegularFile(f)) list.add(new AttackJob.Target("expert-" + file, checked(model, "expert-" + file, f), List.of(c.name())));
            }
        }
        return list;
    }

    /** The variant in {@code file}, applied once and taken off again, so a file that does not fit the base fails before any search. */
    private static Variant checked(TextToImageModel model, String name, Path file) {
        Outputs.checkReadable(file, "model to attack '" + name + "'");
        try {
            Variant v = Variants.file(name, file);
            v.applyTo(model).remove();
            return v;
        } catch (IOException | RuntimeException e) {
            throw new UserError(file + ": " + e.getMessage(), 2, e);
        }
    }
}
