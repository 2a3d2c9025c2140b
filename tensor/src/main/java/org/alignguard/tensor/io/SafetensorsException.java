package org.alignguard.tensor.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file that is corrupt or not in the format: truncated, a bad header length, bad
 * JSON, an unknown dtype, bad offsets or shapes; or one refused for its content, weights that are
 * not finite ({@link Safetensors#readFinite}). The message is one line that starts with the file
 * and says what is wrong, so a command-line tool can print it as is.
 *
 * <p>It is an {@link IOException}: reading a file can fail for plain I/O reasons too (missing
 * file, no permission), and callers handle both the same way.
 */
public final class SafetensorsException extends IOException {
    private final transient Path file;

    public SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public SafetensorsException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that was being read or written. */
    public Path file() {
        return file;
    }
}
