package org.alignguard.tensor;

/**
 * The flat float32 buffer behind one or more tensors.
 *
 * <p>A tensor is a view (shape, strides, offset) onto a storage. The CPU backend uses
 * {@link HeapStorage}, a plain {@code float[]}. A GPU backend supplies its own storage that keeps
 * the data resident on the device and only copies it to the host when {@link #hostArray()} is
 * asked for, so model code never has to know where the numbers live.
 */
public interface Storage {
    /** Number of float elements in the buffer. */
    int length();

    /** Where the authoritative copy lives, e.g. "cpu" or "gpu:0". */
    String device();

    /**
     * The data as a host array. For device storage this synchronizes device to host first; the
     * caller may read it, and may write it only after calling {@link #markHostDirty()}.
     */
    float[] hostArray();

    /** Tells a device storage that the host copy was written and must be uploaded before use. */
    default void markHostDirty() {}
}
