package org.alignguard.tensor;

/** A storage backed by a Java {@code float[]} on the heap: the CPU backend's storage. */
public final class HeapStorage implements Storage {
    private final float[] data;

    public HeapStorage(float[] data) {
        this.data = data;
    }

    public HeapStorage(int length) {
        if (length < 0) throw new IllegalArgumentException("negative storage length " + length);
        this.data = new float[length];
    }

    @Override public int length() { return data.length; }
    @Override public String device() { return "cpu"; }
    @Override public float[] hostArray() { return data; }
}
