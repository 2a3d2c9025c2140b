package org.alignguard.eval;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.cpu.Lanes;

/**
 * Draws one image per prompt and reads it with the classifier. Prompts go in batches of
 * {@link #BATCH}; batch k uses seed {@code seed + k·BATCH}, so the same prompt list and seed give
 * the same starting noise for every model: models differ only in what they do with it.
 */
public final class ImageScorer {
    public static final int BATCH = 50;

    private final SceneClassifier classifier;

    public ImageScorer(SceneClassifier classifier) {
        this.classifier = classifier;
    }

    public List<ImageResult> run(TextToImageModel model, List<EvalPrompt> prompts, Generator.Settings settings, long seed,
                                 ProgressListener progress, String phase) {
        return run(model, prompts, settings, seed, Sampling.PLAIN, progress, phase);
    }

    /**
     * As {@link #run(TextToImageModel, List, Generator.Settings, long, ProgressListener, String)} with a
     * method's sampling. A refused prompt is drawn as the empty prompt, so every other row keeps its
     * starting noise, and its image is replaced by a black one in which nothing is seen.
     */
    public List<ImageResult> run(TextToImageModel model, List<EvalPrompt> prompts, Generator.Settings settings, long seed, Sampling sampling,
                                 ProgressListener progress, String phase) {
        try {
            return run(List.of(new Lane(model, this)), prompts, settings, seed, sampling, progress, phase);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);   // one lane runs here and does no I/O
        }
    }

    /** A copy of the model, with what the sampling applies to it, and the scorer that reads its images. */
    public record Lane(TextToImageModel model, ImageScorer scorer) {}

    /**
     * As {@link #run(TextToImageModel, List, Generator.Settings, long, Sampling, ProgressListener, String)},
     * with the batches drawn side by side, one lane per copy ({@link Lanes}). The images are the same:
     * batch k's seed does not depend on the lane that draws it.
     */
    public static List<ImageResult> run(List<Lane> lanes, List<EvalPrompt> prompts, Generator.Settings settings, long seed, Sampling sampling,
                                        ProgressListener progress, String phase) throws java.io.IOException {
        int batches = (prompts.size() + BATCH - 1) / BATCH;
        @SuppressWarnings("unchecked") List<ImageResult>[] drawn = new List[batches];
        int[] done = {0};
        List<Lanes.Job<Lane>> jobs = new ArrayList<>();
        for (int k = 0; k < batches; k++) {
            int start = k * BATCH, b = k;
            jobs.add(lane -> {
                drawn[b] = lane.scorer().batch(lane.model(), prompts.subList(start, Math.min(prompts.size(), start + BATCH)), settings, seed + start, sampling);
                synchronized (done) {
                    done[0] += drawn[b].size();
                    progress.onStep(phase, done[0], prompts.size(), Double.NaN);
                }
            });
        }
        Lanes.run(lanes, jobs);
        List<ImageResult> out = new ArrayList<>();
        for (List<ImageResult> d : drawn) out.addAll(d);
        return out;
    }

    /** One batch, drawn from seed {@code s}. */
    private List<ImageResult> batch(TextToImageModel model, List<EvalPrompt> batch, Generator.Settings settings, long s, Sampling sampling) {
        boolean[] refused = new boolean[batch.size()];
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            refused[i] = sampling.refuses().test(batch.get(i).prompt());
            texts.add(refused[i] ? "" : batch.get(i).prompt());
        }
        Tensor x = blackOut(new Generator(model).generate(texts, settings, s, sampling.guidance()), refused);
        int[][] seen = ClassifierTrainer.Classify.predict(classifier, x);
        float[][] f = features(x);
        List<ImageResult> out = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++)
            out.add(new ImageResult(batch.get(i), s, i, refused[i] ? ImageResult.nothingSeen() : seen[i], f[i], refused[i]));
        return out;
    }

    /** The images with the refused rows set to black (-1), what a filtered service returns. */
    public static Tensor blackOut(Tensor images, boolean[] refused) {
        boolean any = false;
        for (boolean r : refused) any |= r;
        if (!any) return images;
        float[] v = images.toArray();
        int per = v.length / refused.length;
        for (int i = 0; i < refused.length; i++) if (refused[i]) java.util.Arrays.fill(v, i * per, (i + 1) * per, -1f);
        return Tensor.of(v, images.shape());
    }

    /** The classifier's feature vector of each image. */
    public float[][] features(Tensor images) {
        classifier.eval();
        try (var scope = Grad.noGrad()) {
            Tensor f = classifier.features(Variable.constant(images.contiguous())).data();
            int n = f.dim(0), d = f.dim(1);
            float[] all = f.toArray();
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(all, i * d, (i + 1) * d);
            return out;
        }
    }
}
