package org.grad4j.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs a main class of the test class path in a fresh JVM, for the tests that need one. */
final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * Starts {@code java jvmArgs... -cp <this class path> main}, waits for it, checks that it
     * exited with 0 and returns its output (standard output and error), without the JVM's own
     * warning about incubator modules.
     */
    static String run(Class<?> main, String... jvmArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmArgs));
        // This JVM's logging set-up, which keeps the SIMD-off warning (BackendTest's) out of the output.
        String logging = System.getProperty("java.util.logging.config.file");
        if (logging != null) {
            command.add("-Djava.util.logging.config.file=" + logging);
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), out);
        return out.replaceAll("WARNING: Using incubator modules: jdk.incubator.vector\\R", "").trim();
    }
}
