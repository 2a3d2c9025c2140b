package org.alignguard.tensor.cpu;

import org.alignguard.tensor.Tensor;

/** Read access to a tensor's values as one row-major array, copying only when the tensor is a view. */
final class Host {
    private Host() {}

    /** The tensor's values in row-major order starting at index 0: the backing array when possible. */
    static float[] read(Tensor t) {
        if (t.isContiguous() && t.offset() == 0 && t.storage().length() == t.numel()) return t.storage().hostArray();
        return t.toArray();
    }
}
