package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** BatchNorm1d/2d semantics beyond the golden cases: options, modes and errors. */
class BatchNormTest {

    /** Per-channel mean of x [N, C, *] in double. */
    private static double[] channelMean(Tensor x) {
        int c = x.dim(1);
        int inner = x.size() / (x.dim(0) * c);
        float[] v = x.toArray();
        double[] sum = new double[c];
        for (int i = 0; i < v.length; i++) {
            sum[(i / inner) % c] += v[i];
        }
        int n = x.size() / c;
        for (int k = 0; k < c; k++) {
            sum[k] /= n;
        }
        return sum;
    }

    /** Per-channel unbiased variance of x [N, C, *] in double. */
    private static double[] channelUnbiasedVar(Tensor x) {
        int c = x.dim(1);
        int inner = x.size() / (x.dim(0) * c);
        double[] mean = channelMean(x);
        float[] v = x.toArray();
        double[] ss = new double[c];
        for (int i = 0; i < v.length; i++) {
            int k = (i / inner) % c;
            ss[k] += (v[i] - mean[k]) * (v[i] - mean[k]);
        }
        int n = x.size() / c;
        for (int k = 0; k < c; k++) {
            ss[k] /= n - 1;
        }
        return ss;
    }

    static Tensor vector(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return Tensor.of(f, v.length);
    }

