package org.grad4j.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces files atomically: readers see the old content or the new one, never a mix, and a crash
 * or an error leaves the old file as it was. Checkpoints, metrics, plots and downloads are written
 * this way.
 *
 * <p>What a write replaces, and what it refuses:
 * <ul>
 *   <li>A regular file is replaced by a new one with the same permissions (and, where the process may
 *       set them, the same owner and group). Other hard links to the old file keep the old content.
 *   <li>A symbolic link is followed, through chains and relative links (resolved against the
 *       link's own directory), and its final target is replaced; the link stays a link. A dangling
 *       link creates its target, as the shell's {@code >} does, if the target's directory exists.
 *       More than {@value #MAX_LINKS} links in a row (a loop) are refused.
 *   <li>Anything else (a directory, a device such as {@code /dev/full}, a FIFO, a socket) is refused
 *       with a {@link FileSystemException} naming the path and what it is: replacing it would destroy
 *       it, and a reader of a FIFO would get nothing.
 *   <li>Missing directories are not created: a typo in a path should fail, not create a tree.
 * </ul>
 *
 * <p>The temporary file is created in the target's own directory (after following links), so the
 * final rename stays on one file system and is atomic. Its name is
 * {@code <target name>.<process id>.<random>.tmp}: a temporary whose process is no longer running
 * was left by a killed writer, and {@link #prepare} and every successful {@link #write} delete those
 * of their target. Nothing else is deleted, not even a {@code .tmp} file of another pattern.
 */
public final class AtomicFiles {
    /** The most symbolic links followed in a row; Linux's limit too. */
    static final int MAX_LINKS = 40;

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
     * Writes {@code bytes} to {@code target} atomically (see {@link #write(Path, Content)}).
     *
     * @throws IOException if the file cannot be written or moved into place, or is not a regular file
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
     * Writes {@code content} to a new temporary file beside {@code target} (beside the final target
     * of a symbolic link), forces it to disk, gives it the permissions of the file it replaces, then
     * moves it over that file (atomically where the file system can). On any failure the temporary
     * file is deleted and an existing file is untouched. After a successful write, temporaries of
     * this target left by killed processes are deleted.
     *
     * @throws NoSuchFileException naming {@code target} if its directory does not exist
     * @throws FileSystemException naming {@code target} if it is a directory, a device, a FIFO or
     *     another file that is not regular, or a loop of links
     * @throws IOException if the file cannot be written or moved into place
     */
    public static void write(Path target, Content content) throws IOException {
        Path file = checkedTarget(target);
        Path tmp = null;
        try {
            tmp = createTemporary(file);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
                ch.force(true);
            }
            copyPermissions(file, tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
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
        try {
            deleteLeftovers(file);
        } catch (IOException e) {
            // The write succeeded; a leftover that cannot be deleted is reported by prepare.
        }
    }

    /**
     * Checks, before long work, that {@link #write} can put a file at {@code target}, and deletes the
     * temporaries of {@code target} that killed processes left. The check follows symbolic links as
     * a write does, refuses what a write refuses, and proves that the directory accepts a new file by
     * creating and deleting one temporary (permission bits alone say nothing for root or on
     * {@code /proc}). Nothing else is created or changed.
     *
     * @throws FileSystemException naming {@code target}, what was found and what is expected, if a
     *     write would fail
     * @throws IOException if a leftover temporary cannot be deleted
     */
    public static void prepare(Path target) throws IOException {
        Path file = checkedTarget(target);
        Path probe;
        try {
            probe = createTemporary(file);
        } catch (FileSystemException e) {
            throw failure(target, file, "cannot create a file in " + file.getParent() + " (" + reason(e) + ")");
        }
        Files.delete(probe);
        deleteLeftovers(file);
    }

    /**
     * The file a write of {@code target} replaces: its final target after symbolic links, checked to
     * be a regular file or a new file in an existing directory.
     */
    private static Path checkedTarget(Path target) throws IOException {
        Path file = target.toAbsolutePath();
        for (int links = 0; Files.isSymbolicLink(file); links++) {
            if (links == MAX_LINKS) {
                throw failure(target, null, "more than " + MAX_LINKS + " symbolic links in a row (a loop?), "
                        + "expected a regular file");
            }
            file = file.resolveSibling(Files.readSymbolicLink(file));
        }
        Path dir = file.getParent();
        if (dir == null) {
            throw failure(target, file, "is the root directory, expected a regular file");
        }
        BasicFileAttributes dirAttributes = attributesOrNull(dir);
        if (dirAttributes == null) {
            throw new NoSuchFileException(target.toString(), followed(target, file),
                    "directory " + dir + " does not exist (it is not created)");
        }
        if (!dirAttributes.isDirectory()) {
            throw failure(target, file, dir + " is " + kind(dir, dirAttributes) + ", expected a directory");
        }
        BasicFileAttributes attributes = attributesOrNull(file);
        if (attributes != null && !attributes.isRegularFile()) {
            throw failure(target, file, "is " + kind(file, attributes) + ", expected a regular file");
        }
        return file;
    }

    /** Names the path as the caller gave it and, when links were followed, the file they lead to. */
    private static FileSystemException failure(Path target, Path file, String reason) {
        return new FileSystemException(target.toString(), followed(target, file), reason);
    }

    private static String followed(Path target, Path file) {
        return file == null || file.equals(target.toAbsolutePath()) ? null : file.toString();
    }

    private static BasicFileAttributes attributesOrNull(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** "a directory", "a character device", ...: what the user sees in {@code ls -l}. */
    private static String kind(Path path, BasicFileAttributes attributes) {
        if (attributes.isRegularFile()) {
            return "a regular file";
        }
        if (attributes.isDirectory()) {
            return "a directory";
        }
        try {
            // The "unix" view is not in the specification but exists on every JDK for Linux and macOS.
            int type = (Integer) Files.getAttribute(path, "unix:mode") & 0170000;
            switch (type) {
                case 0020000:
                    return "a character device";
                case 0060000:
                    return "a block device";
                case 0010000:
                    return "a FIFO";
                case 0140000:
                    return "a socket";
                default:
                    break;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            // fall through to the generic name
        }
        return "a special file";
    }

    private static String reason(FileSystemException e) {
        if (e.getReason() != null) {
            return e.getReason();
        }
        if (e instanceof NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof AccessDeniedException) {
            return "Permission denied";
        }
        return e.getClass().getSimpleName();
    }

    private static Path createTemporary(Path file) throws IOException {
        String prefix = file.getFileName() + "." + ProcessHandle.current().pid() + ".";
        while (true) {
            // Not Files.createTempFile: it creates the file rw------- on POSIX; createFile applies the
            // umask as usual, and copyPermissions then matches a file being replaced.
            Path candidate = file.resolveSibling(prefix
                    + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                return Files.createFile(candidate);
            } catch (FileAlreadyExistsException e) {
                // taken: draw another name
            }
        }
    }

    private static void copyPermissions(Path from, Path to) throws IOException {
        PosixFileAttributeView target = Files.getFileAttributeView(to, PosixFileAttributeView.class);
        if (target == null || !Files.exists(from)) {
            return;
        }
        PosixFileAttributes old = Files.readAttributes(from, PosixFileAttributes.class);
        PosixFileAttributes now = target.readAttributes();
        try {
            // Only a privileged process may give a file away; others keep their own owner and group.
            if (!old.owner().equals(now.owner())) {
                target.setOwner(old.owner());
            }
            if (!old.group().equals(now.group())) {
                target.setGroup(old.group());
            }
        } catch (IOException e) {
            // not permitted: the new file keeps this process's owner and group
        }
        target.setPermissions(old.permissions());
    }

    /** Deletes the temporaries of {@code file} whose writing process is no longer running. */
    private static void deleteLeftovers(Path file) throws IOException {
        Pattern ours = Pattern.compile(Pattern.quote(file.getFileName().toString())
                + "\\.(\\d{1,19})\\.[0-9a-z]{1,13}\\.tmp");
        DirectoryStream.Filter<Path> named = p -> ours.matcher(p.getFileName().toString()).matches();
        try (DirectoryStream<Path> siblings = Files.newDirectoryStream(file.getParent(), named)) {
            for (Path sibling : siblings) {
                Matcher m = ours.matcher(sibling.getFileName().toString());
                if (m.matches() && Files.isRegularFile(sibling, LinkOption.NOFOLLOW_LINKS) && !running(m.group(1))) {
                    Files.deleteIfExists(sibling);
                }
            }
        }
    }

    private static boolean running(String pid) {
        try {
            return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return true;  // not a pid this process could have written: keep the file
        }
    }
}
