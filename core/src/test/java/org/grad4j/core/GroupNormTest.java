package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.param;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.grad4j.core.kernels.Kernels;
import org.junit.jupiter.api.Test;

/**
 * {@link Functional#groupNorm}: a naive double implementation with the backward from the explicit
 * Jacobian, gradcheck, bit-identical results at every thread count, and its errors. The PyTorch
 * goldens are the layers' (GroupNorm, InstanceNorm2d in the layers module).
 */
class GroupNormTest {

    /** {y, dx, dweight, dbias, mean, var} in double, from the definition (dx from the Jacobian). */
    private static double[][] naive(float[] x, int groups, float[] w, float[] b, float[] dy, int[] dims, double eps) {
        int n = dims[0];
        int c = dims[1];
        int s = x.length / (n * c);
        int len = c / groups * s;
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        double[] dw = new double[c];
        double[] db = new double[c];
        double[] mean = new double[n * groups];
        double[] var = new double[n * groups];
        for (int r = 0; r < n * groups; r++) {
            int o = r * len;
            double mu = 0;
            for (int i = 0; i < len; i++) {
                mu += x[o + i];
            }
            mu /= len;
            double v = 0;
            for (int i = 0; i < len; i++) {
                v += (x[o + i] - mu) * (x[o + i] - mu);
            }
            v /= len;
            mean[r] = mu;
            var[r] = v;
            double is = 1 / Math.sqrt(v + eps);
            for (int i = 0; i < len; i++) {
                int ch = ((o + i) / s) % c;
                double xhat = (x[o + i] - mu) * is;
                double k = w == null ? 1 : w[ch];
                y[o + i] = xhat * k + (b == null ? 0 : b[ch]);
                dw[ch] += dy[o + i] * xhat;
                db[ch] += dy[o + i];
            }
            // d xhat_i / d x_j = is (delta_ij - 1/m - xhat_i xhat_j / m)
            for (int j = 0; j < len; j++) {
                double xj = (x[o + j] - mu) * is;
                double sum = 0;
                for (int i = 0; i < len; i++) {
                    int ch = ((o + i) / s) % c;
                    double xi = (x[o + i] - mu) * is;
                    double jac = is * ((i == j ? 1 : 0) - 1.0 / len - xi * xj / len);
                    sum += dy[o + i] * (w == null ? 1 : w[ch]) * jac;
                }
                dx[o + j] = sum;
            }
        }
        return new double[][] {y, dx, dw, db, mean, var};
    }

    private static final int[][] CASES = {
        // {groups, dims...}
        {3, 2, 6, 4, 5}, {1, 3, 4, 3, 3}, {4, 2, 4, 5}, {2, 4, 6}, {5, 1, 10, 1, 1}, {2, 3, 4, 2, 2, 3},
    };

    @Test
    void agreesWithNaiveDouble() {
        Random rng = new Random(346);
        for (int[] k : CASES) {
            int groups = k[0];
            int[] dims = Arrays.copyOfRange(k, 1, k.length);
            for (boolean affine : new boolean[] {true, false}) {
                int c = dims[1];
                Tensor x = Tensor.randn(rng, dims).mul(3f).add(2f).detach().requiresGrad(true);
                Tensor w = affine ? param(rng, c) : null;
                Tensor b = affine ? param(rng, c) : null;
                Tensor dy = Tensor.randn(rng, dims);
                Functional.BatchNormResult[] r = new Functional.BatchNormResult[1];
                List<float[]> got = affine
                        ? valuesAndGrads(t -> (r[0] = Functional.groupNorm(t[0], groups, t[1], t[2], 1e-5)).output(),
                                dy, x, w, b)
                        : valuesAndGrads(t -> (r[0] = Functional.groupNorm(t[0], groups, null, null, 1e-5)).output(),
                                dy, x);
                double[][] want = naive(x.toArray(), groups, affine ? w.toArray() : null,
                        affine ? b.toArray() : null, dy.toArray(), dims, 1e-5);
                String what = "groupNorm G=" + groups + " " + Arrays.toString(dims) + (affine ? "" : " affine=false");
                assertClose(want[0], got.get(0), 1e-5, 1e-4, what + " y");
                assertClose(want[1], got.get(1), 1e-5, 1e-4, what + " dx");
                if (affine) {
                    assertClose(want[2], got.get(2), 1e-5, 1e-4, what + " dweight");
                    assertClose(want[3], got.get(3), 1e-5, 1e-4, what + " dbias");
                }
                assertEquals(Shape.of(dims[0], groups), r[0].mean().shape(), what + " mean shape");
                assertClose(want[4], r[0].mean().toArray(), 1e-6, 1e-6, what + " mean");
                assertClose(want[5], r[0].variance().toArray(), 1e-6, 1e-5, what + " biased variance");
            }
        }
    }

