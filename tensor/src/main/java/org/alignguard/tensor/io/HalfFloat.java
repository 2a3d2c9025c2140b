package org.alignguard.tensor.io;

/**
 * Bit-level conversions between float32 and the two 16-bit float formats found in safetensors files.
 *
 * <p>IEEE half (F16): 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits. Exponent 0 means
 * zero or subnormal (value = mantissa * 2^-24); exponent 31 means infinity (mantissa 0) or NaN.
 *
 * <p>bfloat16 (BF16): 1 sign bit, 8 exponent bits, 7 mantissa bits. It is simply the top half of a
 * float32, so widening is a shift and narrowing is a rounding of the low 16 bits.
 *
 * <p>Narrowing rounds to nearest, ties to even, like PyTorch and {@link Float#floatToFloat16}.
 */
public final class HalfFloat {
    private HalfFloat() {}

    /** F16 bits (the low 16 bits of {@code h}) to float32; exact, since every half is a float. */
    public static float f16ToFloat(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) // infinity, or NaN with its payload moved to the top of the float mantissa
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp == 0) {
            if (mant == 0) return Float.intBitsToFloat(sign); // +0 or -0
            float v = mant * 0x1p-24f; // subnormal: no implicit leading 1; exact in float
            return sign != 0 ? -v : v;
        }
        // normal: rebias the exponent from 15 to 127 and widen the mantissa from 10 to 23 bits
        return Float.intBitsToFloat(sign | ((exp + 127 - 15) << 23) | (mant << 13));
    }

    /** float32 to F16 bits (in the low 16 bits of the result), rounding to nearest even. */
    public static int floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) { // infinity or NaN (NaN stays NaN: force the quiet bit)
            return abs == 0x7f800000 ? sign | 0x7c00 : sign | 0x7e00 | ((abs >>> 13) & 0x3ff);
        }
        if (abs >= 0x477ff000) return sign | 0x7c00; // >= 65520 rounds past the max half 65504
        int exp = (abs >>> 23) - 127;
        int mant = abs & 0x7fffff;
        if (exp >= -14) { // a normal half: keep the top 10 mantissa bits and round the other 13
            int h = ((exp + 15) << 10) | (mant >>> 13);
            return sign | roundEven(h, mant & 0x1fff, 0x1000);
        }
        // A subnormal half counts units of 2^-24. The float is m * 2^(exp-23) with m the mantissa
        // including its implicit 1, so it is m >> s units with s = -(exp + 1) >= 14.
        int s = -(exp + 1);
        if (s >= 25) return sign; // below 2^-25: rounds to zero
        int m = mant | 0x800000;
        return sign | roundEven(m >>> s, m & ((1 << s) - 1), 1 << (s - 1));
    }

    /** BF16 bits (the low 16 bits of {@code b}) to float32: they are the float's top 16 bits. */
    public static float bf16ToFloat(int b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** float32 to BF16 bits, rounding to nearest even; every NaN becomes 0x7fc0, as in PyTorch. */
    public static int floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return 0x7fc0;
        int lsb = (bits >>> 16) & 1; // adding 0x7fff + lsb carries into bit 16 exactly when rounding up
        return ((bits + 0x7fff + lsb) >>> 16) & 0xffff;
    }

    /**
     * Rounds a truncated value {@code q} up by one when the dropped bits {@code rest} are more than
     * {@code half} a unit, or exactly half and {@code q} is odd. A carry out of the mantissa bumps the
     * exponent, which is the correct result (and reaches infinity only for values we handled above).
     */
    private static int roundEven(int q, int rest, int half) {
        return (rest > half || (rest == half && (q & 1) != 0)) ? q + 1 : q;
    }
}
