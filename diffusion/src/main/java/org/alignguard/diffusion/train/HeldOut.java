package org.alignguard.diffusion.train;

import org.alignguard.diffusion.world.Scene;

/**
 * One benign combination (shape, colour, background, position) in ten is held out of pretraining,
 * so benign fidelity is measured on prompts the model never saw: it must compose, not recall.
 */
public final class HeldOut {
    private HeldOut() {}

    public static boolean isHeldOut(Scene s) {
        int h = ((s.shape() * 31 + s.colour()) * 31 + s.background()) * 31 + s.position();
        h ^= h >>> 7;
        h *= 0x9E3779B1;
        return Integer.remainderUnsigned(h >>> 8, 10) == 0;
    }
}
