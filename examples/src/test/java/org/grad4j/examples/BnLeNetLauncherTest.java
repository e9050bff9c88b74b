package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.grad4j.data.FashionMnist;
import org.junit.jupiter.api.Test;

/**
 * {@code java -jar bnlenet.jar} restarts itself in a JVM with the Vector API: killing the launcher
 * must not leave that JVM training. Each test starts the launcher as a process (without the
 * module, so that it restarts), waits until the child starts training, kills the launcher and
 * asserts that the child is gone within seconds.
 */
class BnLeNetLauncherTest {
    private static final boolean REAL_DATA =
            Files.exists(FashionMnist.SYSTEM_DIRECTORY.resolve("train-images-idx3-ubyte.gz"));

    @Test
    void terminatingTheLauncherStopsTheTrainingJvm() throws Exception {
        Process launcher = startTraining();
        ProcessHandle child = theChild(launcher);
        launcher.destroy();
        assertTrue(launcher.waitFor(20, TimeUnit.SECONDS), "the launcher waits for its child, then ends");
        assertEquals(143, launcher.exitValue(), "128 + SIGTERM");
        assertFalse(child.isAlive(), "the launcher passed TERM on and waited for its child before ending");
    }

    @Test
    void killingTheLauncherStopsTheTrainingJvm() throws Exception {
        Process launcher = startTraining();
        ProcessHandle child = theChild(launcher);
        launcher.destroyForcibly();
        assertTrue(launcher.waitFor(10, TimeUnit.SECONDS));
        assertGone(child);
    }

    /** The launcher, started like {@code java -jar bnlenet.jar} with epochs that would last minutes, once training. */
    private static Process startTraining() throws IOException, InterruptedException {
        assumeTrue(REAL_DATA, "needs /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process launcher = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                BnLeNet.class.getName(), "--epochs", "1000", "--train-limit", "256", "--batch-size", "64",
                "--threads", "2").redirectErrorStream(true).start();
        CompletableFuture<Void> training = new CompletableFuture<>();
        read(launcher, line -> {
            // The model summary's last line: the child prints it just before training.
            if (line.equals("Linear output shape: [1, 10]")) {
                training.complete(null);
            }
        });
        try {
            training.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            launcher.destroyForcibly().toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            throw new AssertionError("the launcher did not start training: " + e, e);
        }
        return launcher;
    }

    /** Reads the output on a daemon thread, so that neither JVM blocks on a full pipe. */
    private static void read(Process p, Consumer<String> lines) {
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.accept(line);
                }
            } catch (IOException e) {
                // The pipe closes when both JVMs are gone.
            }
        }, "launcher-output");
        reader.setDaemon(true);
        reader.start();
    }

    private static ProcessHandle theChild(Process launcher) {
        List<ProcessHandle> children = launcher.toHandle().children().collect(Collectors.toList());
        assertEquals(1, children.size(), "the launcher restarted itself once: " + children);
        assertTrue(children.get(0).info().arguments().map(a -> List.of(a).contains("jdk.incubator.vector"))
                .orElse(true), "the child runs with the Vector API");
        return children.get(0);
    }

    private static void assertGone(ProcessHandle child) throws Exception {
        try {
            child.onExit().get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            child.destroyForcibly();
            throw new AssertionError("the training JVM " + child.pid() + " outlived its launcher by 5 s");
        }
    }
}
