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
        BnLeNet app = withoutData(out, dir);
        Run r = run(app, out);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("bnlenet: "), r.err());
        assertTrue(r.err().contains("apt-get install dataset-fashion-mnist"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace without --verbose");
        Run verbose = run(app, out, "--verbose");
        assertEquals(2, verbose.code());
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the trace");
    }

    /** An app whose data can never load: a run that gets past the path checks stops at the data. */
    private static BnLeNet withoutData(ByteArrayOutputStream out, Path dir) {
        BnLeNet app = new BnLeNet(new PrintStream(out, true, StandardCharsets.UTF_8));
        app.source = new FashionMnist().withDataVariable(null).withCacheDirectory(dir.resolve("cache"))
                .withSystemDirectory(dir.resolve("system")).withMirror(URI.create("http://127.0.0.1:9/"));
        return app;
    }

    private static Run runWithoutData(Path dir, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return run(withoutData(out, dir), out, args);
    }

    /** Runs {@code args} on an app without data: the paths pass their checks and the data is then missing. */
    private static void passesThePathChecks(Path dir, String... args) {
        Run r = runWithoutData(dir, args);
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("apt-get install dataset-fashion-mnist"), "stopped at the data: " + r.err());
    }

    /** The run is refused with exit code 2 and exactly one line, before the data is looked at. */
    private static void refused(Path dir, String message, String... args) {
        Run r = runWithoutData(dir, args);
        assertEquals(2, r.code(), r.err());
        assertEquals("bnlenet: " + message + "\n", r.err().replace(System.lineSeparator(), "\n"));
    }

    private static boolean shell(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void metricsAtADeviceIsRefusedAndTheDeviceStays(@TempDir Path dir) throws Exception {
        Path full = Path.of("/dev/full");
        assumeTrue(Files.exists(full) && !Files.isRegularFile(full) && !Files.isDirectory(full), "needs /dev/full");
        refused(dir, "--metrics /dev/full: is a character device, expected a regular file", "--metrics", "/dev/full");
        assertTrue(!Files.isRegularFile(full) && Files.exists(full), "/dev/full is still a device");
    }

    @Test
    void metricsAtAFifoIsRefused(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("metrics.fifo");
        assumeTrue(shell("mkfifo", fifo.toString()), "needs mkfifo");
        refused(dir, "--metrics " + fifo + ": is a FIFO, expected a regular file", "--metrics", fifo.toString());
        assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo));
    }

    @Test
    void metricsThroughASymlinkToADirectoryIsRefusedNamingBoth(@TempDir Path dir) throws Exception {
        Path target = Files.createDirectory(dir.resolve("d"));
        Path link = Files.createSymbolicLink(dir.resolve("metrics.jsonl"), Path.of("d"));
        refused(dir, "--metrics " + link + " -> " + target + ": is a directory, expected a regular file",
                "--metrics", link.toString());
    }

    @Test
    void metricsInAMissingDirectoryIsRefused(@TempDir Path dir) {
        Path file = dir.resolve("typo").resolve("metrics.jsonl");
        refused(dir, "--metrics " + file + ": directory " + file.getParent() + " does not exist (it is not created)",
                "--metrics", file.toString());
    }

    @Test
    void outAtAFileIsRefused(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("out"), "keep");
        refused(dir, "--out " + file + ": is a file, expected a directory", "--out", file.toString());
        assertEquals("keep", Files.readString(file));
    }

    @Test
    void outInAMissingDirectoryIsRefused(@TempDir Path dir) {
        Path out = dir.resolve("typo").resolve("out");
        refused(dir, "--out " + out + ": " + out.getParent() + " does not exist (it is not created), expected a new "
                + "directory inside an existing one", "--out", out.toString());
        assertTrue(!Files.exists(out.getParent()));
    }

    @Test
    void outUnderProcIsRefused(@TempDir Path dir) {
        assumeTrue(Files.isDirectory(Path.of("/proc")), "needs /proc");
        // As root, permission bits are no test: /proc takes neither a directory nor a file.
        refused(dir, "--out /proc/grad4j-out: cannot create a directory in /proc, expected a directory where files "
                + "can be written", "--out", "/proc/grad4j-out");
        refused(dir, "--out /proc: /proc/checkpoint.safetensors: cannot create a file in /proc (No such file or "
                + "directory)", "--out", "/proc");
    }

    @Test
    void resumeOfAMissingFileIsRefused(@TempDir Path dir) {
        Path missing = dir.resolve("checkpoint.safetensors");
        refused(dir, "--resume " + missing + ": no such file, expected a checkpoint file (checkpoint.safetensors in "
                + "the --out directory of an earlier run)", "--resume", missing.toString());
    }

    @Test
    void resumeOfADirectoryIsRefusedAndNamesTheCheckpointInIt(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectory(dir.resolve("out"));
        refused(dir, "--resume " + out + ": is a directory, expected a checkpoint file", "--resume", out.toString());
        Path checkpoint = Files.writeString(out.resolve("checkpoint.safetensors"), "keep");
        refused(dir, "--resume " + out + ": is a directory, expected a checkpoint file such as " + checkpoint,
                "--resume", out.toString());
    }

    @Test
    void overwriteWithoutOutIsRefused(@TempDir Path dir) {
        refused(dir, "--overwrite replaces the checkpoint in --out, but no --out is given", "--overwrite");
    }

    @Test
    void aFreshRunKeepsTheCheckpointInOutUnlessResumedFromItOrOverwriting(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectory(dir.resolve("out"));
        Path checkpoint = Files.writeString(out.resolve("checkpoint.safetensors"), "keep");
        refused(dir, "--out " + out + " already holds the checkpoint " + checkpoint + " of an earlier run; continue "
                + "it with --resume " + checkpoint + ", or replace it with --overwrite", "--out", out.toString());
        Path other = Files.writeString(dir.resolve("other.safetensors"), "other");
        refused(dir, "--out " + out + " already holds the checkpoint " + checkpoint + " of an earlier run; continue "
                + "it with --resume " + checkpoint + ", or replace it with --overwrite",
                "--out", out.toString(), "--resume", other.toString());
        passesThePathChecks(dir, "--out", out.toString(), "--overwrite");
        passesThePathChecks(dir, "--out", out.toString(), "--resume", checkpoint.toString());
        assertEquals("keep", Files.readString(checkpoint));
    }

    @Test
    void outIsCreatedOneLevelDeep(@TempDir Path dir) {
        Path out = dir.resolve("out");
        passesThePathChecks(dir, "--out", out.toString());
        assertTrue(Files.isDirectory(out));
    }

    @Test
    void temporariesOfKilledRunsAreDeletedAtTheStartAndNothingElse(@TempDir Path dir) throws Exception {
        Process done = new ProcessBuilder("true").start();
        assumeTrue(done.waitFor() == 0, "needs a process that has exited");
        long dead = done.pid();
        Path out = Files.createDirectory(dir.resolve("out"));
        List<Path> leftovers = List.of(out.resolve("checkpoint.safetensors." + dead + ".k3x9.tmp"),
                out.resolve("bnlenet.png." + dead + ".a1.tmp"), dir.resolve("metrics.jsonl." + dead + ".zz.tmp"));
        List<Path> others = List.of(out.resolve("checkpoint.safetensors.k3x9.tmp"), out.resolve("notes.tmp"),
                dir.resolve("metrics.jsonl"));
        for (Path p : leftovers) {
            Files.writeString(p, "half a file");
        }
        for (Path p : others) {
            Files.writeString(p, "not ours");
        }
        passesThePathChecks(dir, "--out", out.toString(), "--metrics", dir.resolve("metrics.jsonl").toString());
        for (Path p : leftovers) {
            assertTrue(!Files.exists(p), p + " deleted");
        }
        for (Path p : others) {
            assertEquals("not ours", Files.readString(p), p + " kept");
        }
    }

    private static final String BN1D =
            "BatchNorm1d(120, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)";

    @Test
    void aWrongDataDirIsRefusedNotReplacedByTheSystemCopy(@TempDir Path dir) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Run r = run("--data-dir", empty.toString(), "--epochs", "1", "--train-limit", "64");
        assertEquals(2, r.code(), r.out());
        assertEquals("bnlenet: " + empty + " (the directory given): empty; expected the four Fashion-MNIST files "
                + "(.gz or not) in it or in its FashionMNIST/raw\n", r.err().replace(System.lineSeparator(), "\n"));
        assertTrue(!r.out().contains("Fashion-MNIST from"), r.out());
    }

    @Test
    void aBatchSizeOfOneWithBatchNormIsRefusedBeforeLoading(@TempDir Path dir) {
        Run r = runWithoutData(dir, "--batch-size", "1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("bnlenet: --batch-size 1: " + BN1D + " needs at least 2 examples per training "
                + "batch; use a larger --batch-size (or --bn scratch or --bn none)\n"), r.err());
    }

    @Test
    void aTrainLimitOfOneWithBatchNormIsRefusedBeforeLoading(@TempDir Path dir) {
        Run r = runWithoutData(dir, "--train-limit", "1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("bnlenet: --train-limit 1: " + BN1D + " needs at least 2 examples per "
                + "training batch\n"), r.err());
    }

    @Test
    void imagesBeyondOneJavaArrayAreRefusedBeforeLoading(@TempDir Path dir) {
        Run r = runWithoutData(dir, "--resize", "200");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("bnlenet: --resize 200: 60000 images of 200x200 are 2400000000 floats, more "
                + "than one Java array holds (2147483639); use a smaller --resize or --train-limit\n"), r.err());
    }

    @Test
    void aRunBeyondTheHeapIsRefusedBeforeLoading(@TempDir Path dir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BnLeNet app = withoutData(out, dir);
        app.maxHeap = 1L << 29;
        Run r = run(app, out, "--resize", "100");
        assertEquals(2, r.code(), r.err());
        long perExample = BnLeNet.trainingBytesPerExample(BnLeNet.model(100, BnLeNet.Norm.library), 100);
        double batchGib = 256.0 * perExample / (1L << 30);
        double imagesGib = 70_000.0 * 100 * 100 * 4 / (1L << 30);
        double loadedGib = 70_000.0 * 28 * 28 * 5 / (1L << 30);
        assertTrue(r.err().startsWith(String.format(java.util.Locale.ROOT, "bnlenet: this run needs about %.1f GiB "
                + "of heap (60000 training and 10000 test images of 100x100: %.1f GiB; one training batch of 256: "
                + "about %.1f GiB; the files as loaded: %.1f GiB), more than the 0.5 GiB this JVM may use; use a "
                + "smaller --resize, --batch-size or --train-limit, or a larger heap (java -Xmx%dg -jar bnlenet.jar)"
                + "\n", batchGib + imagesGib + loadedGib, imagesGib, batchGib, loadedGib,
                (long) (batchGib + imagesGib + loadedGib) + 1)), r.err());
        // At 28x28 the activations are small: 3 layer outputs' worth of 16 thousand floats per image.
        assertEquals(3 * 4 * (3 * 6 * 24 * 24 + 6 * 12 * 12 + 3 * 16 * 8 * 8 + 2 * 16 * 4 * 4 + 3 * 120 + 3 * 84 + 10),
                BnLeNet.trainingBytesPerExample(BnLeNet.model(28, BnLeNet.Norm.library), 28));
    }

    @Test
    void theHalfBatchNormsBuildTheChaptersNetWithTheirVariant() {
        for (BnLeNet.Norm norm : new BnLeNet.Norm[] {BnLeNet.Norm.mean_only, BnLeNet.Norm.scale_only}) {
            org.grad4j.layers.Sequential net = BnLeNet.model(28, norm);
            java.util.List<org.grad4j.layers.BatchNorm.Variant> variants = new java.util.ArrayList<>();
            for (org.grad4j.layers.Module m : net.modules()) {
                if (m instanceof org.grad4j.layers.BatchNorm) {
                    variants.add(((org.grad4j.layers.BatchNorm) m).variant());
                }
            }
            org.grad4j.layers.BatchNorm.Variant v = norm == BnLeNet.Norm.mean_only
                    ? org.grad4j.layers.BatchNorm.Variant.MEAN_ONLY : org.grad4j.layers.BatchNorm.Variant.SCALE_ONLY;
            assertEquals(java.util.List.of(v, v, v, v), variants, norm.name());
            assertEquals("[2, 10]", net.forward(org.grad4j.core.Tensor.zeros(2, 1, 28, 28)).shape().toString(),
                    norm.name());
        }
    }

    @Test
    void aLastTrainingBatchOfOneIsDroppedSayingSoOnce() throws Exception {
        assumeTrue(REAL_DATA, "needs /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)");
        Run r = run("--epochs", "2", "--train-limit", "257", "--lr", "0.3", "--recalibrate");
        assertEquals(0, r.code(), r.err());
        String note = "dropping the last training batch of each epoch: it would hold 1 of 257 images, and " + BN1D
                + " needs at least 2 examples per training batch (another --batch-size or --train-limit keeps every "
                + "image)";
        assertEquals(1, r.out().split(java.util.regex.Pattern.quote(note), -1).length - 1, r.out());
        assertTrue(r.out().contains("epoch 2  loss"), r.out());
        // Recalibration normalises with batch statistics too: it drops the same batch.
        assertTrue(r.out().contains("recalibrated on 1 training batches"), r.out());
        assertTrue(r.out().contains("Fashion-MNIST from " + FashionMnist.SYSTEM_DIRECTORY + "\n"), r.out());
    }

    @Test
    void helpExitsWithZero() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--batch-size") && r.out().contains("--resume"), r.out());
        assertTrue(r.out().contains("--overwrite") && r.out().contains("let this run replace the checkpoint already "
                + "in --out"), r.out());
    }

    @Test
    void trainsOnRealDataAndResumes(@TempDir Path dir) throws Exception {
        assumeTrue(REAL_DATA, "needs /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)");
        // Through a dangling relative link: the run creates the link's target and keeps the link.
        Path metrics = Files.createSymbolicLink(dir.resolve("metrics.jsonl"), Path.of("kept", "metrics.jsonl"));
        Files.createDirectory(dir.resolve("kept"));
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
        assertTrue(Files.isSymbolicLink(metrics) && Files.isRegularFile(dir.resolve("kept").resolve("metrics.jsonl")));

        // Resumed from the checkpoint in --out, the run may write into the same --out: it continues it.
        Run resumed = run("--epochs", "3", "--train-limit", "2000", "--batch-size", "64", "--lr", "0.3", "--metrics",
                metrics.toString(), "--resume", outDir.resolve("checkpoint.safetensors").toString(),
                "--out", outDir.toString());
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resumed from " + outDir.resolve("checkpoint.safetensors")
                + " after epoch 2"), resumed.out());
        assertTrue(resumed.out().contains("epoch 3  loss"), resumed.out());
        assertEquals(3, MetricsFile.read(metrics).size());
        assertEquals(3, org.grad4j.train.Checkpoint.read(outDir.resolve("checkpoint.safetensors")).epoch());
        try (var files = Files.list(outDir)) {
            assertEquals(List.of("bnlenet.png", "bnlenet.svg", "checkpoint.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary left");
        }

        Run other = run("--epochs", "4", "--train-limit", "1000", "--batch-size", "64", "--lr", "0.5", "--bn", "scratch",
                "--resume", outDir.resolve("checkpoint.safetensors").toString());
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().startsWith("bnlenet: resume: checkpoint checkpoint.safetensors was written with "
                + "lr=0.3, this run has lr=0.5; "), other.err());
        assertTrue(other.err().contains("with train_examples=2000, this run has train_examples=1000; ")
                && other.err().contains("with bn=library, this run has bn=scratch; ")
                && other.err().contains("with train_limit=2000, this run has train_limit=1000; "), other.err());
        assertTrue(!other.out().contains("epoch 4"), "nothing trained: " + other.out());
    }

    @Test
    void recalibrateOptionsAreCheckedBeforeTraining() {
        Run r = run("--recalibrate", "--bn", "scratch");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bnlenet: --recalibrate needs --bn library, mean_only or scale_only (running "
                + "statistics to recalibrate), got --bn scratch"), r.err());
        r = run("--recalibrate-batches", "3");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bnlenet: --recalibrate-batches needs --recalibrate"), r.err());
        r = run("--recalibrate", "--recalibrate-batches", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("bnlenet: --recalibrate-batches must be positive, got 0"), r.err());
    }

    @Test
    void recalibratePrintsAndRecordsBothAccuracies(@TempDir Path dir) throws Exception {
        assumeTrue(REAL_DATA, "needs /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)");
        Path metrics = dir.resolve("metrics.jsonl");
        Run r = run("--epochs", "1", "--train-limit", "1000", "--batch-size", "100", "--lr", "0.3", "--metrics",
                metrics.toString(), "--recalibrate", "--recalibrate-batches", "4");
        assertEquals(0, r.code(), r.err());
        List<EpochMetrics> m = MetricsFile.read(metrics);
        assertEquals(1, m.size());
        EpochMetrics last = m.get(0);
        assertTrue(last.recalibratedTestAccuracy() > 0.1, "above chance: " + last);
        String line = String.format(java.util.Locale.ROOT, "recalibrated on 4 training batches: test acc %.4f with "
                + "running averages, %.4f with exact statistics", last.testAccuracy(), last.recalibratedTestAccuracy());
        assertTrue(r.out().contains(line), r.out());
    }
}
