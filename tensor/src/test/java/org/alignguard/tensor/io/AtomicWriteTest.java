package org.alignguard.tensor.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicWriteTest {
    @TempDir Path dir;

    @Test void aWrittenFileHasThePermissionsOfAnyNewFile() throws IOException {
        Assumptions.assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions only");
        Path plain = dir.resolve("plain.txt"), atomic = dir.resolve("report.html");
        Files.writeString(plain, "x");
        AtomicWrite.writeString(atomic, "<html></html>");
        assertEquals("<html></html>", Files.readString(atomic));
        // Files.createTempFile would have made it rw------- whatever the umask.
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(atomic));
    }

    @Test void aFailedWriteKeepsTheOldFileAndLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        Files.writeString(f, "old");
        assertThrows(IOException.class, () -> AtomicWrite.write(f, tmp -> {
            Files.writeString(tmp, "half");
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(1, s.count(), "only the old file is left");
        }
    }
}
