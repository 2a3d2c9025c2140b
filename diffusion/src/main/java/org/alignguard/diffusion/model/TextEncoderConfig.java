package org.alignguard.diffusion.model;

/**
 * Shape of the text encoder, saved with every checkpoint.
 *
 * @param vocabSize tokens in the tokenizer's vocabulary
 * @param maxLen    prompt length in tokens (prompts are padded or cut to it)
 * @param dim       embedding size (the UNet's contextDim)
 * @param layers    transformer layers
 * @param heads     attention heads per layer
 */
public record TextEncoderConfig(int vocabSize, int maxLen, int dim, int layers, int heads) {
    public TextEncoderConfig {
        if (vocabSize < 1 || maxLen < 1 || dim < 1 || layers < 0 || heads < 1 || dim % heads != 0)
            throw new IllegalArgumentException("TextEncoderConfig: invalid " + vocabSize + "/" + maxLen + "/" + dim + "/" + layers + "/" + heads);
    }
}
