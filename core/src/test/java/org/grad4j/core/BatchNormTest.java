package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.assertGolden;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.param;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * {@link Functional#batchNormTraining} and {@link Functional#batchNormInference}: PyTorch's two
 * training steps and eval step, a naive double implementation with the backward taken from the
 * explicit Jacobian, and gradcheck.
 */
class BatchNormTest {

    // ------------------------------------------------------------------ 1. PyTorch

    /**
     * Two training steps (output and the three gradients; the statistics returned reproduce
     * PyTorch's running statistics under {@code running = 0.9 running + 0.1 batch} with the
     * unbiased variance), then the eval step from the final running statistics.
     */
    private static void golden(String name) throws Exception {
        SafeTensors g = FunctionalTest.golden(name);
        double eps = Double.parseDouble(g.metadata().get("eps"));
        double momentum = Double.parseDouble(g.metadata().get("momentum"));
        Tensor gamma = g.tensor("gamma").requiresGrad(true);
        Tensor beta = g.tensor("beta").requiresGrad(true);
        float[] runningMean = g.tensor("running_mean_in").toArray();
        float[] runningVar = g.tensor("running_var_in").toArray();
        for (int step = 0; step < 2; step++) {
            String s = name + " step " + step + " ";
            Tensor x = g.tensor("x" + step).requiresGrad(true);
            Functional.BatchNormResult r;
            try (Tape tape = Tape.record()) {
                r = Functional.batchNormTraining(x, gamma, beta, eps);
                assertGolden(g.tensor("y" + step), r.output(), s + "y");
                r.output().backward(g.tensor("dy" + step));
            }
            assertGolden(g.tensor("dx" + step), x.grad(), s + "dx");
            assertGolden(g.tensor("dgamma" + step), gamma.grad(), s + "dgamma");
            assertGolden(g.tensor("dbeta" + step), beta.grad(), s + "dbeta");
            gamma.zeroGrad();
            beta.zeroGrad();
            int m = x.size() / x.dim(1);
            float[] mean = r.mean().toArray();
            float[] var = r.variance().toArray();
            for (int c = 0; c < mean.length; c++) {
                runningMean[c] = (float) ((1 - momentum) * runningMean[c] + momentum * mean[c]);
                runningVar[c] = (float) ((1 - momentum) * runningVar[c] + momentum * var[c] * m / (m - 1.0));
            }
            assertGolden(g.tensor("running_mean" + step), Tensor.of(runningMean), s + "running mean");
            assertGolden(g.tensor("running_var" + step), Tensor.of(runningVar), s + "running var");
        }
        Tensor x = g.tensor("x_eval").requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = Functional.batchNormInference(x, Tensor.of(runningMean), Tensor.of(runningVar), gamma, beta, eps);
            assertGolden(g.tensor("y_eval"), y, name + " eval y");
            y.backward(g.tensor("dy_eval"));
        }
        assertGolden(g.tensor("dx_eval"), x.grad(), name + " eval dx");
    }

    @Test
    void batchNorm2dMatchesPyTorch() throws Exception {
        golden("batchnorm2d");
    }

    @Test
    void batchNorm1dMatchesPyTorch() throws Exception {
        golden("batchnorm1d");
    }

    // ------------------------------------------------------------------ 2. naive double

    /**
     * Training batch norm by the definition in double: y, then the gradients from the Jacobian of
     * {@code xhat_i = (x_i - mean) / sqrt(var + eps)} over a channel's {@code m} values,
     * {@code d xhat_i / d x_j = invstd ([i == j] - 1/m - xhat_i xhat_j / m)}, summed against dy.
     * Returns {y, dx, dgamma, dbeta, mean, var}.
     */
    private static double[][] naiveTraining(float[] x, float[] gamma, float[] beta, float[] dy, int[] dims,
                                            double eps) {
        int n = dims[0];
        int c = dims[1];
        int s = x.length / (n * c);
        int m = n * s;
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        double[] dg = new double[c];
        double[] db = new double[c];
        double[] mean = new double[c];
        double[] var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            int[] idx = Naive.channel(n, c, s, ch);
            double[] moments = Naive.moments(x, idx);
            double mu = moments[0];
            double v = moments[1];
            mean[ch] = mu;
            var[ch] = v;
            double invstd = 1 / Math.sqrt(v + eps);
            double gm = gamma == null ? 1 : gamma[ch];
            double[] xhat = new double[m];
            for (int k = 0; k < m; k++) {
                xhat[k] = (x[idx[k]] - mu) * invstd;
                y[idx[k]] = gm * xhat[k] + (beta == null ? 0 : beta[ch]);
                dg[ch] += dy[idx[k]] * xhat[k];
                db[ch] += dy[idx[k]];
            }
            for (int j = 0; j < m; j++) {
                double sum = 0;
                for (int i = 0; i < m; i++) {
                    double jac = invstd * ((i == j ? 1 : 0) - 1.0 / m - xhat[i] * xhat[j] / m);
                    sum += dy[idx[i]] * gm * jac;
                }
                dx[idx[j]] = sum;
            }
        }
        return new double[][] {y, dx, dg, db, mean, var};
    }

    private static final int[][] SHAPES = {
        {8, 6}, {2, 3}, {4, 3, 5, 5}, {1, 4, 3, 3}, {3, 2, 7}, {5, 1, 1, 2}, {2, 5, 1, 1}, {3, 2, 4, 5},
    };

    @Test
    void trainingAgreesWithNaiveDouble() {
        Random rng = new Random(345);
        for (int[] dims : SHAPES) {
            for (boolean affine : new boolean[] {true, false}) {
                int c = dims[1];
                // An offset mean and a non-unit scale, as real activations have.
                Tensor x = Tensor.randn(rng, dims).mul(3f).add(2f).detach().requiresGrad(true);
                Tensor gamma = affine ? param(rng, c) : null;
                Tensor beta = affine ? param(rng, c) : null;
                Tensor dy = Tensor.randn(rng, dims);
                Functional.BatchNormResult[] r = new Functional.BatchNormResult[1];
                List<float[]> got = affine
                        ? valuesAndGrads(t -> (r[0] = Functional.batchNormTraining(t[0], t[1], t[2], 1e-5)).output(),
                                dy, x, gamma, beta)
                        : valuesAndGrads(t -> (r[0] = Functional.batchNormTraining(t[0], null, null, 1e-5)).output(),
                                dy, x);
                double[][] want = naiveTraining(x.toArray(), affine ? gamma.toArray() : null,
                        affine ? beta.toArray() : null, dy.toArray(), dims, 1e-5);
                String what = "batchNormTraining " + Arrays.toString(dims) + (affine ? "" : " affine=false");
                assertClose(want[0], got.get(0), 1e-5, 1e-4, what + " y");
                assertClose(want[1], got.get(1), 1e-5, 1e-4, what + " dx");
                if (affine) {
                    assertClose(want[2], got.get(2), 1e-5, 1e-4, what + " dgamma");
                    assertClose(want[3], got.get(3), 1e-5, 1e-4, what + " dbeta");
                }
                assertClose(want[4], r[0].mean().toArray(), 1e-6, 1e-6, what + " mean");
                assertClose(want[5], r[0].variance().toArray(), 1e-6, 1e-5, what + " biased variance");
            }
        }
    }

    @Test
    void inferenceAgreesWithNaiveDouble() {
        Random rng = new Random(345);
        for (int[] dims : SHAPES) {
            int c = dims[1];
            Tensor x = param(rng, dims);
            Tensor mean = Tensor.randn(rng, c);
            Tensor var = Tensor.rand(rng, c).add(0.1f);
            Tensor gamma = param(rng, c);
            Tensor beta = param(rng, c);
            Tensor dy = Tensor.randn(rng, dims);
            List<float[]> got = valuesAndGrads(
                    t -> Functional.batchNormInference(t[0], mean, var, t[1], t[2], 1e-3), dy, x, gamma, beta);
            int s = x.size() / (dims[0] * c);
            double[] y = new double[x.size()];
            double[] dx = new double[x.size()];
            double[] dg = new double[c];
            double[] db = new double[c];
            float[] xs = x.toArray();
            float[] g = dy.toArray();
            for (int i = 0; i < y.length; i++) {
                int ch = (i / s) % c;
                double invstd = 1 / Math.sqrt(var.toArray()[ch] + 1e-3);
                double xhat = (xs[i] - mean.toArray()[ch]) * invstd;
                y[i] = xhat * gamma.toArray()[ch] + beta.toArray()[ch];
                dx[i] = g[i] * gamma.toArray()[ch] * invstd;
                dg[ch] += g[i] * xhat;
                db[ch] += g[i];
            }
            String what = "batchNormInference " + Arrays.toString(dims);
            assertClose(y, got.get(0), 1e-5, 1e-4, what + " y");
            assertClose(dx, got.get(1), 1e-5, 1e-4, what + " dx");
            assertClose(dg, got.get(2), 1e-5, 1e-4, what + " dgamma");
            assertClose(db, got.get(3), 1e-5, 1e-4, what + " dbeta");
        }
    }

    @Test
    void statisticsStayAccurateForALargeMean() {
        // Values 1000 + N(0, 1): a one-pass E[x^2] - E[x]^2 in float would lose the variance.
        Random rng = new Random(345);
        Tensor x = Tensor.randn(rng, 64, 2, 4, 4).add(1000f).detach();
        Functional.BatchNormResult r = Functional.batchNormTraining(x, null, null, 1e-5);
        double[][] want = naiveTraining(x.toArray(), null, null, new float[x.size()], x.shape().dims(), 1e-5);
        assertClose(want[4], r.mean().toArray(), 0, 1e-7, "mean");
        assertClose(want[5], r.variance().toArray(), 0, 1e-6, "variance");
        assertClose(want[0], r.output().toArray(), 2e-4, 1e-4, "y");
    }

    @Test
    void statisticsAreNotRecorded() {
        Tensor x = param(new Random(345), 4, 3);
        try (Tape tape = Tape.record()) {
            Functional.BatchNormResult r = Functional.batchNormTraining(x, null, null, 1e-5);
            assertTrue(r.output().requiresGrad());
            assertFalse(r.mean().requiresGrad());
            assertFalse(r.variance().requiresGrad());
            assertEquals(1, tape.size());
        }
    }

    @Test
    void runningStatisticsGetNoGradient() {
        Random rng = new Random(345);
        Tensor x = param(rng, 4, 3);
        Tensor mean = param(rng, 3);
        Tensor var = Tensor.rand(rng, 3).add(0.5f).detach().requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Functional.batchNormInference(x, mean, var, null, null, 1e-5).sum().backward();
        }
        assertTrue(x.grad() != null);
        assertNull(mean.grad());
        assertNull(var.grad());
    }

    // ------------------------------------------------------------------ 3. gradcheck

    @Test
    void trainingPassesGradcheck() {
        Random rng = new Random(345);
        GradCheck.check("batchNormTraining 4-D", t -> Functional.batchNormTraining(t[0], t[1], t[2], 1e-5).output(),
                param(rng, 3, 2, 3, 3), param(rng, 2), param(rng, 2));
        GradCheck.check("batchNormTraining 2-D", t -> Functional.batchNormTraining(t[0], t[1], t[2], 1e-5).output(),
                param(rng, 8, 3), param(rng, 3), param(rng, 3));
        GradCheck.check("batchNormTraining 3-D", t -> Functional.batchNormTraining(t[0], t[1], t[2], 1e-5).output(),
                param(rng, 4, 2, 5), param(rng, 2), param(rng, 2));
        GradCheck.check("batchNormTraining affine=false", t -> Functional.batchNormTraining(t[0], null, null, 1e-5)
                .output(), param(rng, 3, 2, 2, 3));
        GradCheck.check("batchNormTraining gamma only", t -> Functional.batchNormTraining(t[0], t[1], null, 1e-5)
                .output(), Tensor.randn(rng, 6, 2), param(rng, 2));
    }

    @Test
    void inferencePassesGradcheck() {
        Random rng = new Random(345);
        Tensor mean = Tensor.randn(rng, 3);
        Tensor var = Tensor.rand(rng, 3).add(0.5f);
        GradCheck.check("batchNormInference", t -> Functional.batchNormInference(t[0], mean, var, t[1], t[2], 1e-5),
                param(rng, 2, 3, 2, 2), param(rng, 3), param(rng, 3));
        GradCheck.check("batchNormInference beta only",
                t -> Functional.batchNormInference(t[0], mean, var, null, t[1], 1e-5), param(rng, 4, 3), param(rng, 3));
    }

    // ------------------------------------------------------------------ errors

    @Test
    void oneValuePerChannelInTraining() {
        assertEquals("Expected more than 1 value per channel when training, got input size [1, 120]",
                message(() -> Functional.batchNormTraining(Tensor.zeros(1, 120), null, null, 1e-5)));
    }

    @Test
    void oneValuePerChannelInTraining4d() {
        assertEquals("Expected more than 1 value per channel when training, got input size [1, 16, 1, 1]",
                message(() -> Functional.batchNormTraining(Tensor.zeros(1, 16, 1, 1), Tensor.ones(16),
                        Tensor.zeros(16), 1e-5)));
    }

    @Test
    void oneValuePerChannelIsFineInInference() {
        Tensor y = Functional.batchNormInference(Tensor.ones(1, 3), Tensor.zeros(3), Tensor.ones(3), null, null, 0);
        assertClose(new float[] {1, 1, 1}, y.toArray(), 0, 0, "y");
    }

    @Test
    void inputWithoutChannels() {
        assertEquals("batchNormTraining: expected an input [N, C], [N, C, L] or [N, C, H, W], got [5]",
                message(() -> Functional.batchNormTraining(Tensor.zeros(5), null, null, 1e-5)));
    }

    @Test
    void gammaOfTheWrongSize() {
        assertEquals("batchNormTraining: gamma [4] does not match the 3 channels of input [2, 3, 5, 5]",
                message(() -> Functional.batchNormTraining(Tensor.zeros(2, 3, 5, 5), Tensor.ones(4), null, 1e-5)));
    }

    @Test
    void betaOfTheWrongShape() {
        assertEquals("batchNormTraining: beta [1, 3] does not match the 3 channels of input [2, 3]",
                message(() -> Functional.batchNormTraining(Tensor.zeros(2, 3), null, Tensor.zeros(1, 3), 1e-5)));
    }

    @Test
    void negativeEps() {
        assertEquals("batchNormTraining: eps must be finite and >= 0, got -1.0E-5",
                message(() -> Functional.batchNormTraining(Tensor.zeros(2, 3), null, null, -1e-5)));
    }

    @Test
    void inferenceWithoutStatistics() {
        assertEquals("batchNormInference: running mean and running variance are required, got [3] and null",
                message(() -> Functional.batchNormInference(Tensor.zeros(2, 3), Tensor.zeros(3), null, null, null,
                        1e-5)));
    }

    @Test
    void inferenceStatisticOfTheWrongSize() {
        assertEquals("batchNormInference: running variance [2] does not match the 3 channels of input [2, 3]",
                message(() -> Functional.batchNormInference(Tensor.zeros(2, 3), Tensor.zeros(3), Tensor.ones(2),
                        null, null, 1e-5)));
    }

    @Test
    void inferenceRunningMeanOfTheWrongSize() {
        assertEquals("batchNormInference: running mean [4] does not match the 3 channels of input [2, 3, 4, 4]",
                message(() -> Functional.batchNormInference(Tensor.zeros(2, 3, 4, 4), Tensor.zeros(4),
                        Tensor.ones(3), null, null, 1e-5)));
    }

    @Test
    void inferenceNanEps() {
        assertEquals("batchNormInference: eps must be finite and >= 0, got NaN",
                message(() -> Functional.batchNormInference(Tensor.zeros(2, 3), Tensor.zeros(3), Tensor.ones(3),
                        null, null, Double.NaN)));
    }
}
