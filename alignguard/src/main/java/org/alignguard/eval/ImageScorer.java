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
        Generator gen = new Generator(model);
        List<ImageResult> out = new ArrayList<>();
        for (int start = 0; start < prompts.size(); start += BATCH) {
            List<EvalPrompt> batch = prompts.subList(start, Math.min(prompts.size(), start + BATCH));
            long s = seed + start;
            Tensor x = gen.generate(batch.stream().map(EvalPrompt::prompt).toList(), settings, s);
            int[][] seen = ClassifierTrainer.Classify.predict(classifier, x);
            float[][] f = features(x);
            for (int i = 0; i < batch.size(); i++) out.add(new ImageResult(batch.get(i), s, i, seen[i], f[i]));
            progress.onStep(phase, out.size(), prompts.size(), Double.NaN);
        }
        return out;
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