    @Test
    void oneValuePerChannelInTrainingIsPyTorchsErrorAndUpdatesNothing() {
        BatchNorm1d bn = new BatchNorm1d(120);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> bn.forward(Tensor.ones(1, 120)));
        assertEquals("Expected more than 1 value per channel when training, got input size [1, 120]", e.getMessage());
        assertEquals(0, bn.numBatchesTracked());
        assertEquals(0.0, ModuleTest.maxAbs(bn.runningMean()));
        bn.eval();
        assertArrayEquals(new int[] {1, 120}, bn.forward(Tensor.ones(1, 120)).shape().dims(), "eval is fine");
        assertEquals("Expected more than 1 value per channel when training, got input size [1, 3, 1, 1]",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(3).forward(Tensor.ones(1, 3, 1, 1)))
                        .getMessage());
    }

    @Test
    void onlyBatchNorm1dNeedsTwoExamplesPerTrainingBatch() {
        assertEquals(Optional.of("needs at least 2 examples per training batch"),
                new BatchNorm1d(120).trainingBatchProblem(1));
        assertEquals(Optional.empty(), new BatchNorm1d(120).trainingBatchProblem(2));
        BatchNorm1d frozen = new BatchNorm1d(120);
        frozen.setFrozen(true);
        assertEquals(Optional.empty(), frozen.trainingBatchProblem(1));
        assertArrayEquals(new int[] {1, 120}, frozen.forward(Tensor.ones(1, 120)).shape().dims(),
                "a frozen layer trains on one value per channel (it uses its running statistics)");
        assertEquals(Optional.empty(), new BatchNorm2d(6).trainingBatchProblem(1));
        ScratchBatchNorm scratch = new ScratchBatchNorm(120, 2);
        assertEquals(Optional.empty(), scratch.trainingBatchProblem(1));
        assertArrayEquals(new int[] {1, 120}, scratch.forward(Tensor.ones(1, 120)).shape().dims(),
                "the chapter's layer trains on one value per channel (its variance is 0)");
        assertEquals(Optional.empty(), new Linear(3, 2).trainingBatchProblem(1));
        assertEquals(Optional.empty(), new Sequential(new BatchNorm1d(3)).trainingBatchProblem(1),
                "a module answers for itself");
    }

    @Test
    void wrongRankNamesTheLayerAndBothShapes() {
        assertEquals("BatchNorm1d(6): input [2, 6, 3, 3] has 4 dimensions, expected 2 or 3 ([N, C] or [N, C, L])",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(6).forward(Tensor.ones(2, 6, 3, 3)))
                        .getMessage());
        assertEquals("BatchNorm2d(6): input [2, 6] has 2 dimensions, expected 4 ([N, C, H, W])",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(6).forward(Tensor.ones(2, 6)))
                        .getMessage());
        assertEquals("BatchNorm1d(6): input [6] has 1 dimensions, expected 2 or 3 ([N, C] or [N, C, L])",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(6).forward(Tensor.ones(6)))
                        .getMessage());
    }

    @Test
    void wrongChannelCountNamesTheLayerAndBothShapes() {
        assertEquals("BatchNorm2d(6): input [2, 3, 5, 5] has 3 channels, expected 6",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(6).forward(Tensor.ones(2, 3, 5, 5)))
                        .getMessage());
        assertEquals("BatchNorm1d(120): input [32, 84] has 84 channels, expected 120",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(120).forward(Tensor.ones(32, 84)))
                        .getMessage());
    }

    @Test
    void constructorChecks() {
        assertEquals("BatchNorm2d: num_features must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm2d(0)).getMessage());
        assertEquals("BatchNorm1d: momentum must be between 0 and 1 (or null), got 1.5",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3, 1e-5, 1.5, true, true))
                        .getMessage());
        assertEquals("BatchNorm1d: eps must be finite and non-negative, got -1.0",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(3, -1, 0.1, true, true))
                        .getMessage());
    }

    /** x's, gamma's and beta's gradients of {@code sum(bn(x) * w)}, in that order; null where none was given. */
    private static float[][] gradients(BatchNorm2d bn, Tensor x) {
        bn.zeroGrad();
        x.zeroGrad();
        Tensor w = Tensor.randn(new Random(9), 4, 3, 2, 2);
        try (Tape tape = Tape.record()) {
            bn.forward(x).mul(w).sum().backward();
        }
        Tensor[] ts = {x.grad(), bn.weight().grad(), bn.bias().grad()};
        float[][] out = new float[3][];
        for (int i = 0; i < 3; i++) {
            out[i] = ts[i] == null ? null : ts[i].toArray();
        }
        return out;
    }

    @Test
    void aFrozenGammaOrBetaGetsNoGradientAndTheOtherGradientsStayTheSame() {
        Tensor x = Tensor.randn(new Random(4), 4, 3, 2, 2).requiresGrad(true);
        BatchNorm2d trained = new BatchNorm2d(3);
        float[][] all = gradients(trained, x);

        BatchNorm2d fixedGamma = new BatchNorm2d(3);
        fixedGamma.weight().requiresGrad(false);
        float[][] g = gradients(fixedGamma, x);
        assertArrayEquals(all[0], g[0], "dx");
        assertNull(g[1], "a frozen gamma gets no gradient");
        assertArrayEquals(all[2], g[2], "dbeta");

        BatchNorm2d fixedAffine = new BatchNorm2d(3);
        fixedAffine.weight().requiresGrad(false);
        fixedAffine.bias().requiresGrad(false);
        g = gradients(fixedAffine, x);
        assertArrayEquals(all[0], g[0], "dx with gamma and beta frozen (not the frozen layer: batch statistics)");
        assertNull(g[1]);
        assertNull(g[2]);
        assertFalse(fixedAffine.isFrozen());
    }

    @Test
    void defaults() {
        BatchNorm2d bn = new BatchNorm2d(4);
        assertEquals(4, bn.numFeatures());
        assertEquals(1e-5, bn.eps());
        assertEquals(0.1, bn.momentum());
        assertTrue(bn.affine());
        assertTrue(bn.trackRunningStats());
        assertArrayEquals(new float[] {1, 1, 1, 1}, bn.weight().toArray());
        assertArrayEquals(new float[] {0, 0, 0, 0}, bn.bias().toArray());
        assertArrayEquals(new float[] {0, 0, 0, 0}, bn.runningMean().toArray());
        assertArrayEquals(new float[] {1, 1, 1, 1}, bn.runningVar().toArray());
        assertArrayEquals(new int[0], bn.stateDict().get("num_batches_tracked").shape().dims(), "a scalar");
    }

    @Test
    void threeDimensionalInputCountsNTimesLValuesPerChannel() {
        BatchNorm1d bn = new BatchNorm1d(3);
        Tensor x = Tensor.randn(new Random(345), 4, 3, 5);
        Tensor y = bn.forward(x);
        assertArrayEquals(new int[] {4, 3, 5}, y.shape().dims());
        double[] mean = channelMean(x);
        double[] var = channelUnbiasedVar(x);
        double[] expectedMean = new double[3];
        double[] expectedVar = new double[3];
        for (int c = 0; c < 3; c++) {
            expectedMean[c] = 0.1 * mean[c];
            expectedVar[c] = 0.9 + 0.1 * var[c];
        }
        assertClose("running_mean", vector(expectedMean), bn.runningMean(), 1e-6, 1e-5);
        assertClose("running_var uses n/(n-1) with n = N*L = 20", vector(expectedVar), bn.runningVar(), 1e-6, 1e-5);
        double[] outMean = channelMean(y);
        for (double m : outMean) {
            assertEquals(0.0, m, 1e-5);
        }
    }

    @Test
    void momentumNullIsTheCumulativeAverage() {
        BatchNorm2d bn = new BatchNorm2d(2, 1e-5, null, true, true);
        Random rng = new Random(345);
        List<double[]> means = new ArrayList<>();
        List<double[]> vars = new ArrayList<>();
        for (int step = 0; step < 3; step++) {
            Tensor x = Tensor.randn(rng, 3, 2, 4, 4).mul(step + 1f).add(step);
            means.add(channelMean(x));
            vars.add(channelUnbiasedVar(x));
            bn.forward(x);
        }
        assertEquals(3, bn.numBatchesTracked());
        double[] avgMean = new double[2];
        double[] avgVar = new double[2];
        for (int c = 0; c < 2; c++) {
            for (int s = 0; s < 3; s++) {
                avgMean[c] += means.get(s)[c] / 3;
                avgVar[c] += vars.get(s)[c] / 3;
            }
        }
        assertClose("running_mean = mean of batch means", vector(avgMean), bn.runningMean(), 1e-5, 1e-5);
        assertClose("running_var = mean of unbiased batch vars", vector(avgVar), bn.runningVar(), 1e-5, 1e-5);
    }

    @Test
    void withoutRunningStatsBothModesUseTheBatch() {
        BatchNorm2d bn = new BatchNorm2d(3, 1e-5, 0.1, true, false);
        assertEquals(List.of("weight", "bias"), new ArrayList<>(bn.stateDict().keySet()));
        assertNull(bn.runningMean());
        assertNull(bn.runningVar());
        assertEquals(0, bn.numBatchesTracked());
        Tensor x = Tensor.randn(new Random(345), 2, 3, 4, 4).add(5f);
        Tensor train = bn.forward(x);
        Tensor eval = bn.eval().forward(x);
        assertArrayEquals(train.toArray(), eval.toArray());
        for (double m : channelMean(eval)) {
            assertEquals(0.0, m, 1e-5);
        }
        bn.resetRunningStats();
    }

    @Test
    void withoutAffineThereAreNoParameters() {
        BatchNorm1d bn = new BatchNorm1d(3, 1e-5, 0.1, false, true);
        assertEquals(List.of(), bn.parameters());
        assertNull(bn.weight());
        assertEquals(List.of("running_mean", "running_var", "num_batches_tracked"),
                new ArrayList<>(bn.stateDict().keySet()));
        Tensor y = bn.forward(Tensor.randn(new Random(345), 8, 3).mul(3f).add(2f));
        for (double m : channelMean(y)) {
            assertEquals(0.0, m, 1e-5);
        }
    }

    @Test
    void trainingModeNotGradModeDecidesTheStatistics() {
        BatchNorm2d bn = new BatchNorm2d(2);
        Tensor x = Tensor.randn(new Random(345), 4, 2, 3, 3).mul(2f).add(1f);
        Tensor yTrain;
        try (Tape.NoGrad off = Tape.noGrad()) {
            yTrain = bn.forward(x);
        }
        assertEquals(1, bn.numBatchesTracked(), "training mode without grad still updates");
        for (double m : channelMean(yTrain)) {
            assertEquals(0.0, m, 1e-5, "batch statistics");
        }

        bn.eval();
        float[] meanBefore = bn.runningMean().toArray();
        Tensor xg = Tensor.of(x.toArray(), 4, 2, 3, 3).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            bn.forward(xg).sum().backward();
        }
        assertEquals(1, bn.numBatchesTracked(), "eval mode with a tape does not update");
        assertArrayEquals(meanBefore, bn.runningMean().toArray());
        float[] g = xg.grad().toArray();
        float[] rv = bn.runningVar().toArray();
        for (int i = 0; i < g.length; i++) {
            int c = (i / 9) % 2;
            assertEquals(1 / Math.sqrt(rv[c] + 1e-5), g[i], 1e-5, "dx = gamma / sqrt(running_var + eps)");
        }
        assertTrue(ModuleTest.maxAbs(bn.weight().grad()) > 0, "gamma gets a gradient in eval mode");
    }

    @Test
    void resetRunningStats() {
        BatchNorm1d bn = new BatchNorm1d(2);
        bn.forward(Tensor.randn(new Random(345), 5, 2).add(3f));
        bn.resetRunningStats();
        assertEquals(0, bn.numBatchesTracked());
        assertArrayEquals(new float[] {0, 0}, bn.runningMean().toArray());
        assertArrayEquals(new float[] {1, 1}, bn.runningVar().toArray());
    }
}
