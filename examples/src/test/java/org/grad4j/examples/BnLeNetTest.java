package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.grad4j.data.FashionMnist;
import org.grad4j.train.EpochMetrics;
import org.grad4j.train.MetricsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BnLeNetTest {
    private static final boolean REAL_DATA =
            Files.exists(FashionMnist.SYSTEM_DIRECTORY.resolve("train-images-idx3-ubyte.gz"));

    /** The outcome of one command line: exit code, standard output, standard error. */
    private record Run(int code, String out, String err) {
    }

    private static Run run(BnLeNet app, ByteArrayOutputStream out, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = BnLeNet.run(app, new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return run(new BnLeNet(new PrintStream(out, true, StandardCharsets.UTF_8)), out, args);
    }

    @Test
    void unknownOptionExitsWithTwoAndOneMessage() {
        Run r = run("--nope");
        assertEquals(2, r.code());
        assertEquals("bnlenet: Unknown option: '--nope'\nTry 'bnlenet --help' for the options.\n",
                r.err().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void nonPositiveLearningRateAndBatchSizeAreRefused() {
        Run r = run("--lr", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bnlenet: --lr must be a positive number, got 0.0"), r.err());
        r = run("--batch-size", "-5");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bnlenet: --batch-size must be positive, got -5"), r.err());
        r = run("--lr", "abc");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bnlenet: Invalid value for option '--lr': 'abc' is not a double"), r.err());
        r = run("--bn", "weird");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--bn"), r.err());
        r = run("--threads", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bnlenet: --threads must be positive, got 0"), r.err());
        r = run("--resize", "8");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bnlenet: --resize must be at least 16 for BN-LeNet, got 8"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace without --verbose");
    }

    @Test
    void missingDataIsOneMessageWithExitTwo(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BnLeNet app = new BnLeNet(new PrintStream(out, true, StandardCharsets.UTF_8));
        app.source = new FashionMnist().withDataVariable(null).withCacheDirectory(dir.resolve("cache"))
                .withSystemDirectory(dir.resolve("system")).withMirror(URI.create("http://127.0.0.1:9/"));
        Run r = run(app, out, "--data-dir", dir.resolve("mine").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("bnlenet: "), r.err());
        assertTrue(r.err().contains("apt-get install dataset-fashion-mnist"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace without --verbose");
        Run verbose = run(app, out, "--data-dir", dir.resolve("mine").toString(), "--verbose");
        assertEquals(2, verbose.code());
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the trace");
    }

    @Test
    void helpExitsWithZero() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--batch-size") && r.out().contains("--resume"), r.out());
    }

    @Test
    void trainsOnRealDataAndResumes(@TempDir Path dir) throws Exception {
        assumeTrue(REAL_DATA, "needs /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)");
        Path metrics = dir.resolve("metrics.jsonl");
        Path outDir = dir.resolve("out");
        // lr 0.3: 64 steps are too few for eval-mode running statistics to settle at the chapter's lr 1.0.
        Run r = run("--epochs", "2", "--train-limit", "2000", "--batch-size", "64", "--lr", "0.3", "--metrics",
                metrics.toString(),
                "--out", outDir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Conv2d output shape: [1, 6, 24, 24]"), r.out());
        assertTrue(r.out().contains("examples/sec on cpu (") && r.out().contains(" threads, kernels: "), r.out());
        assertTrue(r.out().contains("gamma tensor(["), r.out());
        List<EpochMetrics> m = MetricsFile.read(metrics);
        assertEquals(2, m.size());
        assertTrue(m.get(0).trainLoss() < Math.log(10), "below chance-level loss: " + m);
        assertTrue(m.get(1).trainLoss() < m.get(0).trainLoss(), "loss falls: " + m);
        assertTrue(m.get(1).trainAccuracy() > 0.6, "far above chance (0.1): " + m);
        assertTrue(m.get(1).testAccuracy() > 0.4, "far above chance (0.1): " + m);
        assertTrue(Files.size(outDir.resolve("bnlenet.png")) > 0 && Files.size(outDir.resolve("bnlenet.svg")) > 0);

        Run resumed = run("--epochs", "3", "--train-limit", "2000", "--batch-size", "64", "--lr", "0.3", "--metrics",
                metrics.toString(), "--resume", outDir.resolve("checkpoint.safetensors").toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resumed from " + outDir.resolve("checkpoint.safetensors")
                + " after epoch 2"), resumed.out());
        assertTrue(resumed.out().contains("epoch 3  loss"), resumed.out());
        assertEquals(3, MetricsFile.read(metrics).size());
    }
}
