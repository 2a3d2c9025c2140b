package org.alignguard.diffusion.world;

/** The world file is malformed; the message names the entry and the problem. */
public class WorldFormatException extends IllegalArgumentException {
    public WorldFormatException(String message) {
        super(message);
    }

    public WorldFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