    @Test
    void passesGradcheck() {
        Random rng = new Random(346);
        GradCheck.check("groupNorm G=2 4-D", t -> Functional.groupNorm(t[0], 2, t[1], t[2], 1e-5).output(),
                param(rng, 2, 4, 2, 3), param(rng, 4), param(rng, 4));
        GradCheck.check("groupNorm G=C 3-D", t -> Functional.groupNorm(t[0], 3, t[1], t[2], 1e-5).output(),
                param(rng, 2, 3, 5), param(rng, 3), param(rng, 3));
        GradCheck.check("groupNorm G=1 2-D affine=false", t -> Functional.groupNorm(t[0], 1, null, null, 1e-5)
                .output(), param(rng, 3, 6));
        GradCheck.check("groupNorm weight only", t -> Functional.groupNorm(t[0], 2, t[1], null, 1e-5).output(),
                param(rng, 2, 4, 3), param(rng, 4));
    }

    @Test
    void sameBitsAtEveryThreadCount() {
        int saved = Kernels.threads();
        Random rng = new Random(346);
        // Above the kernels' parallel threshold: 8 * 16 * 32 * 32 values.
        Tensor x = Tensor.randn(rng, 8, 16, 32, 32).detach().requiresGrad(true);
        Tensor w = param(rng, 16);
        Tensor b = param(rng, 16);
        Tensor dy = Tensor.randn(rng, 8, 16, 32, 32);
        try {
            List<float[]> first = null;
            for (int threads : new int[] {1, 2, 3}) {
                Kernels.setThreads(threads);
                List<float[]> got = valuesAndGrads(t -> Functional.groupNorm(t[0], 4, t[1], t[2], 1e-5).output(),
                        dy, x, w, b);
                if (first == null) {
                    first = got;
                }
                for (int i = 0; i < got.size(); i++) {
                    assertArrayEquals(first.get(i), got.get(i), "threads=" + threads + " result " + i);
                }
            }
        } finally {
            Kernels.setThreads(saved);
        }
    }

    @Test
    void groupsMustDivideChannels() {
        assertEquals("groupNorm: num_channels must be divisible by num_groups, got 6 channels (input [2, 6, 4, 4])"
                + " and 4 groups", message(() -> Functional.groupNorm(Tensor.zeros(2, 6, 4, 4), 4, null, null, 1e-5)));
    }

    @Test
    void groupsMustBePositive() {
        assertEquals("groupNorm: num_channels must be divisible by num_groups, got 6 channels (input [2, 6])"
                + " and 0 groups", message(() -> Functional.groupNorm(Tensor.zeros(2, 6), 0, null, null, 1e-5)));
    }

    @Test
    void weightMustBePerChannel() {
        assertEquals("groupNorm: weight [3] does not match the 6 channels of input [2, 6, 2]",
                message(() -> Functional.groupNorm(Tensor.zeros(2, 6, 2), 3, Tensor.ones(3), null, 1e-5)));
    }

    @Test
    void biasMustBePerChannel() {
        assertEquals("groupNorm: bias [2] does not match the 6 channels of input [2, 6, 2]",
                message(() -> Functional.groupNorm(Tensor.zeros(2, 6, 2), 3, null, Tensor.ones(2), 1e-5)));
    }

    @Test
    void inputNeedsChannels() {
        assertEquals("groupNorm: expected an input [N, C], [N, C, L] or [N, C, H, W], got [6]",
                message(() -> Functional.groupNorm(Tensor.zeros(6), 3, null, null, 1e-5)));
    }

    @Test
    void epsMustBeFinite() {
        assertEquals("groupNorm: eps must be finite and >= 0, got -1.0",
                message(() -> Functional.groupNorm(Tensor.zeros(2, 6), 3, null, null, -1)));
    }
}
