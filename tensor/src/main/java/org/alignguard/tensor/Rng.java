package org.alignguard.tensor;

/**
 * A seeded pseudo-random generator (xoshiro128** seeded through SplitMix64).
 *
 * <p>Every random tensor is drawn from an explicit {@code Rng}, one number after another on the
 * calling thread, so the same seed gives the same numbers on every run and at every thread count.
 */
public final class Rng {
    private int s0, s1, s2, s3;
    private double spareNormal;
    private boolean hasSpare;

    public Rng(long seed) {
        long z = seed;
        long a = splitMix(z += 0x9E3779B97F4A7C15L), b = splitMix(z += 0x9E3779B97F4A7C15L);
        s0 = (int) a; s1 = (int) (a >>> 32); s2 = (int) b; s3 = (int) (b >>> 32);
        if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next 32 random bits (xoshiro128**). */
    public int nextInt() {
        int result = Integer.rotateLeft(s1 * 5, 7) * 9;
        int t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = Integer.rotateLeft(s3, 11);
        return result;
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        return (int) (((nextInt() & 0xFFFFFFFFL) * bound) >>> 32);
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextInt() >>> 8) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        long hi = nextInt() >>> 6 & 0x3FFFFFFL, lo = nextInt() >>> 5 & 0x7FFFFFFL;
        return (hi * 134217728.0 + lo) * 0x1.0p-53;
    }

    /** Standard normal, Box-Muller (both values of each pair are used). */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareNormal;
        }
        double u1;
        do u1 = nextDouble(); while (u1 <= 0);
        double u2 = nextDouble();
        double r = Math.sqrt(-2 * Math.log(u1));
        spareNormal = r * Math.sin(2 * Math.PI * u2);
        hasSpare = true;
        return r * Math.cos(2 * Math.PI * u2);
    }

    /** A new generator whose stream is independent of this one, derived from it deterministically. */
    public Rng split() {
        return new Rng(((long) nextInt() << 32) ^ (nextInt() & 0xFFFFFFFFL));
    }
}
