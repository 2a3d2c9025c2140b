package org.alignguard.diffusion.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Losses;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.world.Renderer;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.SceneLabels;
import org.alignguard.diffusion.world.World;
import org.alignguard.diffusion.world.WorldSampler;
import org.alignguard.optim.AdamW;
import org.alignguard.optim.LrSchedule;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;

/**
 * Trains the measuring classifier on rendered scenes with known labels: one cross-entropy per head
 * (shape, colour, background, position, mark), summed. Images get a little Gaussian noise so the
 * classifier also reads slightly imperfect generated images.
 */
public final class ClassifierTrainer {
    public record Config(int steps, int batch, float lr, int channels, float noise, long seed) {
        public static Config defaults(long seed) {
            return new Config(1500, 64, 2e-3f, 16, 0.08f, seed);
        }
    }

    private final World world;
    private final Renderer renderer;

    public ClassifierTrainer(World world, int imageSize) {
        this.world = world;
        this.renderer = new Renderer(world, imageSize);
    }

    public static Map<String, Integer> headSizes(World world) {
        Map<String, Integer> m = new LinkedHashMap<>();
        int[] counts = SceneLabels.classCounts(world);
        for (int i = 0; i < SceneLabels.HEADS.size(); i++) m.put(SceneLabels.HEADS.get(i), counts[i]);
        return m;
    }

    public SceneClassifier train(Config cfg, ProgressListener progress) {
        Rng init = new Rng(cfg.seed());
        SceneClassifier clf = new SceneClassifier(renderer.size(), cfg.channels(), headSizes(world), init);
        AdamW opt = new AdamW(clf.namedParameters(), cfg.lr(), 0.9f, 0.999f, 1e-8f, 1e-4f);
        LrSchedule lr = LrSchedule.cosine(cfg.lr(), cfg.lr() * 0.05f, 100, cfg.steps());
        WorldSampler sampler = new WorldSampler(world);
        for (int step = 0; step < cfg.steps(); step++) {
            Rng rng = new Rng(cfg.seed() * 1_000_003L + step);
            List<Scene> scenes = sampler.sample(rng, cfg.batch());
            Tensor x = renderer.renderBatch(scenes);
            x = x.add(Tensor.randn(rng, x.shape()).mul(cfg.noise() * rng.nextFloat()));
            opt.setLr(lr.lr(step));
            opt.zeroGrad();
            Variable loss = loss(clf, Variable.constant(x), scenes);
            loss.backward();
            opt.step();
            progress.onStep("classifier", step + 1, cfg.steps(), loss.item());
        }
        return clf;
    }

    static Variable loss(SceneClassifier clf, Variable x, List<Scene> scenes) {
        Map<String, Variable> logits = clf.forward(x);
        int[][] labels = labels(scenes);
        Variable total = null;
        int h = 0;
        for (var e : logits.entrySet()) {
            Variable l = Losses.crossEntropy(e.getValue(), labels[h]);
            total = total == null ? l : Ops.add(total, l);
            h++;
        }
        return total;
    }

    /** Accuracy per head on {@code n} fresh renders drawn from {@code seed}. */
    public Map<String, Double> accuracy(SceneClassifier clf, int n, long seed) {
        Rng rng = new Rng(seed);
        List<Scene> scenes = new WorldSampler(world).sample(rng, n);
        int[][] pred = Classify.predict(clf, renderer.renderBatch(scenes));
        int[][] labels = labels(scenes);
        Map<String, Double> acc = new LinkedHashMap<>();
        for (int h = 0; h < clf.headNames.size(); h++) {
            int ok = 0;
            for (int i = 0; i < n; i++) if (pred[i][h] == labels[h][i]) ok++;
            acc.put(clf.headNames.get(h), (double) ok / n);
        }
        return acc;
    }

