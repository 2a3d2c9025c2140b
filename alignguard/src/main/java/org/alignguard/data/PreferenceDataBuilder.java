package org.alignguard.data;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.train.LaneProgress;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.Concept;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.cpu.Lanes;

/**
 * Builds the preference data the way CoProV2 was built: the model being aligned draws one image per
 * prompt, for the unsafe prompt (the loser x^l) and for its safe twin (the winner x^w), from
 * different seeds. A candidate is kept only when the classifier sees the unsafe concept's mark in
 * the unsafe image and the safe twin's mark in the safe one (which, with one mark per image, also
 * means no unsafe mark there). Candidates are drawn until {@code pairsPerCategory} are kept or
 * {@code maxCandidatesFactor} times as many were tried.
 */
public final class PreferenceDataBuilder {
    /**
     * @param filter keep only pairs the classifier confirms (the method); false keeps every candidate,
     *               for looking at what an untrained or broken model draws
     */
    public record Config(int pairsPerCategory, List<String> categories, long seed, Generator.Settings sampling, double maxCandidatesFactor, boolean filter) {
        public Config {
            if (pairsPerCategory <= 0) throw new IllegalArgumentException("pairs per category must be positive, got " + pairsPerCategory);
            if (!(maxCandidatesFactor >= 1)) throw new IllegalArgumentException("max candidates factor must be >= 1, got " + maxCandidatesFactor);
            categories = List.copyOf(categories);
        }
    }

    /** The kept pairs, every candidate with its verdict, and the counts per category. */
    public record Result(PreferenceSet set, List<Candidate> candidates, List<CategoryCount> counts) {}

    private static final int BATCH = 64;

    private final TextToImageModel model;
    private final SceneClassifier classifier;
    private final PromptWriter writer;
    private final World world;

    public PreferenceDataBuilder(TextToImageModel model, SceneClassifier classifier, World world) {
        this.model = model;
        this.classifier = classifier;
        this.world = world;
        this.writer = new PromptWriter(world);
    }

    public Result build(Config cfg, ProgressListener progress) {
        return alone(groups(this, cfg), cfg, progress);
    }

    /**
     * {@link #build(Config, ProgressListener)} with the categories drawn side by side, one lane per
     * builder (each with its own copy of the model and classifier; {@link Lanes}). The result is the
     * same, in the same order: every category draws from its own seeds.
     */
    public static Result build(List<PreferenceDataBuilder> lanes, Config cfg, ProgressListener progress) throws java.io.IOException {
        return build(lanes, groups(lanes.get(0), cfg), cfg, progress);
    }

    /** One group per category of {@code cfg}, written by {@code b}'s writer. */
    private static List<Group> groups(PreferenceDataBuilder b, Config cfg) {
        List<Group> groups = new ArrayList<>();
        for (String category : cfg.categories()) {
            b.writer.category(category);   // fails early on an unknown name
            groups.add(new Group(category, i -> b.writer.trainingPair(category, i, cfg.seed())));
        }
        return groups;
    }

    /**
     * The same for single concepts: {@code cfg.pairsPerCategory()} kept pairs of each unsafe concept
     * (the concept-scaling experiment erases concepts, not whole categories). The counts are per concept.
     */
    public Result buildConcepts(List<Concept> concepts, Config cfg, ProgressListener progress) {
        List<Group> groups = new ArrayList<>();
        for (Concept c : concepts) groups.add(new Group(c.name(), i -> writer.conceptTrainingPair(c, i, cfg.seed())));
        return alone(groups, cfg, progress);
    }

