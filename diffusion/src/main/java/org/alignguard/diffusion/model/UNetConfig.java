package org.alignguard.diffusion.model;

import java.util.Arrays;

/**
 * Everything that fixes the UNet's shape. Saved with every checkpoint, so a checkpoint can be checked
 * against the code that loads it.
 *
 * @param imageSize       side of the square input image, in pixels
 * @param inChannels      image channels (3 for RGB)
 * @param baseChannels    channels at the first level; level i has baseChannels * channelMult[i]
 * @param channelMult     one entry per resolution level; each level after the first halves the size
 * @param layersPerBlock  ResNet blocks per level on the way down (the way up has one more)
 * @param attentionLevels which levels get a spatial transformer after each ResNet block
 * @param heads           attention heads in every transformer
 * @param contextDim      size of the text encoder's token embeddings (cross-attention keys/values)
 * @param groups          GroupNorm groups
 * @param dropout         dropout in the ResNet blocks during training
 * @param pooledText      also add the mean of the text context, projected, to the timestep embedding
 *                        (SDXL's pooled text embedding), so every ResNet block sees the prompt
 * @param patchSize       space-to-depth factor p: the UNet sees the image as [C·p², S/p, S/p], the way
 *                        Stable Diffusion's UNet works on a smaller latent; 1 works on the pixels
 * @param coordChannels   give conv_in two more input channels holding each pixel's x and y in [-1, 1]
 *                        (CoordConv, Liu et al. 2018), so the network knows where it is: "top left"
 *                        is then something a prompt can point at, not only what zero padding hints
 * @param posEmbed        add a fixed 2-D sine-cosine positional embedding to every spatial
 *                        transformer's tokens (as DiT does), so cross-attention queries know their place
 */
public record UNetConfig(int imageSize, int inChannels, int baseChannels, int[] channelMult, int layersPerBlock,
                         boolean[] attentionLevels, int heads, int contextDim, int groups, float dropout, boolean pooledText, int patchSize, boolean coordChannels, boolean posEmbed) {
    public UNetConfig {
        // A config read from a file may lack fields (JSON readers leave them 0 or null): every size is checked.
        if (channelMult == null || attentionLevels == null)
            throw new IllegalArgumentException("UNetConfig: " + (channelMult == null ? "channelMult" : "attentionLevels") + " is missing");
        positive("imageSize", imageSize);
        positive("inChannels", inChannels);
        positive("baseChannels", baseChannels);
        positive("layersPerBlock", layersPerBlock);
        positive("heads", heads);
        positive("contextDim", contextDim);
        positive("groups", groups);
        for (int m : channelMult) positive("channelMult entry", m);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("UNetConfig: dropout must be in [0, 1), got " + dropout);
        if (channelMult.length > 16) throw new IllegalArgumentException("UNetConfig: " + channelMult.length + " levels; at most 16");
        if (channelMult.length == 0 || attentionLevels.length != channelMult.length)
            throw new IllegalArgumentException("UNetConfig: channelMult " + Arrays.toString(channelMult) + " and attentionLevels " + Arrays.toString(attentionLevels) + " must be non-empty and the same length");
        if (patchSize < 1 || imageSize % ((long) patchSize << (channelMult.length - 1)) != 0)
            throw new IllegalArgumentException("UNetConfig: image size " + imageSize + " is not divisible by patch " + patchSize + " x 2^" + (channelMult.length - 1));
        for (int m : channelMult) {
            if ((long) baseChannels * m > 1 << 20) throw new IllegalArgumentException("UNetConfig: " + (long) baseChannels * m + " channels at one level is absurd");
            if ((baseChannels * m) % groups != 0 || (baseChannels * m) % heads != 0)
                throw new IllegalArgumentException("UNetConfig: " + baseChannels * m + " channels do not split into " + groups + " groups and " + heads + " heads");
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0) throw new IllegalArgumentException("UNetConfig: " + name + " must be positive, got " + v);
    }

    public int channels(int level) {
        return baseChannels * channelMult[level];
    }

    /** Side of the first level's feature map: the image side over the patch size. */
    public int latentSize() {
        return imageSize / patchSize;
    }

    public int timeEmbedDim() {
        return baseChannels * 4;
    }

    /** A tiny config for tests: 8x8 images, two levels, attention on the second. */
    public static UNetConfig tiny(int contextDim) {
        return new UNetConfig(8, 3, 8, new int[] {1, 2}, 1, new boolean[] {false, true}, 2, contextDim, 4, 0f, true, 1, true, true);
    }

    @Override public boolean equals(Object o) {
        return o instanceof UNetConfig c && imageSize == c.imageSize && inChannels == c.inChannels && baseChannels == c.baseChannels
                && Arrays.equals(channelMult, c.channelMult) && layersPerBlock == c.layersPerBlock && Arrays.equals(attentionLevels, c.attentionLevels)
                && heads == c.heads && contextDim == c.contextDim && groups == c.groups && dropout == c.dropout && pooledText == c.pooledText && patchSize == c.patchSize && coordChannels == c.coordChannels && posEmbed == c.posEmbed;
    }

    @Override public int hashCode() {
        return Arrays.hashCode(channelMult) * 31 + imageSize;
    }

    @Override public String toString() {
        return "UNetConfig[imageSize=" + imageSize + ", inChannels=" + inChannels + ", baseChannels=" + baseChannels + ", channelMult=" + Arrays.toString(channelMult)
                + ", layersPerBlock=" + layersPerBlock + ", attentionLevels=" + Arrays.toString(attentionLevels) + ", heads=" + heads
                + ", contextDim=" + contextDim + ", groups=" + groups + ", dropout=" + dropout + ", pooledText=" + pooledText + ", patchSize=" + patchSize + ", coordChannels=" + coordChannels + ", posEmbed=" + posEmbed + "]";
    }
}