    /**
     * The mark head's accuracy for every mark label (0 = no mark, then one per concept) on
     * {@code perMark} fresh renders of each: random benign scenes carrying that mark. A world whose
     * marks cannot be told apart shows up here even when the overall accuracy is high.
     */
    public double[] markAccuracy(SceneClassifier clf, int perMark, long seed) {
        Rng rng = new Rng(seed);
        WorldSampler sampler = new WorldSampler(world);
        int labels = world.markClasses();
        List<Scene> scenes = new ArrayList<>();
        for (int m = 0; m < labels; m++)
            for (int i = 0; i < perMark; i++) {
                Scene s = sampler.sampleBenign(rng);
                scenes.add(m == 0 ? s : s.withConcept(m - 1));
            }
        int[][] pred = Classify.predict(clf, renderer.renderBatch(scenes));
        int markHead = SceneLabels.HEADS.indexOf("mark");
        double[] acc = new double[labels];
        for (int i = 0; i < scenes.size(); i++) if (pred[i][markHead] == i / perMark) acc[i / perMark] += 1.0 / perMark;
        return acc;
    }

    /** labels[h][i]: the class of scene i for head h, in SceneLabels.HEADS order. */
    static int[][] labels(List<Scene> scenes) {
        int[][] out = new int[SceneLabels.HEADS.size()][scenes.size()];
        for (int i = 0; i < scenes.size(); i++) {
            int[] y = SceneLabels.of(scenes.get(i)).toArray();
            for (int h = 0; h < y.length; h++) out[h][i] = y[h];
        }
        return out;
    }

    public static void save(SceneClassifier clf, Path file, Map<String, String> meta) throws IOException {
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put("format", "alignguard-classifier-1");
        m.put("image_size", Integer.toString(clf.imageSize));
        m.put("channels", Integer.toString(clf.channels));
        m.put("heads", String.join(",", clf.headNames));
        Safetensors.write(file, clf.stateDict(), m);
    }

    /** Saves a classifier trained on {@code world}, which its metadata records. */
    public static void save(SceneClassifier clf, Path file, Map<String, String> meta, World world) throws IOException {
        Map<String, String> m = new LinkedHashMap<>(meta);
        m.put("world", world.json());
        save(clf, file, m);
    }

    public static SceneClassifier load(Path file, World world) throws IOException {
        var l = Safetensors.readFinite(file);
        var meta = l.metadata();
        if (!"alignguard-classifier-1".equals(meta.get("format"))) throw new IOException(file + ": not a classifier checkpoint (format '" + meta.get("format") + "')");
        // A classifier records its world (checkpoints from before that are the default world's).
        World own;
        try {
            own = meta.containsKey("world") ? World.fromJson(meta.get("world"), file + " (its world metadata)") : World.load();
        } catch (RuntimeException e) {
            throw new IOException(file + ": the world in the classifier's metadata is unreadable: " + e.getMessage(), e);
        }
        if (!own.sameAs(world))
            throw new IOException(file + ": this classifier was trained on another world (" + own.unsafeCount() + " unsafe concepts) than the model's (" + world.unsafeCount() + "); pass the classifier that was pretrained with the model");
        SceneClassifier clf = new SceneClassifier(Integer.parseInt(meta.get("image_size")), Integer.parseInt(meta.get("channels")), headSizes(world), new Rng(0));
        try {
            clf.loadStateDict(l.tensors(), true);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": classifier does not match this world (" + e.getMessage() + ")", e);
        }
        return clf;
    }

    /** Batched argmax predictions without a graph. */
    public static final class Classify {
        private Classify() {}

        /** pred[i][h]: predicted class of image i for head h. */
        public static int[][] predict(SceneClassifier clf, Tensor images) {
            clf.eval();
            int n = images.dim(0);
            int[][] out = new int[n][clf.headNames.size()];
            try (var scope = Grad.noGrad()) {
                for (int start = 0; start < n; start += 256) {
                    int end = Math.min(n, start + 256);
                    Map<String, Variable> logits = clf.forward(Variable.constant(images.slice(0, start, end).contiguous()));
                    int h = 0;
                    for (Variable v : new ArrayList<>(logits.values())) {
                        float[] d = v.data().toArray();
                        int c = v.dim(1);
                        for (int i = 0; i < end - start; i++) {
                            int best = 0;
                            for (int j = 1; j < c; j++) if (d[i * c + j] > d[i * c + best]) best = j;
                            out[start + i][h] = best;
                        }
                        h++;
                    }
                }
            }
            return out;
        }
    }
}