    /** The groups drawn here, by this builder alone. */
    private Result alone(List<Group> groups, Config cfg, ProgressListener progress) {
        try {
            return build(List.of(this), groups, cfg, progress);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);   // one lane runs here and does no I/O
        }
    }

    /** A named source of candidate pairs: candidate i of a category or of a concept. */
    private record Group(String name, java.util.function.IntFunction<PromptPair> candidate) {}

    /** What one group gave: its kept pairs with their images, every candidate, and its count. */
    private record Drawn(List<PromptPair> kept, List<float[]> winners, List<float[]> losers, List<Candidate> candidates, CategoryCount count) {}

    private static Result build(List<PreferenceDataBuilder> lanes, List<Group> groups, Config cfg, ProgressListener progress) throws java.io.IOException {
        Drawn[] drawn = new Drawn[groups.size()];
        LaneProgress bar = new LaneProgress(progress, "data");
        List<Lanes.Job<PreferenceDataBuilder>> jobs = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            int k = g;
            bar.expect("data " + groups.get(g).name(), cfg.pairsPerCategory());
            jobs.add(b -> drawn[k] = b.draw(groups.get(k), cfg, bar));
        }
        Lanes.run(lanes, jobs);
        List<PromptPair> kept = new ArrayList<>();
        List<float[]> winners = new ArrayList<>(), losers = new ArrayList<>();
        List<Candidate> all = new ArrayList<>();
        List<CategoryCount> counts = new ArrayList<>();
        for (Drawn d : drawn) {
            kept.addAll(d.kept());
            winners.addAll(d.winners());
            losers.addAll(d.losers());
            all.addAll(d.candidates());
            counts.add(d.count());
        }
        int s = lanes.get(0).model.imageSize();
        return new Result(new PreferenceSet(kept, stack(winners, s), stack(losers, s)), all, counts);
    }

    /** Draws one group's candidates until enough are kept or too many were tried. */
    private Drawn draw(Group group, Config cfg, ProgressListener progress) {
        List<PromptPair> kept = new ArrayList<>();
        List<float[]> winners = new ArrayList<>(), losers = new ArrayList<>();
        List<Candidate> all = new ArrayList<>();
        Generator gen = new Generator(model);
        int maxCandidates = (int) Math.ceil(cfg.pairsPerCategory() * cfg.maxCandidatesFactor());
        int tried = 0, keptHere = 0, noUnsafe = 0, noSafe = 0;
        while (keptHere < cfg.pairsPerCategory() && tried < maxCandidates) {
            int n = Math.min(BATCH, Math.min(maxCandidates - tried, cfg.pairsPerCategory() - keptHere + 4));
            List<PromptPair> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) batch.add(group.candidate().apply(tried + i));
            long loserSeed = PromptWriter.mix(cfg.seed(), group.name().hashCode(), 2L * tried);
            long winnerSeed = loserSeed + 1;   // a different seed: different starting noise
            Tensor l = gen.generate(batch.stream().map(PromptPair::unsafePrompt).toList(), cfg.sampling(), loserSeed);
            Tensor w = gen.generate(batch.stream().map(PromptPair::safePrompt).toList(), cfg.sampling(), winnerSeed);
            int[][] pl = ClassifierTrainer.Classify.predict(classifier, l), pw = ClassifierTrainer.Classify.predict(classifier, w);
            float[] la = l.toArray(), wa = w.toArray();
            int per = la.length / n;
            for (int i = 0; i < n && keptHere < cfg.pairsPerCategory(); i++) {
                PromptPair p = batch.get(i);
                Concept unsafe = world.concept(p.unsafeConcept()), safe = world.concept(p.safeConcept());
                int ml = pl[i][4], mw = pw[i][4];
                String reason = ml != unsafe.markLabel() ? "unsafe image does not show the " + unsafe.name() + " mark"
                        : mw != safe.markLabel() ? "safe image does not show the " + safe.name() + " mark" : "";
                if (ml != unsafe.markLabel()) noUnsafe++;
                else if (mw != safe.markLabel()) noSafe++;
                boolean ok = reason.isEmpty() || !cfg.filter();
                all.add(new Candidate(p, winnerSeed, loserSeed, markName(ml), markName(mw), ok, reason));
                tried++;
                if (!ok) continue;
                kept.add(p);
                losers.add(java.util.Arrays.copyOfRange(la, i * per, (i + 1) * per));
                winners.add(java.util.Arrays.copyOfRange(wa, i * per, (i + 1) * per));
                keptHere++;
            }
            progress.onStep("data " + group.name(), keptHere, cfg.pairsPerCategory(), Double.NaN);
        }
        return new Drawn(kept, winners, losers, all, new CategoryCount(group.name(), tried, keptHere, noUnsafe, noSafe));
    }

    private String markName(int label) {
        Concept c = world.conceptForMark(label);
        return c == null ? "" : c.name();
    }

    static Tensor stack(List<float[]> images, int size) {
        int per = 3 * size * size;
        float[] all = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) System.arraycopy(images.get(i), 0, all, i * per, per);
        return Tensor.of(all, images.size(), 3, size, size);
    }
}
