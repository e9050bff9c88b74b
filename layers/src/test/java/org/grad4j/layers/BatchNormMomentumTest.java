package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.grad4j.layers.BatchNorm.Momentum;
import org.junit.jupiter.api.Test;

/**
 * The momentum conventions of {@link BatchNorm.Momentum}, each against its framework: PyTorch's
 * goldens (momentum 0.3 and None, batches of different sizes), the chapter's own code
 * ({@link ScratchBatchNorm}) and Keras' update written out in double.
 */
class BatchNormMomentumTest {

    private static void checkGolden(String file, BatchNorm2d bn) {
        SafeTensors g = Golden.load(file);
        assertEquals(g.metadata().get("repr"), bn.toString());
        for (int s = 0; s < 3; s++) {
            assertClose(file + " y" + s, g.tensor("y" + s), bn.forward(g.tensor("x" + s)));
            assertClose(file + " running_mean" + s, g.tensor("running_mean" + s), bn.runningMean());
            assertClose(file + " running_var" + s, g.tensor("running_var" + s), bn.runningVar());
        }
        assertClose(file + " y_eval", g.tensor("y_eval"), bn.eval().forward(g.tensor("x_eval")));
    }

    @Test
    void pytorchMomentum03MatchesPyTorch() {
        checkGolden("batchnorm2d_momentum03", new BatchNorm2d(3, 1e-5, 0.3, true, true));
        checkGolden("batchnorm2d_momentum03", new BatchNorm2d(3, 1e-5, Momentum.pytorch(0.3), true));
    }

    @Test
    void cumulativeMatchesPyTorchMomentumNone() {
        checkGolden("batchnorm2d_momentum_none", new BatchNorm2d(3, 1e-5, null, true, true));
        checkGolden("batchnorm2d_momentum_none", new BatchNorm2d(3, 1e-5, Momentum.cumulative(), true));
    }

    @Test
    void d2lKeepsTheChaptersRunningStatistics() {
        BatchNorm2d bn = new BatchNorm2d(3, ScratchBatchNorm.EPS, Momentum.D2L, true);
        ScratchBatchNorm chapter = new ScratchBatchNorm(3, 4);
        // The chapter's moving variance starts at 0; BatchNorm's at 1, as PyTorch's and Keras'.
        chapter.loadStateDict(Map.of("gamma", Tensor.ones(1, 3, 1, 1), "beta", Tensor.zeros(1, 3, 1, 1),
                "moving_mean", Tensor.zeros(1, 3, 1, 1), "moving_var", Tensor.ones(1, 3, 1, 1)), true);
        Random rng = new Random(5);
        for (int s = 0; s < 4; s++) {
            Tensor x = Tensor.randn(rng, 2 + s, 3, 3, 3).mul(1 + s).add(s);
            assertClose("y" + s, chapter.forward(x), bn.forward(x), 1e-5, 1e-5);
            assertClose("moving_mean" + s, chapter.movingMean().flatten(), bn.runningMean(), 1e-6, 1e-6);
            assertClose("moving_var" + s, chapter.movingVar().flatten(), bn.runningVar(), 1e-6, 1e-6);
        }
        Tensor x = Tensor.randn(rng, 2, 3, 3, 3);
        assertClose("eval", chapter.eval().forward(x), bn.eval().forward(x), 1e-5, 1e-5);
    }

    @Test
    void kerasFollowsKerasUpdateWithTheBiasedVariance() {
        BatchNorm1d bn = new BatchNorm1d(4, 1e-3, Momentum.KERAS, true);
        BatchNorm1d pytorch = new BatchNorm1d(4, 1e-3, 0.01, true, true);
        double[] movingMean = {0, 0, 0, 0};
        double[] movingVar = {1, 1, 1, 1};
        Random rng = new Random(6);
        for (int s = 0; s < 5; s++) {
            int n = 3 + s;
            Tensor x = Tensor.randn(rng, n, 4).mul(2).add(s);
            double[][] stats = BatchNormsTest.pooled(List.of(x));
            for (int c = 0; c < 4; c++) {
                double biased = stats[1][c] * (n - 1) / n;
                // Keras 3: moving_mean * momentum + mean * (1 - momentum), ops.moments' variance.
                movingMean[c] = movingMean[c] * 0.99 + stats[0][c] * (1 - 0.99);
                movingVar[c] = movingVar[c] * 0.99 + biased * (1 - 0.99);
            }
            bn.forward(x);
            pytorch.forward(x);
        }
        assertClose("moving_mean", BatchNormTest.vector(movingMean), bn.runningMean(), 1e-6, 1e-5);
        assertClose("moving_variance", BatchNormTest.vector(movingVar), bn.runningVar(), 1e-6, 1e-5);
        assertClose("PyTorch's 0.01 has the same mean", bn.runningMean(), pytorch.runningMean(), 1e-6, 1e-5);
        float[] unbiased = pytorch.runningVar().toArray();
        for (int c = 0; c < 4; c++) {
            assertTrue(unbiased[c] > bn.runningVar().toArray()[c] + 1e-4, "PyTorch's variance is the unbiased one");
        }
    }

    @Test
    void conventionsPrintAndReportTheirValues() {
        assertEquals("BatchNorm2d(3, eps=0.001, momentum=keras(0.99), affine=True, track_running_stats=True)",
                new BatchNorm2d(3, 1e-3, Momentum.KERAS, true).toString());
        assertEquals("BatchNorm1d(3, eps=1e-05, momentum=d2l(0.9), affine=False, track_running_stats=True)",
                new BatchNorm1d(3, 1e-5, Momentum.D2L, false).toString());
        assertEquals(Momentum.PYTORCH, new BatchNorm2d(3).momentumConvention());
        assertEquals(0.3, new BatchNorm2d(3, 1e-5, Momentum.pytorch(0.3), true).momentum());
        assertEquals(1 - 0.99, new BatchNorm2d(3, 1e-5, Momentum.keras(0.99), true).momentum());
        assertNull(new BatchNorm2d(3, 1e-5, Momentum.cumulative(), true).momentum());
        assertEquals(0.99, Momentum.KERAS.value());
        assertTrue(Momentum.pytorch(0.1).unbiasedVariance());
        assertTrue(!Momentum.d2l(0.9).unbiasedVariance());
    }

    @Test
    void aMomentumOutsideZeroToOneIsAnError() {
        assertEquals("BatchNorm.Momentum: keras momentum must be between 0 and 1, got 1.5",
                assertThrows(IllegalArgumentException.class, () -> Momentum.keras(1.5)).getMessage());
        assertEquals("BatchNorm.Momentum: d2l momentum must be between 0 and 1, got NaN",
                assertThrows(IllegalArgumentException.class, () -> Momentum.d2l(Double.NaN)).getMessage());
    }

    @Test
    void aNullConventionIsAnError() {
        assertEquals("BatchNorm2d: momentum convention is null",
                assertThrows(NullPointerException.class, () -> new BatchNorm2d(3, 1e-5, (Momentum) null, true))
                        .getMessage());
    }
}
