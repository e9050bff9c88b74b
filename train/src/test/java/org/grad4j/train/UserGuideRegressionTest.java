package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.grad4j.core.Tensor;
import org.grad4j.data.DataLoader;
import org.grad4j.data.TensorDataset;
import org.grad4j.layers.Init;
import org.grad4j.layers.Linear;
import org.grad4j.layers.Sequential;
import org.grad4j.layers.Tanh;
import org.junit.jupiter.api.Test;

/**
 * The user guide's regression example ("Regression: an MLP with MSE"), verbatim but for the
 * console reporter, which writes to a buffer here so that the test prints nothing.
 */
class UserGuideRegressionTest {
    @Test
    void theUserGuidesRegressionExampleLearnsTheFunction() {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        // --- from docs/user-guide.md
        // y = 2 x0 - x1 + 0.5 plus noise of standard deviation 0.1: 1000 samples of 2 features
        Random rng = new Random(0);
        Tensor x = Tensor.randn(rng, 1000, 2);
        float[] xs = x.toArray();
        float[] ys = new float[1000];
        for (int i = 0; i < ys.length; i++) {
            ys[i] = 2 * xs[2 * i] - xs[2 * i + 1] + 0.5f + 0.1f * (float) rng.nextGaussian();
        }
        Tensor y = Tensor.of(ys, 1000, 1);
        TensorDataset train = TensorDataset.of(x.narrow(0, 0, 800), y.narrow(0, 0, 800));
        TensorDataset test = TensorDataset.of(x.narrow(0, 800, 200), y.narrow(0, 800, 200));

        Init.manualSeed(0);
        Sequential net = new Sequential(new Linear(2, 16), new Tanh(), new Linear(16, 1));
        Trainer trainer = new Trainer(net, new Adam(net.parameters(), 0.01))
                .withLoss(Loss.mse())                      // float targets [B, 1]
                .withMetric(Metric.meanSquaredError())     // reported as "mse"
                .addListener(new ConsoleReporter(new PrintStream(console, true, StandardCharsets.UTF_8), false));
        List<EpochMetrics> history = trainer.fit(
                new DataLoader(train, 32).withShuffle(0), new DataLoader(test, 100), 20);
        double testMse = history.get(history.size() - 1).testMetric();   // close to 0.01, the noise's variance
        // --- end
        assertEquals(20, history.size());
        assertTrue(testMse < 0.03, "test MSE " + testMse);
        assertTrue(console.toString(StandardCharsets.UTF_8).startsWith("epoch 1  loss "), console.toString());
    }
}
