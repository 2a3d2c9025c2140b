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
        Generator gen = new Generator(model);
        List<ImageResult> out = new ArrayList<>();
        for (int start = 0; start < prompts.size(); start += BATCH) {
            List<EvalPrompt> batch = prompts.subList(start, Math.min(prompts.size(), start + BATCH));
            long s = seed + start;
            boolean[] refused = new boolean[batch.size()];
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                refused[i] = sampling.refuses().test(batch.get(i).prompt());
                texts.add(refused[i] ? "" : batch.get(i).prompt());
            }
            Tensor x = blackOut(gen.generate(texts, settings, s, sampling.guidance()), refused);
            int[][] seen = ClassifierTrainer.Classify.predict(classifier, x);
            float[][] f = features(x);
            for (int i = 0; i < batch.size(); i++)
                out.add(new ImageResult(batch.get(i), s, i, refused[i] ? ImageResult.nothingSeen() : seen[i], f[i], refused[i]));
            progress.onStep(phase, out.size(), prompts.size(), Double.NaN);
        }
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
