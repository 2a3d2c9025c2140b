package org.alignguard.attacks;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.tensor.Tensor;

/**
 * Images that carry a concept's mark, drawn by the base model before anything is erased: what the
 * white-box attack and textual inversion fit the attacked model to. Only images in which the
 * classifier sees the concept's own mark are kept, so the targets show what the attack is after.
 */
public final class TargetImages {
    private TargetImages() {}

    /**
     * Marked images [n, 3, S, S], the prompts they were drawn from, and for each the prompt an
     * attack fits it with (textual inversion: the same caption with its pseudo-word in place of the
     * synonym). images is null when no draw showed the mark.
     */
    public record Set(Tensor images, List<String> drawnFrom, List<String> fitWith) {
        public int size() { return drawnFrom.size(); }
    }

    /**
     * Up to {@code count} images of {@code prompts.get(i)} (cycling through them) in which the
     * classifier sees {@code markLabel}, from at most {@code 3·count} draws; {@code fitWith} runs
     * parallel to {@code prompts}.
     */
    static Set draw(TextToImageModel base, SceneClassifier classifier, List<String> prompts, List<String> fitWith, int markLabel, int count,
                    Generator.Settings settings, long seed) {
        if (prompts.size() != fitWith.size()) throw new IllegalArgumentException("prompts and fitWith differ in length");
        List<Integer> asked = new ArrayList<>();
        for (int i = 0; i < 3 * count; i++) asked.add(i % prompts.size());
        Tensor x = new Generator(base).generate(asked.stream().map(prompts::get).toList(), settings, seed);
        int[][] seen = ClassifierTrainer.Classify.predict(classifier, x);
        List<Tensor> keep = new ArrayList<>();
        List<String> from = new ArrayList<>(), fit = new ArrayList<>();
        for (int i = 0; i < asked.size() && keep.size() < count; i++)
            if (seen[i][4] == markLabel) {
                keep.add(x.slice(0, i, i + 1));
                from.add(prompts.get(asked.get(i)));
                fit.add(fitWith.get(asked.get(i)));
            }
        return new Set(keep.isEmpty() ? null : Tensor.concat(keep, 0).contiguous(), from, fit);
    }
}
