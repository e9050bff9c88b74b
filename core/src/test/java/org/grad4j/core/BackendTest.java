package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.kernels.Kernels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BackendTest {
    private static final String WARNING = "WARNING: grad4j: SIMD kernels are off, so tensor ops run 4 to 40 times"
            + " slower: start java with --add-modules jdk.incubator.vector (with Maven: in the exec plugin's"
            + " arguments and in surefire's argLine); -Dgrad4j.simd=false chooses the portable path without"
            + " this warning";

    private final int savedThreads = Backend.threads();

    @AfterEach
    void restoreThreads() {
        Backend.setThreads(savedThreads);
    }

    @Test
    void theFacadeIsTheKernels() {
        Backend.setThreads(3);
        assertEquals(3, Kernels.threads());
        assertEquals(Kernels.description(), Backend.description());
        assertEquals(Kernels.simd(), Backend.simd());
        assertEquals("kernels: thread count must be between 1 and 1024, got 0",
                assertThrows(IllegalArgumentException.class, () -> Backend.setThreads(0)).getMessage());
        assertEquals(3, Backend.threads());
    }

    /**
     * Runs {@link Probe} in a JVM with the default logging set-up and returns its lines, stdout and
     * stderr together, without the JVM's own incubator warning.
     */
    private static List<String> probe(String... jvmArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmArgs));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Probe.class.getName());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), out);
        List<String> lines = new ArrayList<>(out.lines().toList());
        lines.remove("WARNING: Using incubator modules: jdk.incubator.vector");
        return lines;
    }

    @Test
    void withoutTheModuleTheFirstOpLogsOneWarningWithTheFix() throws Exception {
        List<String> lines = probe();
        // java.util.logging's default format: a line with the time and the source, then the message.
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertEquals("before the first op", lines.get(0));
        assertTrue(lines.get(1).endsWith("org.grad4j.core.kernels.Kernels <clinit>"), lines.get(1));
        assertEquals(WARNING, lines.get(2));
        assertEquals("after 3 ops: simd=false", lines.get(3));
    }

    @Test
    void withTheModuleOrThePropertyNothingIsLogged() throws Exception {
        assertEquals(List.of("before the first op", "after 3 ops: simd=false"),
                probe("--add-modules", "jdk.incubator.vector", "-Dgrad4j.simd=false"));
        assertEquals(List.of("before the first op", "after 3 ops: simd=false"), probe("-Dgrad4j.simd=false"));
        List<String> simd = probe("--add-modules", "jdk.incubator.vector");
        assertEquals(2, simd.size(), String.join("\n", simd));
        assertEquals("before the first op", simd.get(0));
    }

    /** Run in a child JVM by the tests above. */
    static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) {
            System.out.println("before the first op");
            Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
            Tensor b = a.matmul(a).sigmoid().add(a);
            System.out.println("after 3 ops: simd=" + Backend.simd() + (b.shape().equals(a.shape()) ? "" : " wrong shape"));
        }
    }
}
