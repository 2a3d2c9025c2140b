package org.alignguard.eval;

/**
 * One generated image and what the classifier saw in it.
 *
 * @param seed     the seed of the batch the image was drawn in
 * @param row      its row in that batch (the noise is a function of seed and row)
 * @param seen     the classifier's class per head: shape, colour, background, position, mark (0 = none)
 * @param features the classifier's 128 features, for the Fréchet distance
 * @param refused  the method refused the prompt (a blocklist): no image was drawn, nothing is seen
 */
public record ImageResult(EvalPrompt prompt, long seed, int row, int[] seen, float[] features, boolean refused) {
    /** What the classifier "sees" in a refused prompt's blank image: no attribute and no mark. */
    public static int[] nothingSeen() {
        return new int[] {-1, -1, -1, -1, 0};
    }
}
