package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.param;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Functional#layerNorm}: a hand-computed case, a naive double implementation with the
 * backward from the explicit Jacobian, gradcheck, and the op composed from core primitives.
 */
class LayerNormTest {

    @Test
    void handComputedCase() {
        // [1, 2, 3]: mean 2, biased variance 2/3, so xhat = [-1, 0, 1] * sqrt(3/2).
        Tensor y = Functional.layerNorm(Tensor.of(new float[] {1, 2, 3}, 1, 3), new int[] {3}, null, null, 0);
        double r = Math.sqrt(1.5);
        assertClose(new double[] {-r, 0, r}, y.toArray(), 1e-6, 1e-6, "y");
        y = Functional.layerNorm(Tensor.of(new float[] {1, 2, 3}, 1, 3), new int[] {3},
                Tensor.of(new float[] {2, 2, 2}), Tensor.of(new float[] {1, 1, 1}), 0);
        assertClose(new double[] {1 - 2 * r, 1, 1 + 2 * r}, y.toArray(), 1e-6, 1e-6, "affine y");
    }

    /** {y, dx, dweight, dbias} by the definition in double. */
    private static double[][] naive(float[] x, float[] w, float[] b, float[] dy, int d, double eps) {
        int rows = x.length / d;
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        double[] dw = new double[d];
        double[] db = new double[d];
        for (int r = 0; r < rows; r++) {
            double mu = 0;
            for (int j = 0; j < d; j++) {
                mu += x[r * d + j];
            }
            mu /= d;
            double var = 0;
            for (int j = 0; j < d; j++) {
                var += (x[r * d + j] - mu) * (x[r * d + j] - mu);
            }
            var /= d;
            double invstd = 1 / Math.sqrt(var + eps);
            double[] xhat = new double[d];
            for (int j = 0; j < d; j++) {
                xhat[j] = (x[r * d + j] - mu) * invstd;
                y[r * d + j] = xhat[j] * (w == null ? 1 : w[j]) + (b == null ? 0 : b[j]);
                dw[j] += dy[r * d + j] * xhat[j];
                db[j] += dy[r * d + j];
            }
            for (int k = 0; k < d; k++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    double jac = invstd * ((j == k ? 1 : 0) - 1.0 / d - xhat[j] * xhat[k] / d);
                    s += dy[r * d + j] * (w == null ? 1 : w[j]) * jac;
                }
                dx[r * d + k] = s;
            }
        }
        return new double[][] {y, dx, dw, db};
    }

    @Test
    void agreesWithNaiveDouble() {
        Random rng = new Random(345);
        int[][][] cases = {
            {{4, 5}, {5}}, {{2, 3, 4}, {4}}, {{2, 3, 4}, {3, 4}}, {{7}, {7}}, {{1, 1, 2}, {2}}, {{3, 2, 5, 3}, {5, 3}},
        };
        for (int[][] c : cases) {
            int[] dims = c[0];
            int[] ns = c[1];
            for (boolean affine : new boolean[] {true, false}) {
                Tensor x = Tensor.randn(rng, dims).mul(2f).add(1f).detach().requiresGrad(true);
                Tensor w = affine ? param(rng, ns) : null;
                Tensor b = affine ? param(rng, ns) : null;
                Tensor dy = Tensor.randn(rng, dims);
                List<float[]> got = affine
                        ? valuesAndGrads(t -> Functional.layerNorm(t[0], ns, t[1], t[2], 1e-5), dy, x, w, b)
                        : valuesAndGrads(t -> Functional.layerNorm(t[0], ns, null, null, 1e-5), dy, x);
                int d = Arrays.stream(ns).reduce(1, (p, q) -> p * q);
                double[][] want = naive(x.toArray(), affine ? w.toArray() : null, affine ? b.toArray() : null,
                        dy.toArray(), d, 1e-5);
                String what = "layerNorm " + Arrays.toString(dims) + " over " + Arrays.toString(ns)
                        + (affine ? "" : " no affine");
                assertClose(want[0], got.get(0), 1e-5, 1e-4, what + " y");
                assertClose(want[1], got.get(1), 1e-5, 1e-4, what + " dx");
                if (affine) {
                    assertClose(want[2], got.get(2), 1e-5, 1e-4, what + " dweight");
                    assertClose(want[3], got.get(3), 1e-5, 1e-4, what + " dbias");
                }
            }
        }
    }

    @Test
    void passesGradcheck() {
        Random rng = new Random(345);
        GradCheck.check("layerNorm", t -> Functional.layerNorm(t[0], new int[] {4}, t[1], t[2], 1e-5),
                param(rng, 3, 4), param(rng, 4), param(rng, 4));
        GradCheck.check("layerNorm over two dims", t -> Functional.layerNorm(t[0], new int[] {2, 3}, t[1], t[2], 1e-5),
                param(rng, 2, 2, 3), param(rng, 2, 3), param(rng, 2, 3));
        GradCheck.check("layerNorm no affine", t -> Functional.layerNorm(t[0], new int[] {5}, null, null, 1e-5),
                param(rng, 2, 5));
    }

    @Test
    void agreesWithTheComposedOp() {
        Random rng = new Random(345);
        Tensor x = param(rng, 3, 4, 6);
        Tensor w = param(rng, 6);
        Tensor b = param(rng, 6);
        Tensor dy = Tensor.randn(rng, 3, 4, 6);
        List<float[]> fused = valuesAndGrads(t -> Functional.layerNorm(t[0], new int[] {6}, t[1], t[2], 1e-5),
                dy, x, w, b);
        List<float[]> composed = valuesAndGrads(t -> {
            Tensor mean = t[0].mean(-1, true);
            Tensor var = t[0].sub(mean).square().mean(-1, true);
            return t[0].sub(mean).div(var.add(1e-5f).sqrt()).mul(t[1]).add(t[2]);
        }, dy, x, w, b);
        String[] names = {"y", "dx", "dweight", "dbias"};
        for (int i = 0; i < names.length; i++) {
            assertClose(composed.get(i), fused.get(i), 1e-5, 1e-4, "layerNorm fused vs composed: " + names[i]);
        }
    }

    @Test
    void normalizedShapeNotTrailing() {
        assertEquals("layerNorm: normalized shape [5] expects an input [*, 5], got [2, 3, 4]",
                message(() -> Functional.layerNorm(Tensor.zeros(2, 3, 4), new int[] {5}, null, null, 1e-5)));
    }

    @Test
    void normalizedShapeLongerThanTheInput() {
        assertEquals("layerNorm: normalized shape [2, 3, 4] expects an input [*, 2, 3, 4], got [3, 4]",
                message(() -> Functional.layerNorm(Tensor.zeros(3, 4), new int[] {2, 3, 4}, null, null, 1e-5)));
    }

    @Test
    void emptyNormalizedShape() {
        assertEquals("layerNorm: normalized shape must have at least one dimension, got []",
                message(() -> Functional.layerNorm(Tensor.zeros(3, 4), new int[0], null, null, 1e-5)));
    }

    @Test
    void weightOfTheWrongShape() {
        assertEquals("layerNorm: weight [4] does not match normalized shape [3, 4]",
                message(() -> Functional.layerNorm(Tensor.zeros(2, 3, 4), new int[] {3, 4}, Tensor.ones(4), null,
                        1e-5)));
    }

    @Test
    void biasOfTheWrongShape() {
        assertEquals("layerNorm: bias [1, 4] does not match normalized shape [4]",
                message(() -> Functional.layerNorm(Tensor.zeros(2, 4), new int[] {4}, null, Tensor.zeros(1, 4),
                        1e-5)));
    }

    @Test
    void negativeEps() {
        assertEquals("layerNorm: eps must be finite and >= 0, got -1.0",
                message(() -> Functional.layerNorm(Tensor.zeros(2, 4), new int[] {4}, null, null, -1)));
    }
}
