package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.Backend;
import org.grad4j.core.io.DType;
import org.grad4j.core.io.SafeTensors;
import org.grad4j.data.FashionMnist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BN-LeNet training on the SIMD path gives the same weights bit for bit whatever the JIT did
 * meanwhile: in fresh JVMs whose compilers kick in at different times, and when one epoch is
 * resumed in a new JVM after another instead of running both in one (the straight run is this
 * JVM's; the resumed one starts cold). Every tensor of the checkpoints is compared. Each child
 * JVM takes a few seconds, most of it in the first steps, before C2 has compiled the Vector API
 * code.
 */
class ReproducibleTrainingTest {
    private static final boolean REAL_DATA =
            Files.exists(FashionMnist.SYSTEM_DIRECTORY.resolve("train-images-idx3-ubyte.gz"));
    /** The options of every run: 4 steps an epoch, 2 threads. */
    private static final List<String> OPTIONS = List.of("--train-limit", "512", "--batch-size", "128", "--threads",
            "2", "--seed", "0");
    private final int savedThreads = Backend.threads();

    @TempDir
    Path dir;

    @BeforeEach
    void needsSimdAndData() {
        assumeTrue(Backend.simd(), "the SIMD path only (run with --add-modules jdk.incubator.vector)");
        assumeTrue(REAL_DATA, "needs /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)");
    }

    @AfterEach
    void restoreThreads() {
        Backend.setThreads(savedThreads);
    }

    /** {@code bnlenet OPTIONS --epochs epochs --out out args...} in a new JVM with {@code jvmArgs}. */
    private static void freshJvm(List<String> jvmArgs, int epochs, Path out, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BnLeNet.class.getName());
        command.addAll(arguments(epochs, out, args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), output);
    }

    private static List<String> arguments(int epochs, Path out, String... args) {
        List<String> all = new ArrayList<>(OPTIONS);
        all.addAll(List.of("--epochs", Integer.toString(epochs), "--out", out.toString()));
        all.addAll(List.of(args));
        return all;
    }

    /** Every tensor of two checkpoints equal bit for bit, and the same epoch. */
    private static void assertSameCheckpoint(Path expected, Path actual) throws IOException {
        SafeTensors a = SafeTensors.read(expected.resolve("checkpoint.safetensors"));
        SafeTensors b = SafeTensors.read(actual.resolve("checkpoint.safetensors"));
        assertEquals(a.names(), b.names());
        assertEquals(a.metadata().get("epoch"), b.metadata().get("epoch"));
        for (String name : a.names()) {
            assertEquals(a.dtype(name), b.dtype(name), name);
            if (a.dtype(name) == DType.I64) {
                assertArrayEquals(a.longs(name), b.longs(name), name + " of " + actual + " differs from " + expected);
            } else {
                float[] x = a.tensor(name).toArray();
                float[] y = b.tensor(name).toArray();
                assertEquals(x.length, y.length, name);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]),
                            name + "[" + i + "] of " + actual + " differs from " + expected);
                }
            }
        }
    }

    /** One epoch in a fresh JVM with default flags, shared by both tests (it is their slowest part). */
    private static Path firstEpoch;

    @BeforeAll
    static void firstEpochInAFreshJvm(@TempDir Path shared) throws Exception {
        if (Backend.simd() && REAL_DATA) {
            firstEpoch = shared.resolve("first");
            freshJvm(List.of(), 1, firstEpoch);
        }
    }

    @Test
    void freshJvmsGiveTheSameWeightsWhenTheirCompilersRunAtDifferentTimes() throws Exception {
        // Besides the default tiers: compilations waited for (C2 code arrives at the first call
        // that asks for it), and no tiers (interpreted for 10,000 calls, then C2 only).
        freshJvm(List.of("-Xbatch"), 1, dir.resolve("batch"));
        freshJvm(List.of("-XX:-TieredCompilation"), 1, dir.resolve("untiered"));
        assertSameCheckpoint(firstEpoch, dir.resolve("batch"));
        assertSameCheckpoint(firstEpoch, dir.resolve("untiered"));
    }

    @Test
    void oneEpochThenAResumedOneEqualTwoStraight() throws Exception {
        Path straight = dir.resolve("straight");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = BnLeNet.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), arguments(2, straight).toArray(new String[0]));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        Path resumed = dir.resolve("resumed");
        freshJvm(List.of(), 2, resumed, "--resume", firstEpoch.resolve("checkpoint.safetensors").toString());
        assertSameCheckpoint(straight, resumed);
    }
}
