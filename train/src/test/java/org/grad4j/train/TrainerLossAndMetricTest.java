package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;
import org.grad4j.data.DataLoader;
import org.grad4j.data.TensorDataset;
import org.grad4j.layers.Linear;
import org.grad4j.layers.Sequential;
import org.grad4j.layers.Tanh;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Trainer with another loss and metric than cross-entropy and accuracy: a regression trains and reports MSE. */
class TrainerLossAndMetricTest {
    /** {@code y = sin(x0) + 0.5 x1 - x2^2 / 4}, 3 features, one target per sample. */
    private static TensorDataset regression(int n, long seed) {
        Tensor x = Tensor.randn(new Random(seed), n, 3);
        float[] xs = x.toArray();
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = (float) (Math.sin(xs[3 * i]) + 0.5 * xs[3 * i + 1] - xs[3 * i + 2] * xs[3 * i + 2] / 4);
        }
        return TensorDataset.of(x, Tensor.of(y, n, 1));
    }

    private static Sequential mlp(long seed) {
        Random rng = new Random(seed);
        return new Sequential(new Linear(3, 32, true, rng), new Tanh(), new Linear(32, 1, true, rng));
    }

    /** The mean squared error of {@code net} over all of {@code data}, in double, in one pass. */
    private static double naiveMse(Sequential net, TensorDataset data) {
        net.eval();
        var b = new DataLoader(data, data.size()).epoch(0).next();
        float[] y = net.forward(b.features()).toArray();
        float[] t = b.targets().toArray();
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += ((double) y[i] - t[i]) * ((double) y[i] - t[i]);
        }
        net.train();
        return s / y.length;
    }

    @Test
    void aRegressionModelTrainsWithMseAndReportsIt() {
        TensorDataset train = regression(256, 345);
        TensorDataset test = regression(70, 346);
        Sequential net = mlp(345);
        Trainer trainer = new Trainer(net, new Adam(net.parameters(), 0.01)).withLoss(Loss.mse())
                .withMetric(Metric.meanSquaredError());
        List<EpochMetrics> h = trainer.fit(new DataLoader(train, 32).withShuffle(7), new DataLoader(test, 32), 5);
        EpochMetrics last = h.get(4);
        assertEquals("mse", last.metric());
        assertTrue(last.trainLoss() < h.get(0).trainLoss() / 2, h.toString());
        // The train metric of MSE is the mean loss over the same samples (batch sizes all 32).
        assertEquals(last.trainLoss(), last.trainMetric(), 1e-6);
        // The test metric counts every sample once, whatever the batch sizes (32, 32, 6).
        assertEquals(naiveMse(net, test), last.testMetric(), 1e-6);
        assertTrue(Double.isNaN(last.testAccuracy()));
        assertTrue(last.toLine().contains("train mse "), last.toLine());
        assertEquals(last, EpochMetrics.fromJson(last.toJson()));
    }

    @Test
    void theSameSeedGivesTheSameRegressionRun() {
        double[] losses = new double[2];
        for (int k = 0; k < 2; k++) {
            Sequential net = mlp(345);
            List<EpochMetrics> h = new Trainer(net, new SGD(net.parameters(), 0.05)).withLoss(Loss.mse())
                    .withMetric(Metric.meanAbsoluteError())
                    .fit(new DataLoader(regression(96, 345), 16).withShuffle(3), null, 2);
            losses[k] = h.get(1).trainLoss();
            assertEquals("mae", h.get(1).metric());
        }
        assertEquals(losses[0], losses[1]);
    }

    @Test
    void aUsersOwnLossAndMetric() {
        Sequential net = mlp(345);
        Metric maxError = Metric.of("max_abs_error", (out, b) -> {
            float[] y = out.toArray();
            float[] t = b.targets().toArray();
            double m = 0;
            for (int i = 0; i < y.length; i++) {
                m = Math.max(m, Math.abs(y[i] - t[i]));
            }
            return new Metric.Sum(m * b.size(), b.size());
        });
        List<EpochMetrics> h = new Trainer(net, new SGD(net.parameters(), 0.05))
                .withLoss((out, b) -> Functional.smoothL1Loss(out, b.targets(), Functional.Reduction.MEAN, 0.5))
                .withMetric(maxError).fit(new DataLoader(regression(64, 345), 16), null, 1);
        assertEquals("max_abs_error", h.get(0).metric());
        assertTrue(h.get(0).trainMetric() > 0);
    }

    @Test
    void consoleLinesAndTheProgressBarNameTheMetric() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Sequential net = mlp(345);
        new Trainer(net, new SGD(net.parameters(), 0.05)).withLoss(Loss.mse()).withMetric(Metric.meanSquaredError())
                .addListener(new ConsoleReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8), true))
                .fit(new DataLoader(regression(32, 345), 16), null, 1);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("2/2  loss ") && out.contains("  mse "), out);
        assertTrue(out.contains("epoch 1  loss ") && out.contains("  train mse "), out);
    }

    @Test
    void aCheckpointKeepsTheMetricAndAResumeMustReportTheSame(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.ckpt");
        Sequential net = mlp(345);
        DataLoader loader = new DataLoader(regression(32, 345), 16);
        new Trainer(net, new SGD(net.parameters(), 0.05)).withLoss(Loss.mse()).withMetric(Metric.meanSquaredError())
                .withCheckpoint(file).fit(loader, null, 1);
        Checkpoint c = Checkpoint.read(file);
        assertEquals("mse", c.history().get(0).metric());
        Sequential again = mlp(345);
        Trainer accuracy = new Trainer(again, new SGD(again.parameters(), 0.05)).withLoss(Loss.mse()).resumeFrom(c);
        // The recorded configuration names the metric (as it names every other difference).
        assertEquals("resume: checkpoint run.ckpt was written with metric=mse, this run has metric=accuracy; "
                + "the run would not continue exactly", assertThrows(IllegalArgumentException.class,
                () -> accuracy.fit(loader, null, 2)).getMessage());
        // A version 1 checkpoint records only the seed: the history's metric is checked then.
        Path old = dir.resolve("old.ckpt");
        org.grad4j.layers.StateDicts.toSafeTensors(net).putMetadata(Checkpoint.KEY, "1").putMetadata("epoch", "1")
                .putMetadata("seed", "0").putMetadata("history", c.history().get(0).toJson()).write(old);
        Sequential fourth = mlp(345);
        Trainer v1 = new Trainer(fourth, new SGD(fourth.parameters(), 0.05)).withLoss(Loss.mse())
                .resumeFrom(Checkpoint.read(old));
        assertEquals("resume: the checkpoint's history reports mse, this run reports accuracy; "
                + "give the Trainer the same metric", assertThrows(IllegalArgumentException.class,
                () -> v1.fit(loader, null, 2)).getMessage());
        Sequential third = mlp(345);
        List<EpochMetrics> h = new Trainer(third, new SGD(third.parameters(), 0.05)).withLoss(Loss.mse())
                .withMetric(Metric.meanSquaredError()).resumeFrom(c).fit(loader, null, 2);
        assertEquals(2, h.size());
    }

    @Test
    void oldMetricsLinesAreAccuracy() {
        EpochMetrics m = EpochMetrics.fromJson("{\"epoch\":1,\"train_loss\":0.65,\"train_acc\":0.77,\"test_acc\":0.81,"
                + "\"examples_per_sec\":29770.0,\"seconds\":2.0}");
        assertEquals("accuracy", m.metric());
        assertEquals(0.77, m.trainAccuracy());
        assertEquals(0.81, m.testMetric());
        assertTrue(m.toJson().contains("\"train_acc\":0.77") && !m.toJson().contains("metric"), m.toJson());
    }

    @Test
    void aLossThatIsNotAScalar() {
        Sequential net = mlp(345);
        Trainer t = new Trainer(net, new SGD(net.parameters(), 0.05))
                .withLoss((out, b) -> Functional.mseLoss(out, b.targets(), Functional.Reduction.NONE));
        assertEquals("Trainer: the loss gave shape [16, 1], expected a scalar (shape []): reduce it with Reduction.MEAN",
                assertThrows(IllegalArgumentException.class,
                        () -> t.fit(new DataLoader(regression(32, 345), 16), null, 1)).getMessage());
    }

    @Test
    void crossEntropyOnFloatTargets() {
        Sequential net = mlp(345);
        Trainer t = new Trainer(net, new SGD(net.parameters(), 0.05));
        assertEquals("batch: the targets are float tensors [16, 1], not class labels; use targets() (a regression loss) "
                + "or a dataset with int labels", assertThrows(IllegalStateException.class,
                () -> t.fit(new DataLoader(regression(32, 345), 16), null, 1)).getMessage());
    }

    @Test
    void aMetricNameThatAFileCannotHold() {
        Sequential net = mlp(345);
        assertEquals("metric: invalid name 'Test MSE' (expected lower case letters, digits and underscores, starting "
                + "with a letter, e.g. 'mse')", assertThrows(IllegalArgumentException.class,
                () -> Metric.of("Test MSE", (out, b) -> new Metric.Sum(0, 1))).getMessage());
    }

    @Test
    void aMetricOfAnotherShape() {
        Sequential net = new Sequential(new Linear(3, 2));
        Trainer t = new Trainer(net, new SGD(net.parameters(), 0.05)).withLoss((out, b) -> out.sum().mul(0f))
                .withMetric(Metric.meanSquaredError());
        assertEquals("mse: output [16, 2] does not match targets [16, 1] (expected the same shape)",
                assertThrows(IllegalArgumentException.class,
                        () -> t.fit(new DataLoader(regression(32, 345), 16), null, 1)).getMessage());
    }
}
