package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.param;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Mean-only and scale-only batch norm ({@link Functional#meanOnlyBatchNormTraining},
 * {@link Functional#scaleOnlyBatchNormTraining} and their inference forms) three ways: a naive
 * double implementation whose backward is the explicit Jacobian, the same math composed from
 * {@link Tensor} ops on the tape, and gradcheck; plus bit-identical results at 1, 2 and 3 threads
 * on a shape large enough for the parallel kernels, and every error. No PyTorch golden: PyTorch
 * has no such ops.
 */
class BatchNormVariantsTest {
    private static final int[][] SHAPES = {
        {8, 6}, {2, 3}, {4, 3, 5, 5}, {1, 4, 3, 3}, {3, 2, 7}, {5, 1, 1, 2}, {3, 2, 4, 5}, {5, 3, 17, 17},
    };
    /** 32856 values, above the kernels' parallel threshold; planes of 37*37 take the vector loops. */
    private static final int[] LARGE = {6, 4, 37, 37};

    private final int savedThreads = Backend.threads();

    @AfterEach
    void restoreThreads() {
        Backend.setThreads(savedThreads);
    }

    /**
     * By the definition in double, channel by channel over its {@code m} values: mean-only
     * {@code y_i = x_i - mean + beta}, {@code d y_i / d x_j = [i == j] - 1/m}; scale-only
     * {@code y_i = gamma x_i s} with {@code s = 1 / sqrt(var + eps)} and
     * {@code d s / d x_j = -s^3 (x_j - mean) / m}, so
     * {@code d y_i / d x_j = gamma ([i == j] s - x_i s^3 (x_j - mean) / m)}. Returns
     * {y, dx, dparam, mean, var} (dparam: dbeta or dgamma).
     */
    static double[][] naive(boolean meanOnly, float[] x, float[] param, float[] dy, int[] dims, double eps) {
        int n = dims[0];
        int c = dims[1];
        int s = x.length / (n * c);
        int m = n * s;
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        double[] dp = new double[c];
        double[] mean = new double[c];
        double[] var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            int[] idx = Naive.channel(n, c, s, ch);
            double[] moments = Naive.moments(x, idx);
            double mu = moments[0];
            double v = moments[1];
            mean[ch] = mu;
            var[ch] = v;
            double p = param == null ? (meanOnly ? 0 : 1) : param[ch];
            double sc = 1 / Math.sqrt(v + eps);
            for (int i : idx) {
                y[i] = meanOnly ? x[i] - mu + p : p * x[i] * sc;
                dp[ch] += meanOnly ? dy[i] : dy[i] * x[i] * sc;
            }
            for (int j : idx) {
                double sum = 0;
                for (int i : idx) {
                    double jac = meanOnly ? (i == j ? 1 : 0) - 1.0 / m
                            : p * ((i == j ? sc : 0) - x[i] * sc * sc * sc * (x[j] - mu) / m);
                    sum += dy[i] * jac;
                }
                dx[j] = sum;
            }
        }
        return new double[][] {y, dx, dp, mean, var};
    }

    /** The same math from Tensor ops: mean over {0} or {0, 2, 3} with keepdim, broadcasting. */
    static Tensor composed(boolean meanOnly, Tensor x, Tensor param, float eps) {
        int c = x.dim(1);
        int[] dims = new int[x.rank() - 1];
        int[] paramShape = new int[x.rank()];
        Arrays.fill(paramShape, 1);
        paramShape[1] = c;
        for (int i = 0, d = 0; d < x.rank(); d++) {
            if (d != 1) {
                dims[i++] = d;
            }
        }
        Tensor mean = x.mean(dims, true);
        if (meanOnly) {
            Tensor y = x.sub(mean);
            return param == null ? y : y.add(param.reshape(paramShape));
        }
        Tensor var = x.sub(mean).square().mean(dims, true);
        Tensor y = x.div(var.add(eps).sqrt());
        return param == null ? y : y.mul(param.reshape(paramShape));
    }

    private static Functional.BatchNormResult fused(boolean meanOnly, Tensor x, Tensor param, double eps) {
        return meanOnly ? Functional.meanOnlyBatchNormTraining(x, param)
                : Functional.scaleOnlyBatchNormTraining(x, param, eps);
    }

    private static String name(boolean meanOnly) {
        return meanOnly ? "meanOnlyBatchNormTraining" : "scaleOnlyBatchNormTraining";
    }

    @Test
    void trainingAgreesWithNaiveDouble() {
        Random rng = new Random(345);
        for (boolean meanOnly : new boolean[] {true, false}) {
            for (int[] dims : SHAPES) {
                for (boolean affine : new boolean[] {true, false}) {
                    // An offset mean and a non-unit scale, as real activations have.
                    Tensor x = Tensor.randn(rng, dims).mul(3f).add(2f).detach().requiresGrad(true);
                    Tensor p = affine ? param(rng, dims[1]) : null;
                    Tensor dy = Tensor.randn(rng, dims);
                    Functional.BatchNormResult[] r = new Functional.BatchNormResult[1];
                    List<float[]> got = affine
                            ? valuesAndGrads(t -> (r[0] = fused(meanOnly, t[0], t[1], 1e-5)).output(), dy, x, p)
                            : valuesAndGrads(t -> (r[0] = fused(meanOnly, t[0], null, 1e-5)).output(), dy, x);
                    double[][] want = naive(meanOnly, x.toArray(), affine ? p.toArray() : null, dy.toArray(), dims,
                            1e-5);
                    String what = name(meanOnly) + " " + Arrays.toString(dims) + (affine ? "" : " no parameter");
                    assertClose(want[0], got.get(0), 1e-5, 1e-4, what + " y");
                    assertClose(want[1], got.get(1), 1e-5, 1e-4, what + " dx");
                    if (affine) {
                        assertClose(want[2], got.get(2), 1e-5, 1e-4, what + " dparam");
                    }
                    assertClose(want[3], r[0].mean().toArray(), 1e-6, 1e-6, what + " mean");
                    assertClose(want[4], r[0].variance().toArray(), 1e-6, 1e-5, what + " biased variance");
                }
            }
        }
    }

    @Test
    void trainingAgreesWithTheComposedTensorOps() {
        Random rng = new Random(346);
        for (boolean meanOnly : new boolean[] {true, false}) {
            for (int[] dims : new int[][] {{16, 120}, {16, 6, 24, 24}, {3, 2, 7, 5}, {5, 7}}) {
                Tensor x = Tensor.randn(rng, dims).mul(2.5f).add(1.5f).detach().requiresGrad(true);
                Tensor p = param(rng, dims[1]);
                Tensor dy = Tensor.randn(rng, dims);
                List<float[]> fusedOut = valuesAndGrads(t -> fused(meanOnly, t[0], t[1], 1e-5).output(), dy, x, p);
                List<float[]> tape = valuesAndGrads(t -> composed(meanOnly, t[0], t[1], 1e-5f), dy, x, p);
                String[] names = {"y", "dx", "dparam"};
                for (int i = 0; i < names.length; i++) {
                    assertClose(tape.get(i), fusedOut.get(i), 1e-5, 1e-4,
                            name(meanOnly) + " vs composed " + Arrays.toString(dims) + ": " + names[i]);
                }
            }
        }
    }

    @Test
    void inferenceAgreesWithNaiveDouble() {
        Random rng = new Random(347);
        for (int[] dims : SHAPES) {
            int c = dims[1];
            Tensor x = param(rng, dims);
            Tensor mean = Tensor.randn(rng, c);
            Tensor var = Tensor.rand(rng, c).add(0.1f);
            Tensor p = param(rng, c);
            Tensor dy = Tensor.randn(rng, dims);
            List<float[]> mo = valuesAndGrads(t -> Functional.meanOnlyBatchNormInference(t[0], mean, t[1]), dy, x, p);
            List<float[]> so = valuesAndGrads(t -> Functional.scaleOnlyBatchNormInference(t[0], var, t[1], 1e-3),
                    dy, x, p);
            int s = x.size() / (dims[0] * c);
            float[] xs = x.toArray();
            float[] g = dy.toArray();
            double[][] want = new double[6][];
            for (int k = 0; k < 6; k++) {
                want[k] = new double[k % 3 == 2 ? c : x.size()];
            }
            for (int i = 0; i < xs.length; i++) {
                int ch = i / s % c;
                double sc = 1 / Math.sqrt(var.toArray()[ch] + 1e-3);
                want[0][i] = xs[i] - mean.toArray()[ch] + p.toArray()[ch];
                want[1][i] = g[i];
                want[2][ch] += g[i];
                want[3][i] = xs[i] * sc * p.toArray()[ch];
                want[4][i] = g[i] * sc * p.toArray()[ch];
                want[5][ch] += g[i] * xs[i] * sc;
            }
            String what = Arrays.toString(dims);
            for (int k = 0; k < 3; k++) {
                assertClose(want[k], mo.get(k), 1e-5, 1e-5, "meanOnlyBatchNormInference " + what + " " + k);
                assertClose(want[3 + k], so.get(k), 1e-5, 1e-4, "scaleOnlyBatchNormInference " + what + " " + k);
            }
        }
    }

    /** Forward and backward of {@code f} packed into one array: y, dx, dparam. */
    private static float[] packed(Function<Tensor[], Tensor> f, Tensor x, Tensor p, Tensor dy) {
        List<float[]> r = valuesAndGrads(f, dy, x, p);
        float[] out = new float[r.get(0).length + r.get(1).length + r.get(2).length];
        System.arraycopy(r.get(0), 0, out, 0, r.get(0).length);
        System.arraycopy(r.get(1), 0, out, r.get(0).length, r.get(1).length);
        System.arraycopy(r.get(2), 0, out, r.get(0).length + r.get(1).length, r.get(2).length);
        return out;
    }

    @Test
    void theParallelKernelsGiveTheSameBitsAtEveryThreadCountAndMatchTheOracle() {
        Random rng = new Random(348);
        Tensor x = Tensor.rand(rng, LARGE).mul(4f).add(3f).detach().requiresGrad(true);
        Tensor p = param(rng, LARGE[1]);
        Tensor dy = Tensor.randn(rng, LARGE);
        for (boolean meanOnly : new boolean[] {true, false}) {
            Function<Tensor[], Tensor> f = t -> fused(meanOnly, t[0], t[1], 1e-5).output();
            Backend.setThreads(1);
            float[] one = packed(f, x, p, dy);
            for (int threads : new int[] {2, 3}) {
                Backend.setThreads(threads);
                float[] other = packed(f, x, p, dy);
                for (int i = 0; i < one.length; i++) {
                    assertEquals(Float.floatToRawIntBits(one[i]), Float.floatToRawIntBits(other[i]),
                            name(meanOnly) + ": element " + i + " differs at " + threads + " threads");
                }
            }
            double[][] want = naive(meanOnly, x.toArray(), p.toArray(), dy.toArray(), LARGE, 1e-5);
            int len = x.size();
            assertClose(want[0], Arrays.copyOfRange(one, 0, len), 1e-5, 1e-4, name(meanOnly) + " large y");
            assertClose(want[1], Arrays.copyOfRange(one, len, 2 * len), 1e-5, 1e-4, name(meanOnly) + " large dx");
            assertClose(want[2], Arrays.copyOfRange(one, 2 * len, one.length), 1e-4, 1e-4,
                    name(meanOnly) + " large dparam");
        }
    }

    @Test
    void trainingPassesGradcheck() {
        Random rng = new Random(349);
        GradCheck.check("meanOnlyBatchNormTraining 4d", t -> Functional.meanOnlyBatchNormTraining(t[0], t[1]).output(),
                param(rng, 3, 2, 2, 3), param(rng, 2));
        GradCheck.check("meanOnlyBatchNormTraining 2d", t -> Functional.meanOnlyBatchNormTraining(t[0], t[1]).output(),
                param(rng, 5, 3), param(rng, 3));
        GradCheck.check("scaleOnlyBatchNormTraining 4d",
                t -> Functional.scaleOnlyBatchNormTraining(t[0], t[1], 1e-5).output(),
                param(rng, 3, 2, 2, 3), param(rng, 2));
        GradCheck.check("scaleOnlyBatchNormTraining 2d",
                t -> Functional.scaleOnlyBatchNormTraining(t[0], t[1], 1e-5).output(),
                param(rng, 5, 3), param(rng, 3));
    }

    @Test
    void inferencePassesGradcheck() {
        Random rng = new Random(350);
        Tensor mean = Tensor.randn(rng, 3);
        Tensor var = Tensor.rand(rng, 3).add(0.5f);
        GradCheck.check("meanOnlyBatchNormInference", t -> Functional.meanOnlyBatchNormInference(t[0], mean, t[1]),
                param(rng, 4, 3, 2), param(rng, 3));
        GradCheck.check("scaleOnlyBatchNormInference",
                t -> Functional.scaleOnlyBatchNormInference(t[0], var, t[1], 1e-5), param(rng, 4, 3, 2), param(rng, 3));
    }

    @Test
    void meanOnlyTakesOneValuePerChannel() {
        Tensor x = Tensor.of(new float[] {3, -1}, 1, 2).requiresGrad(true);
        Tensor beta = Tensor.of(new float[] {0.5f, 2f}, 2);
        List<float[]> r = valuesAndGrads(t -> Functional.meanOnlyBatchNormTraining(t[0], beta).output(),
                Tensor.ones(1, 2), x);
        assertClose(new float[] {0.5f, 2f}, r.get(0), 0, 0, "y is beta");
        assertClose(new float[] {0, 0}, r.get(1), 0, 0, "dx");
    }

    // ------------------------------------------------------------------ errors

    @Test
    void scaleOnlyRefusesOneValuePerChannelInTraining() {
        assertEquals("Expected more than 1 value per channel when training, got input size [1, 120]",
                message(() -> Functional.scaleOnlyBatchNormTraining(Tensor.zeros(1, 120), null, 1e-5)));
    }

    @Test
    void inputWithoutChannels() {
        assertEquals("meanOnlyBatchNormTraining: expected an input [N, C], [N, C, L] or [N, C, H, W], got [5]",
                message(() -> Functional.meanOnlyBatchNormTraining(Tensor.zeros(5), null)));
        assertEquals("scaleOnlyBatchNormInference: expected an input [N, C], [N, C, L] or [N, C, H, W], got [5]",
                message(() -> Functional.scaleOnlyBatchNormInference(Tensor.zeros(5), Tensor.ones(5), null, 1e-5)));
    }

    @Test
    void parameterOfTheWrongSize() {
        assertEquals("meanOnlyBatchNormTraining: beta [4] does not match the 3 channels of input [2, 3, 5, 5]",
                message(() -> Functional.meanOnlyBatchNormTraining(Tensor.zeros(2, 3, 5, 5), Tensor.zeros(4))));
        assertEquals("scaleOnlyBatchNormTraining: gamma [1, 3] does not match the 3 channels of input [2, 3]",
                message(() -> Functional.scaleOnlyBatchNormTraining(Tensor.zeros(2, 3), Tensor.ones(1, 3), 1e-5)));
        assertEquals("meanOnlyBatchNormInference: beta [2] does not match the 3 channels of input [2, 3]",
                message(() -> Functional.meanOnlyBatchNormInference(Tensor.zeros(2, 3), Tensor.zeros(3),
                        Tensor.zeros(2))));
        assertEquals("scaleOnlyBatchNormInference: gamma [2] does not match the 3 channels of input [2, 3]",
                message(() -> Functional.scaleOnlyBatchNormInference(Tensor.zeros(2, 3), Tensor.ones(3),
                        Tensor.ones(2), 1e-5)));
    }

    @Test
    void badEps() {
        assertEquals("scaleOnlyBatchNormTraining: eps must be finite and >= 0, got -1.0E-5",
                message(() -> Functional.scaleOnlyBatchNormTraining(Tensor.zeros(2, 3), null, -1e-5)));
        assertEquals("scaleOnlyBatchNormInference: eps must be finite and >= 0, got NaN",
                message(() -> Functional.scaleOnlyBatchNormInference(Tensor.zeros(2, 3), Tensor.ones(3), null,
                        Double.NaN)));
    }

    @Test
    void inferenceStatistics() {
        assertEquals("meanOnlyBatchNormInference: the running mean is required, got null",
                message(() -> Functional.meanOnlyBatchNormInference(Tensor.zeros(2, 3), null, null)));
        assertEquals("scaleOnlyBatchNormInference: the running variance is required, got null",
                message(() -> Functional.scaleOnlyBatchNormInference(Tensor.zeros(2, 3), null, null, 1e-5)));
        assertEquals("meanOnlyBatchNormInference: running mean [4] does not match the 3 channels of input [2, 3]",
                message(() -> Functional.meanOnlyBatchNormInference(Tensor.zeros(2, 3), Tensor.zeros(4), null)));
        assertEquals("scaleOnlyBatchNormInference: running variance [2] does not match the 3 channels of input "
                + "[2, 3, 4, 4]", message(() -> Functional.scaleOnlyBatchNormInference(Tensor.zeros(2, 3, 4, 4),
                        Tensor.ones(2), null, 1e-5)));
    }
}
