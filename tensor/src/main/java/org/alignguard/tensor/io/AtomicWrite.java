package org.alignguard.tensor.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that a crash leaves the old file or the new one, never half of one: the bytes go
 * to a temporary file beside the target, which is then renamed over it. The temporary file is
 * created like any other file (the user's umask decides its permissions; {@code Files.createTempFile}
 * would make it readable by its owner only), and removed when anything fails. Whether an existing
 * file may be replaced is the caller's decision.
 */
public final class AtomicWrite {
    private AtomicWrite() {}

    /** What writes the content, given the (existing, empty) temporary file. */
    @FunctionalInterface
    public interface Body {
        void writeTo(Path tmp) throws IOException;
    }

    public static void write(Path file, Body body) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = null;
        for (int attempt = 0; tmp == null; attempt++) {
            Path candidate = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                Files.newByteChannel(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                tmp = candidate;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) throw e;
            }
        }
        boolean moved = false;
        try {
            body.writeTo(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);                                   // on disk before the rename makes it visible
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    /** Flushes the rename itself to disk where the platform allows it (Linux does; Windows does not). */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some file systems cannot open a directory for reading
        }
    }

    /** A text file, UTF-8. */
    public static void writeString(Path file, String text) throws IOException {
        write(file, tmp -> Files.writeString(tmp, text));
    }
}
