package org.alignguard.data;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writing a whole folder so that nothing on disk is ever half-done: everything goes into a hidden
 * staging folder beside the target, which is renamed into place at the end. An existing target is
 * replaced only when the caller allows it, and only after the new one is complete.
 */
public final class OutputDirs {
    private OutputDirs() {}

    /** A fresh staging folder next to {@code target}. */
    public static Path stage(Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Files.createDirectories(abs.getParent());
        // Not Files.createTempDirectory: that one is always rwx------, and the folder is renamed into place.
        for (int attempt = 0; ; attempt++) {
            Path p = abs.getParent().resolve("." + abs.getFileName() + ".tmp-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()));
            try {
                return Files.createDirectory(p);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt >= 10) throw e;
            }
        }
    }

    /** Moves {@code staged} to {@code target}, replacing an old target (which must be allowed by the caller). */
    public static void commit(Path staged, Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path old = null;
        if (Files.exists(abs)) {
            old = Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".old-");
            Files.delete(old);
            move(abs, old);
        }
        move(staged, abs);
        if (old != null) deleteTree(old);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
