package org.grad4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private static void write(Path target, String text) throws IOException {
        AtomicFiles.write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    private static Set<String> names(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            Set<String> out = new TreeSet<>();
            files.forEach(p -> out.add(p.getFileName().toString()));
            return out;
        }
    }

    /** The file type bits of {@code path} itself (links not followed): 0100000 regular, 0020000 device... */
    private static int type(Path path) throws IOException {
        return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000;
    }

    private static void refused(String message, Path target) {
        FileSystemException e = assertThrows(FileSystemException.class, () -> write(target, "new"));
        assertEquals(message, e.getMessage());
        FileSystemException p = assertThrows(FileSystemException.class, () -> AtomicFiles.prepare(target));
        assertEquals(message, p.getMessage(), "prepare refuses what write refuses");
    }

    /** Runs {@code command}; false when the tool is missing or fails (the test then skips). */
    private static boolean shell(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void replacingAFileKeepsItsPermissionsAndLeavesNoTemporary() throws Exception {
        Path file = dir.resolve("m.jsonl");
        write(file, "old");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        write(file, "new");
        assertEquals("new", Files.readString(file));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(Set.of("m.jsonl"), names(dir));
    }

    @Test
    void aFailedWriteKeepsTheOldFileAndDeletesItsTemporary() throws Exception {
        Path file = dir.resolve("m.jsonl");
        write(file, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(file, ch -> {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old", Files.readString(file));
        assertEquals(Set.of("m.jsonl"), names(dir));
    }

    @Test
    void aSymlinkChainIsFollowedToItsTargetWhichIsReplacedBesideItself() throws Exception {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path links = Files.createDirectory(dir.resolve("links"));
        write(real.resolve("m.jsonl"), "old");
        // links/a -> b (relative, same directory) -> ../real/m.jsonl (relative to links/, not the cwd)
        Files.createSymbolicLink(links.resolve("b"), Path.of("../real/m.jsonl"));
        Files.createSymbolicLink(links.resolve("a"), Path.of("b"));
        write(links.resolve("a"), "new");
        assertEquals("new", Files.readString(real.resolve("m.jsonl")));
        assertTrue(Files.isSymbolicLink(links.resolve("a")) && Files.isSymbolicLink(links.resolve("b")),
                "the links stay links");
        assertEquals(Set.of("a", "b"), names(links));
        assertEquals(Set.of("m.jsonl"), names(real), "the temporary was created, and renamed, beside the target");
    }

    @Test
    void anAbsoluteSymlinkIsFollowed() throws Exception {
        Path target = dir.resolve("target.txt");
        write(target, "old");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target.toAbsolutePath());
        write(link, "new");
        assertEquals("new", Files.readString(target));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void aDanglingSymlinkCreatesItsTarget() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("later.txt"));
        write(link, "new");
        assertEquals("new", Files.readString(dir.resolve("later.txt")));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void aSymlinkLoopIsRefused() throws Exception {
        Path a = Files.createSymbolicLink(dir.resolve("a"), Path.of("b"));
        Files.createSymbolicLink(dir.resolve("b"), Path.of("a"));
        refused(a + ": more than 40 symbolic links in a row (a loop?), expected a regular file", a);
        assertTrue(Files.isSymbolicLink(a) && Files.isSymbolicLink(dir.resolve("b")));
    }

    @Test
    void aDirectoryIsRefused() throws Exception {
        Path d = Files.createDirectory(dir.resolve("d"));
        refused(d + ": is a directory, expected a regular file", d);
        assertTrue(Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void aSymlinkToADirectoryIsRefusedNamingBoth() throws Exception {
        Path d = Files.createDirectory(dir.resolve("d"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("d"));
        refused(link + " -> " + d + ": is a directory, expected a regular file", link);
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void aFifoIsRefusedAndStaysAFifo() throws Exception {
        Path fifo = dir.resolve("fifo");
        assumeTrue(shell("mkfifo", fifo.toString()), "needs mkfifo");
        refused(fifo + ": is a FIFO, expected a regular file", fifo);
        assertEquals(0010000, type(fifo));
        assertEquals(Set.of("fifo"), names(dir));
    }

    @Test
    void deviceNodesAreRefusedAndStayDevices() throws Exception {
        // Nodes of our own (as /dev/null and /dev/full), so that a broken refusal cannot replace the system's.
        Path full = dir.resolve("full");
        Path nul = dir.resolve("null");
        assumeTrue(shell("mknod", full.toString(), "c", "1", "7") && shell("mknod", nul.toString(), "c", "1", "3"),
                "needs mknod (root)");
        refused(full + ": is a character device, expected a regular file", full);
        refused(nul + ": is a character device, expected a regular file", nul);
        assertEquals(0020000, type(full));
        assertEquals(0020000, type(nul));
        assertEquals(Set.of("full", "null"), names(dir));
    }

    @Test
    void theSystemsDevicesAreRefusedBeforeAnyWrite() throws Exception {
        // prepare only: it never renames anything over its target.
        for (String device : List.of("/dev/null", "/dev/full")) {
            Path p = Path.of(device);
            assumeTrue(Files.exists(p) && type(p) == 0020000, device + " is a character device here");
            FileSystemException e = assertThrows(FileSystemException.class, () -> AtomicFiles.prepare(p));
            assertEquals(device + ": is a character device, expected a regular file", e.getMessage());
        }
    }

    @Test
    void aMissingDirectoryIsNotCreated() {
        Path file = dir.resolve("no-such-dir").resolve("m.jsonl");
        refused(file + ": directory " + file.getParent() + " does not exist (it is not created)", file);
        assertFalse(Files.exists(file.getParent()));
    }

    @Test
    void aFileAsTheDirectoryIsRefused() throws Exception {
        Path parent = dir.resolve("plain");
        write(parent, "old");
        Path file = parent.resolve("m.jsonl");
        refused(file + ": " + parent + " is a regular file, expected a directory", file);
        assertEquals("old", Files.readString(parent));
    }

    @Test
    void prepareProvesTheDirectoryTakesANewFile() {
        // As root, permission bits say nothing; /proc takes no new file whatever they say.
        Path proc = Path.of("/proc");
        assumeTrue(Files.isDirectory(proc), "needs /proc");
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> AtomicFiles.prepare(proc.resolve("m.jsonl")));
        assertEquals("/proc/m.jsonl: cannot create a file in /proc (No such file or directory)", e.getMessage());
    }

    @Test
    void prepareChangesNothing() throws Exception {
        AtomicFiles.prepare(dir.resolve("new.jsonl"));
        assertEquals(Set.of(), names(dir));
        write(dir.resolve("old.jsonl"), "old");
        AtomicFiles.prepare(dir.resolve("old.jsonl"));
        assertEquals("old", Files.readString(dir.resolve("old.jsonl")));
        assertEquals(Set.of("old.jsonl"), names(dir));
    }

    /** Started in its own JVM: begins an atomic write of args[0] and is killed in the middle of it. */
    static final class KilledWriter {
        public static void main(String[] args) throws IOException {
            AtomicFiles.write(Path.of(args[0]), ch -> {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
                Runtime.getRuntime().halt(9);
            });
        }
    }

    /** Lets a JVM die in the middle of writing {@code target}; returns the temporary it left. */
    private static Path killWhileWriting(Path target) throws Exception {
        Set<String> before = names(target.getParent());
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KilledWriter.class.getName(), target.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(9, p.waitFor(), out);
        Set<String> left = names(target.getParent());
        left.removeAll(before);
        assertEquals(1, left.size(), "the killed writer left its temporary: " + left);
        return target.resolveSibling(left.iterator().next());
    }

    @Test
    void temporariesOfKilledWritersAreDeletedAndNothingElse() throws Exception {
        Path file = dir.resolve("checkpoint.safetensors");
        write(file, "old");
        Path leftover = killWhileWriting(file);
        assertTrue(leftover.getFileName().toString().matches("checkpoint\\.safetensors\\.\\d+\\.[0-9a-z]+\\.tmp"),
                leftover.toString());
        String deadPid = leftover.getFileName().toString().split("\\.")[2];
        long ours = ProcessHandle.current().pid();
        List<String> kept = List.of(
                "checkpoint.safetensors." + ours + ".abc.tmp",      // a live process's (ours): maybe being written
                "checkpoint.safetensors.abc.tmp",                   // not our pattern
                "checkpoint.safetensors." + deadPid + ".abc.tmp.bak",
                "checkpoint.safetensors." + deadPid + ".ABC.tmp",
                "other.safetensors." + deadPid + ".abc.tmp",        // another target's
                "notes.tmp");
        for (String name : kept) {
            Files.writeString(dir.resolve(name), "not ours to delete");
        }
        Files.createDirectory(dir.resolve("checkpoint.safetensors." + deadPid + ".dir.tmp"));

        AtomicFiles.prepare(file);
        assertFalse(Files.exists(leftover), "prepare deletes the killed writer's temporary");
        assertEquals("old", Files.readString(file), "and the file stays as it was");
        Set<String> expected = new TreeSet<>(kept);
        expected.add("checkpoint.safetensors");
        expected.add("checkpoint.safetensors." + deadPid + ".dir.tmp");
        assertEquals(expected, names(dir));

        Path again = killWhileWriting(file);
        write(file, "new");
        assertFalse(Files.exists(again), "a successful write deletes it too");
        assertEquals("new", Files.readString(file));
        assertEquals(expected, names(dir));
    }
}
