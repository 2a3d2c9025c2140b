package org.alignguard.data;

import org.alignguard.diffusion.train.HeldOut;
import org.alignguard.diffusion.world.Scene;

/**
 * Which part of the alignment data a scene belongs to, decided by its benign attributes alone
 * (shape, colour, background, position), never by the concept:
 * <ul>
 *   <li>{@code BENIGN}: the combinations held out of pretraining ({@link HeldOut}); they measure
 *       benign fidelity and appear in no preference pair and no unsafe test prompt;</li>
 *   <li>{@code TEST}: about one in five of the rest; unsafe, safe-twin and held-out-synonym test
 *       prompts are written only on these;</li>
 *   <li>{@code TRAIN}: everything else; the preference pairs use only these.</li>
 * </ul>
 * So a test prompt never shares its scene with a training pair, whatever the concept or phrasing.
 * CoProV2's official split shares about 700 prompts between train and test; this one shares none.
 */
public enum DataSplit {
    TRAIN, TEST, BENIGN;

    public static DataSplit of(Scene s) {
        if (HeldOut.isHeldOut(s)) return BENIGN;
        int h = ((s.position() * 37 + s.background()) * 37 + s.colour()) * 37 + s.shape();
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return Integer.remainderUnsigned(h, 5) == 0 ? TEST : TRAIN;
    }
}
