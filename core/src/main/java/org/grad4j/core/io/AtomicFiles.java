package org.grad4j.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Replaces files atomically: readers see the old content or the new one, never a mix, and a crash
 * or an error leaves the old file as it was. Checkpoints, metrics and plots are written this way.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** Writes the content of a file into an open channel. */
    @FunctionalInterface
    public interface Content {
        /**
         * Writes everything.
         *
         * @throws IOException if writing fails
         */
        void writeTo(FileChannel channel) throws IOException;
    }

    /**
     * Writes {@code bytes} to {@code target} atomically.
     *
     * @throws IOException if the file cannot be written or moved into place
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, ch -> {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        });
    }

    /**
     * Writes {@code content} to a new temporary file beside {@code target}, forces it to disk, then
     * moves it over {@code target} (atomically where the file system can). On any failure the
     * temporary file is deleted and an existing {@code target} is untouched. The directory must
     * exist: a typo in a path should fail, not create a tree.
     *
     * @throws IOException if the file cannot be written or moved into place
     */
    public static void write(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = null;
        try {
            while (tmp == null) {
                // Not Files.createTempFile: it creates the file rw------- on POSIX and the result
                // would keep those permissions; createFile applies the umask as usual.
                Path candidate = abs.resolveSibling(abs.getFileName() + "."
                        + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
                try {
                    tmp = Files.createFile(candidate);
                } catch (FileAlreadyExistsException e) {
                    // taken: draw another name
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException | RuntimeException | Error e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }
}
