package org.alignguard.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 4x4 block of floats transposed in registers: four 4-float loads, two rounds of one shuffle and
 * one blend per row, four 4-float stores. The packing loops that turn rows into columns (a
 * row-major A into the micro-kernel's panels, an image into channels-last order) use it instead of
 * moving one float at a time, which took two to three times as long (docs/PERFORMANCE.md,
 * development log: "fifteenth session").
 */
final class Transpose4 {
    private Transpose4() {}

    private static final VectorSpecies<Float> Q = FloatVector.SPECIES_128;
    private static final VectorShuffle<Float> S0022 = VectorShuffle.fromValues(Q, 0, 0, 2, 2),
            S1133 = VectorShuffle.fromValues(Q, 1, 1, 3, 3), S0101 = VectorShuffle.fromValues(Q, 0, 1, 0, 1),
            S2323 = VectorShuffle.fromValues(Q, 2, 3, 2, 3);
    private static final VectorMask<Float> ODD = VectorMask.fromValues(Q, false, true, false, true),
            EVEN = VectorMask.fromValues(Q, true, false, true, false),
            HIGH = VectorMask.fromValues(Q, false, false, true, true),
            LOW = VectorMask.fromValues(Q, true, true, false, false);

    /** out[d + j*ldo + i] = a[s + i*rs + j] for i, j in 0..3. */
    static void block(float[] a, int s, int rs, float[] out, int d, int ldo) {
        FloatVector r0 = FloatVector.fromArray(Q, a, s), r1 = FloatVector.fromArray(Q, a, s + rs),
                r2 = FloatVector.fromArray(Q, a, s + 2 * rs), r3 = FloatVector.fromArray(Q, a, s + 3 * rs);
        FloatVector u0 = r0.blend(r1.rearrange(S0022), ODD);     // r0[0] r1[0] r0[2] r1[2]
        FloatVector u1 = r1.blend(r0.rearrange(S1133), EVEN);    // r0[1] r1[1] r0[3] r1[3]
        FloatVector u2 = r2.blend(r3.rearrange(S0022), ODD);     // r2[0] r3[0] r2[2] r3[2]
        FloatVector u3 = r3.blend(r2.rearrange(S1133), EVEN);    // r2[1] r3[1] r2[3] r3[3]
        u0.blend(u2.rearrange(S0101), HIGH).intoArray(out, d);              // column 0: r0[0] r1[0] r2[0] r3[0]
        u1.blend(u3.rearrange(S0101), HIGH).intoArray(out, d + ldo);        // column 1
        u2.blend(u0.rearrange(S2323), LOW).intoArray(out, d + 2 * ldo);     // column 2
        u3.blend(u1.rearrange(S2323), LOW).intoArray(out, d + 3 * ldo);     // column 3
    }
}
