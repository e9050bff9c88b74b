package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.grad4j.core.Shape;
import org.grad4j.core.Tensor;
import org.grad4j.data.FashionMnist;
import org.grad4j.layers.Sequential;
import org.grad4j.train.EpochMetrics;
import org.grad4j.train.MetricsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ResNet-18 example: the book's model and shapes, the command's defaults and errors, a quick run. */
class ResNet18Test {
    private static final boolean REAL_DATA =
            Files.exists(FashionMnist.SYSTEM_DIRECTORY.resolve("train-images-idx3-ubyte.gz"));

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ResNet18.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void theBooksModelHasItsShapesAndParameterCount() {
        Sequential net = ResNet18.model();
        // The chapter's printout for a 96x96 input.
        assertEquals("Sequential output shape: [1, 64, 24, 24]\n"
                + "Sequential output shape: [1, 64, 24, 24]\n"
                + "Sequential output shape: [1, 128, 12, 12]\n"
                + "Sequential output shape: [1, 256, 6, 6]\n"
                + "Sequential output shape: [1, 512, 3, 3]\n"
                + "AdaptiveAvgPool2d output shape: [1, 512, 1, 1]\n"
                + "Flatten output shape: [1, 512]\n"
                + "Linear output shape: [1, 10]", net.summary(1, 1, 96, 96));
        long count = net.parameters().stream().mapToLong(Tensor::size).sum();
        assertEquals(11_178_378, count, "PyTorch's count for d2l's ResNet-18");
        assertEquals(Shape.of(2, 10), net.eval().forward(Tensor.zeros(2, 1, 28, 28)).shape(), "any input size");
    }

    @Test
    void residualBlocksKeepOrChangeTheShapeAsTheBookShows() {
        Tensor x = Tensor.rand(new Random(345), 4, 3, 6, 6);
        assertEquals(Shape.of(4, 3, 6, 6), new Residual(3, 3, false, 1).forward(x).shape());
        assertEquals(Shape.of(4, 6, 3, 3), new Residual(3, 6, true, 2).forward(x).shape());
        assertEquals(List.of("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias",
                "bn1.weight", "bn1.bias"), List.copyOf(new Residual(3, 6, true, 2).namedParameters().keySet())
                .subList(0, 8), "PyTorch's registration order");
        for (float v : new Residual(3, 3, false, 1).forward(x).toArray()) {
            assertTrue(v >= 0, "ends with a ReLU");
        }
    }

    @Test
    void residualRefusesAShortcutThatCannotBeAdded() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Residual(3, 6, false, 1));
        assertEquals("Residual: the shortcut adds the input [N, 3, H, W] as it is, but the block outputs 6 channels at"
                + " stride 1; expected use1x1conv when the width or the size changes", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Residual(4, 4, false, 2));
        assertTrue(e.getMessage().contains("outputs 4 channels at stride 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResNet18.model(0, 10));
        assertEquals("ResNet-18: width must be positive, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResNet18.model(8, 0));
        assertEquals("ResNet-18: classes must be positive, got 0", e.getMessage());
    }

    @Test
    void theDefaultsAreTheChaptersAndTheOptionsBnLeNets() {
        Run r = run("--help");
        assertEquals(0, r.code());
        for (String option : List.of("--epochs", "--batch-size", "--lr", "--resize", "--threads", "--seed",
                "--data-dir", "--train-limit", "--metrics", "--out", "--resume", "--overwrite", "--recalibrate",
                "--width")) {
            assertTrue(r.out().contains(option), option + " in " + r.out());
        }
        String help = r.out().replaceAll("\\s+", " ");
        assertTrue(help.contains("SGD learning rate (default: 0.05)"), help);
        assertTrue(help.contains("bilinear (default: 96;"), help);
        assertTrue(help.contains("batch size (default: 256)") && help.contains("epochs to train (default: 10)"), help);
    }

    @Test
    void badOptionsAreRefusedBeforeAnyWork() {
        Run r = run("--width", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("resnet18: --width must be positive, got 0\n"), r.err());
        r = run("--resize", "0");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("resnet18: --resize must be positive, got 0\n"), r.err());
        r = run("--lr", "-1");
        assertTrue(r.err().startsWith("resnet18: --lr must be a positive number, got -1.0\n"), r.err());
        r = run("--bn", "none");
        assertEquals("resnet18: Unknown options: '--bn', 'none'\nTry 'resnet18 --help' for the options.\n",
                r.err().replace(System.lineSeparator(), "\n"), "--bn is BN-LeNet's");
    }

    @Test
    void aQuickRunTrainsAndWritesItsCurves(@TempDir Path dir) throws Exception {
        assumeTrue(REAL_DATA, "needs /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)");
        Path metrics = dir.resolve("metrics.jsonl");
        Path out = dir.resolve("out");
        Run r = run("--train-limit", "512", "--epochs", "2", "--batch-size", "64", "--resize", "32", "--width", "4",
                "--threads", "2", "--metrics", metrics.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("  (1): Sequential(\n    (0): Residual(\n      (conv1): Conv2d(4, 4, kernel_size=(3, 3)"),
                r.out());
        assertTrue(r.out().contains("AdaptiveAvgPool2d output shape: [1, 32, 1, 1]"), r.out());
        assertTrue(r.out().contains("examples/sec on cpu ("), r.out());
        List<EpochMetrics> m = MetricsFile.read(metrics);
        assertEquals(2, m.size());
        assertTrue(m.get(1).trainLoss() < m.get(0).trainLoss(), "loss falls: " + m);
        assertTrue(m.get(1).trainAccuracy() > 0.4, "far above chance (0.1): " + m);
        // 16 steps leave the running statistics far from settled: eval-mode accuracy is only
        // clearly above chance (0.1 +- 0.003 on 10,000 test images).
        assertTrue(m.get(1).testAccuracy() > 0.15, "above chance (0.1): " + m);
        assertTrue(Files.size(out.resolve("resnet18.png")) > 0 && Files.isRegularFile(out.resolve("checkpoint.safetensors")));
    }
}
