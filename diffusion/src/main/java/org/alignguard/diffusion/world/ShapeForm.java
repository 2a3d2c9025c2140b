package org.alignguard.diffusion.world;

/**
 * The drawable object shapes. Each is a test "is the point (u, v) inside?" on the object's box,
 * with u from -1 (left) to 1 (right) and v from -1 (top) to 1 (bottom). The renderer asks it at
 * the centre of every pixel of the box, so the same shape works at 16×16 and at 32×32.
 */
public enum ShapeForm {
    SQUARE { boolean inside(double u, double v) { return Math.max(Math.abs(u), Math.abs(v)) <= 0.76; } },
    CIRCLE { boolean inside(double u, double v) { return u * u + v * v <= 0.95; } },
    RING { boolean inside(double u, double v) { double r = u * u + v * v; return r <= 0.95 && r >= 0.3; } },
    DIAMOND { boolean inside(double u, double v) { return Math.abs(u) + Math.abs(v) <= 1.01; } },
    /** Apex at the top, base at the bottom. */
    TRIANGLE { boolean inside(double u, double v) { return v >= -0.9 && Math.abs(u) <= (v + 1.05) / 2; } },
    /** An upright cross: two bars. */
    PLUS { boolean inside(double u, double v) { return Math.min(Math.abs(u), Math.abs(v)) <= 0.3; } },
    /** A diagonal cross: two diagonal bars. */
    CROSS { boolean inside(double u, double v) { return Math.abs(Math.abs(u) - Math.abs(v)) <= 0.3; } },
    /** Two lobes on top, a point at the bottom. */
    HEART {
        boolean inside(double u, double v) {
            if (v < 0) { // the two lobes: circles centred at (±0.45, -0.4)
                double dx = Math.abs(u) - 0.45, dy = v + 0.4;
                return dx * dx + dy * dy <= 0.33 || (v >= -0.4 && Math.abs(u) <= 0.95);
            }
            return Math.abs(u) <= 0.95 * (1 - v) + 0.05; // the lower half narrows to a point
        }
    },
    /** A hollow square. */
    FRAME { boolean inside(double u, double v) { double m = Math.max(Math.abs(u), Math.abs(v)); return m <= 0.95 && m >= 0.45; } };

    abstract boolean inside(double u, double v);
}
