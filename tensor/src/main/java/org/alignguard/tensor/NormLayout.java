package org.alignguard.tensor;

/**
 * How a normalization sees its input: {@code rows} runs of {@code rowLen} contiguous values, each
 * normalized on its own; a row covers {@code channelsPerGroup} channels of {@code spatial} values,
 * and row r starts at channel {@link #firstChannel}. Group norm on NCHW: a row is one group of one
 * sample. Layer norm: a row is one vector of the last dim (one channel per value). Both backends'
 * norm kernels read their input through it.
 */
public record NormLayout(int rows, int rowLen, int groupsPerSample, int channelsPerGroup, int spatial) {

    public int firstChannel(int r) {
        return (r % groupsPerSample) * channelsPerGroup;
    }

    /** Group norm of an [N, C, ...] tensor with {@code groups} groups. */
    public static NormLayout group(int[] shape, int groups) {
        int n = shape[0], c = shape[1], spatial = 1;
        for (int i = 2; i < shape.length; i++) spatial *= shape[i];
        return new NormLayout(n * groups, (c / groups) * spatial, groups, c / groups, spatial);
    }

    /** Layer norm over the last dim. */
    public static NormLayout layer(int[] shape) {
        int d = shape[shape.length - 1], rows = 1;
        for (int i = 0; i < shape.length - 1; i++) rows *= shape[i];
        return new NormLayout(rows, d, 1, d, 1);
    }
}
