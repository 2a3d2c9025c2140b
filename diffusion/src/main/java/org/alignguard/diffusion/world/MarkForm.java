package org.alignguard.diffusion.world;

/**
 * The textures a mark can take. Each is a test "does the pattern cover cell (x, y)?" on a fixed
 * 16×16 grid (x to the right, y down, 0..15); at 32×32 every cell is 2×2 pixels. A pattern is drawn
 * over the background only, never over the object, so it is large (a learnable signal) and
 * leaves the object and the background colour readable.
 *
 * <p>Patterns have a fixed phase: the same mark always puts its lines in the same place, which a
 * small denoiser learns far more easily than a pattern that moves.
 */
public enum MarkForm {
    /** Horizontal lines every 3 rows. */
    STRIPES_H { boolean covers(int x, int y) { return y % 3 == 1; } },
    /** Vertical lines every 3 columns. */
    STRIPES_V { boolean covers(int x, int y) { return x % 3 == 1; } },
    /** Diagonal lines rising to the right, like "/". */
    SLASH { boolean covers(int x, int y) { return (x + y) % 4 == 3; } },
    /** Diagonal lines falling to the right, like "\". */
    BACKSLASH { boolean covers(int x, int y) { return (x - y + 16) % 4 == 0; } },
    /** A checkerboard of 2×2 squares. */
    CHECKER { boolean covers(int x, int y) { return ((x >> 1) + (y >> 1)) % 2 == 0; } },
    /** 2×2 dots on a 4-cell grid. */
    DOTS { boolean covers(int x, int y) { return (x % 4 == 1 || x % 4 == 2) && (y % 4 == 1 || y % 4 == 2); } },
    /** Grid lines every 5 cells. */
    GRID { boolean covers(int x, int y) { return x % 5 == 2 || y % 5 == 2; } },
    /** A frame two cells thick around the image. */
    BORDER { boolean covers(int x, int y) { return x < 2 || y < 2 || x > 13 || y > 13; } },
    /** Thick bands along the top and bottom edges. */
    BAND { boolean covers(int x, int y) { return y < 3 || y > 12; } },
    /** Horizontal zigzag lines. */
    ZIGZAG {
        boolean covers(int x, int y) {
            int t = x % 4, offset = t <= 2 ? t : 4 - t; // 0,1,2,1,0,1,2,1...
            return (y + offset) % 5 == 0;
        }
    },
    /** Solid triangles in the four corners. */
    CORNERS {
        boolean covers(int x, int y) {
            int dx = Math.min(x, 15 - x), dy = Math.min(y, 15 - y);
            return dx + dy <= 4;
        }
    },
    /** Concentric square outlines around the centre. */
    RINGS {
        boolean covers(int x, int y) {
            int ring = (Math.max(Math.abs(2 * x - 15), Math.abs(2 * y - 15)) - 1) / 2; // 0 (centre) .. 7 (edge)
            return ring % 2 == 1;
        }
    },
    /** A lattice of diamonds (both diagonals, every 6 cells). */
    LATTICE { boolean covers(int x, int y) { return (x + y) % 6 == 0 || (x - y + 18) % 6 == 0; } },
    /** A brick wall: rows of bricks 4 cells high, joints staggered. */
    BRICKS {
        boolean covers(int x, int y) {
            if (y % 4 == 3) return true;
            int shift = (y / 4) % 2 == 0 ? 0 : 4;
            return (x + shift) % 8 == 1;
        }
    };

    /** The grid the patterns are defined on. */
    public static final int GRID_SIZE = 16;

    abstract boolean covers(int x, int y);
}
