package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.assertGolden;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.param;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.grad4j.core.Functional.Reduction;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * {@link Functional#crossEntropy} and {@link Functional#logSoftmax}: PyTorch's values (including
 * logits of +-1000), naive double loops, gradcheck, and a version composed from log-sum-exp.
 */
class CrossEntropyTest {

    // ------------------------------------------------------------------ 1. PyTorch

    private static void golden(Tensor logitsValues, int[] labels, Tensor loss, Tensor dlogits, String what) {
        Tensor logits = logitsValues.requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor l = Functional.crossEntropy(logits, labels);
            assertEquals(Shape.SCALAR, l.shape(), what + ": a mean is a scalar");
            assertTrue(Float.isFinite(l.item()), what + ": loss " + l.item());
            assertGolden(loss, l, what + " loss");
            l.backward();
        }
        for (float v : logits.grad().toArray()) {
            assertTrue(Float.isFinite(v), what + ": gradient " + v);
        }
        assertGolden(dlogits, logits.grad(), what + " dlogits");
    }

    @Test
    void matchesPyTorch() throws Exception {
        SafeTensors g = FunctionalTest.golden("sigmoid_cross_entropy");
        golden(g.tensor("logits"), g.ints("labels"), g.tensor("loss"), g.tensor("dlogits"), "logits");
    }

    @Test
    void matchesPyTorchAtLogitsOfPlusMinus1000() throws Exception {
        SafeTensors g = FunctionalTest.golden("sigmoid_cross_entropy");
        float maxAbs = 0;
        for (float v : g.tensor("big_logits").toArray()) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        assertTrue(maxAbs >= 1000, "the golden case holds logits of magnitude 1000");
        golden(g.tensor("big_logits"), g.ints("big_labels"), g.tensor("big_loss"), g.tensor("big_dlogits"),
                "big logits");
    }

    // ------------------------------------------------------------------ 2. naive double

    /** Per-sample losses and d loss_i / d z_ij, for the smoothed target, in double. */
    private static double[][] naive(float[] z, int[] labels, int n, int c, double eps) {
        double[] loss = new double[n];
        double[] grad = new double[n * c];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, z[i * c + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += Math.exp(z[i * c + j] - max);
            }
            for (int j = 0; j < c; j++) {
                double logp = z[i * c + j] - max - Math.log(sum);
                double t = (j == labels[i] ? 1 - eps : 0) + eps / c;
                loss[i] -= t * logp;
                grad[i * c + j] = Math.exp(logp) - t;
            }
        }
        return new double[][] {loss, grad};
    }

    @Test
    void agreesWithNaiveDoubleForEveryReductionAndSmoothing() {
        Random rng = new Random(345);
        int[][] shapes = {{1, 1}, {1, 10}, {6, 10}, {7, 3}, {33, 17}, {4, 2}};
        for (int[] s : shapes) {
            int n = s[0];
            int c = s[1];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = rng.nextInt(c);
            }
            for (double eps : new double[] {0, 0.1, 1}) {
                for (Reduction red : Reduction.values()) {
                    Tensor z = Tensor.randn(rng, n, c).mul(3f).detach().requiresGrad(true);
                    Tensor up = red == Reduction.NONE ? Tensor.randn(rng, n) : Tensor.scalar(1.7f);
                    List<float[]> got = valuesAndGrads(t -> Functional.crossEntropy(t[0], labels, red, eps), up, z);
                    double[][] want = naive(z.toArray(), labels, n, c, eps);
                    double[] value;
                    double[] grad = new double[n * c];
                    float[] u = up.toArray();
                    if (red == Reduction.NONE) {
                        value = want[0];
                        for (int k = 0; k < grad.length; k++) {
                            grad[k] = want[1][k] * u[k / c];
                        }
                    } else {
                        double total = 0;
                        for (double l : want[0]) {
                            total += l;
                        }
                        double div = red == Reduction.MEAN ? n : 1;
                        value = new double[] {total / div};
                        for (int k = 0; k < grad.length; k++) {
                            grad[k] = want[1][k] * u[0] / div;
                        }
                    }
                    String what = "crossEntropy [" + n + ", " + c + "] " + red + " smoothing " + eps;
                    assertClose(value, got.get(0), 1e-5, 1e-5, what + " loss");
                    assertClose(grad, got.get(1), 1e-6, 1e-5, what + " dlogits");
                }
            }
        }
    }

    @Test
    void reductionsShapeTheResult() {
        Tensor z = Tensor.randn(new Random(345), 4, 3);
        int[] labels = {0, 1, 2, 0};
        assertEquals(Shape.SCALAR, Functional.crossEntropy(z, labels, Reduction.SUM, 0).shape());
        assertEquals(Shape.SCALAR, Functional.crossEntropy(z, labels, Reduction.MEAN, 0).shape());
        Tensor none = Functional.crossEntropy(z, labels, Reduction.NONE, 0);
        assertEquals(Shape.of(4), none.shape());
        double sum = 0;
        for (float v : none.toArray()) {
            sum += v;
        }
        assertEquals(sum / 4, Functional.crossEntropy(z, labels).item(), 1e-6);
    }

    @Test
    void extremeLogitsGiveFiniteLossesAndExactGradients() {
        // Logits of +-1000: exp overflows without the max shift. Class 0 wins by 2000, so the
        // loss is 0 for label 0 and 2000 for label 1, and the gradient is (softmax - onehot)/N.
        Tensor z = Tensor.of(new float[] {1000, -1000, 1000, -1000}, 2, 2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor l = Functional.crossEntropy(z, new int[] {0, 1}, Reduction.NONE, 0);
            assertClose(new double[] {0, 2000}, l.toArray(), 0, 0, "loss");
            l.sum().backward();
        }
        assertClose(new double[] {0, 0, 1, -1}, z.grad().toArray(), 0, 0, "dlogits");
        Tensor lsm = Functional.logSoftmax(Tensor.of(new float[] {1000, -1000, 0}, 1, 3), 1);
        assertClose(new double[] {0, -2000, -1000}, lsm.toArray(), 0, 0, "log-softmax");
    }

    @Test
    void logSoftmaxAgreesWithNaiveDoubleAlongEveryDimension() {
        Random rng = new Random(345);
        int[] dims = {3, 4, 5};
        for (int dim = -3; dim < 3; dim++) {
            int a = (dim + 3) % 3;
            Tensor x = Tensor.randn(rng, dims).mul(4f).detach().requiresGrad(true);
            Tensor dy = Tensor.randn(rng, dims);
            int d = dim;
            List<float[]> got = valuesAndGrads(t -> Functional.logSoftmax(t[0], d), dy, x);
            float[] xs = x.toArray();
            float[] g = dy.toArray();
            int[] strides = {20, 5, 1};
            double[] y = new double[xs.length];
            double[] dx = new double[xs.length];
            for (int i = 0; i < xs.length; i++) {
                int pos = i / strides[a] % dims[a];
                int base = i - pos * strides[a];
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < dims[a]; k++) {
                    max = Math.max(max, xs[base + k * strides[a]]);
                }
                double s = 0;
                double sg = 0;
                for (int k = 0; k < dims[a]; k++) {
                    s += Math.exp(xs[base + k * strides[a]] - max);
                    sg += g[base + k * strides[a]];
                }
                y[i] = xs[i] - max - Math.log(s);
                dx[i] = g[i] - Math.exp(y[i]) * sg;
            }
            assertClose(y, got.get(0), 1e-5, 1e-5, "logSoftmax dim " + dim + " y");
            assertClose(dx, got.get(1), 1e-5, 1e-5, "logSoftmax dim " + dim + " dx");
        }
    }

    // ------------------------------------------------------------------ 3. gradcheck

    @Test
    void passesGradcheck() {
        Random rng = new Random(345);
        int[] labels = {2, 0, 1, 2};
        GradCheck.check("crossEntropy mean", t -> Functional.crossEntropy(t[0], labels), param(rng, 4, 3));
        GradCheck.check("crossEntropy sum smoothed", t -> Functional.crossEntropy(t[0], labels, Reduction.SUM, 0.2),
                param(rng, 4, 3));
        GradCheck.check("crossEntropy none", t -> Functional.crossEntropy(t[0], labels, Reduction.NONE, 0),
                param(rng, 4, 3));
        GradCheck.check("logSoftmax dim 1", t -> Functional.logSoftmax(t[0], 1), param(rng, 3, 4));
        GradCheck.check("logSoftmax dim 0", t -> Functional.logSoftmax(t[0], 0), param(rng, 3, 2, 2));
    }

    // ------------------------------------------------------------------ the composed version

    /** Cross-entropy from core primitives: log-sum-exp with the (detached) row max, a one-hot mask. */
    private static Tensor composed(Tensor z, int[] labels, double eps) {
        int n = z.dim(0);
        int c = z.dim(1);
        Tensor target = Tensor.full((float) (eps / c), n, c);
        for (int i = 0; i < n; i++) {
            target.set((float) (1 - eps + eps / c), i, labels[i]);
        }
        Tensor shifted = z.sub(z.max(1, true).detach());
        Tensor logp = shifted.sub(shifted.exp().sum(1, true).log());
        return logp.mul(target).sum().neg().div(n);
    }

    @Test
    void agreesWithLogSumExpComposedFromCoreOps() {
        Random rng = new Random(345);
        int[] labels = {3, 0, 9, 9, 4, 1, 2};
        for (double eps : new double[] {0, 0.1}) {
            Tensor z = Tensor.randn(rng, 7, 10).mul(5f).detach().requiresGrad(true);
            Tensor up = Tensor.scalar(1f);
            List<float[]> fused = valuesAndGrads(t -> Functional.crossEntropy(t[0], labels, Reduction.MEAN, eps), up, z);
            List<float[]> comp = valuesAndGrads(t -> composed(t[0], labels, eps), up, z);
            assertClose(comp.get(0), fused.get(0), 1e-5, 1e-5, "smoothing " + eps + " loss");
            assertClose(comp.get(1), fused.get(1), 1e-6, 1e-4, "smoothing " + eps + " dlogits");
            // log-softmax is the first half of the same composition
            List<float[]> lsm = valuesAndGrads(t -> Functional.logSoftmax(t[0], 1), Tensor.ones(7, 10), z);
            List<float[]> lsmComp = valuesAndGrads(t -> t[0].sub(t[0].max(1, true).detach())
                    .sub(t[0].sub(t[0].max(1, true).detach()).exp().sum(1, true).log()), Tensor.ones(7, 10), z);
            assertClose(lsmComp.get(0), lsm.get(0), 1e-5, 1e-5, "log-softmax y");
            assertClose(lsmComp.get(1), lsm.get(1), 1e-5, 1e-4, "log-softmax dx");
        }
    }

    // ------------------------------------------------------------------ errors

    @Test
    void labelAboveTheClasses() {
        assertEquals("crossEntropy: labels[3] = 7 is out of range [0, 5) for logits [4, 5]",
                message(() -> Functional.crossEntropy(Tensor.zeros(4, 5), new int[] {0, 1, 2, 7})));
    }

    @Test
    void negativeLabel() {
        assertEquals("crossEntropy: labels[0] = -100 is out of range [0, 5) for logits [4, 5]",
                message(() -> Functional.crossEntropy(Tensor.zeros(4, 5), new int[] {-100, 1, 2, 3})));
    }

    @Test
    void wrongNumberOfLabels() {
        assertEquals("crossEntropy: 3 labels do not match logits [4, 5] (expected 4)",
                message(() -> Functional.crossEntropy(Tensor.zeros(4, 5), new int[] {0, 1, 2})));
    }

    @Test
    void logitsNotTwoDimensional() {
        assertEquals("crossEntropy: expected logits [N, C], got [5]",
                message(() -> Functional.crossEntropy(Tensor.zeros(5), new int[] {0})));
    }

    @Test
    void smoothingOutsideZeroOne() {
        assertEquals("crossEntropy: label smoothing must be between 0.0 and 1.0, got 1.5",
                message(() -> Functional.crossEntropy(Tensor.zeros(2, 3), new int[] {0, 1}, Reduction.MEAN, 1.5)));
    }

    @Test
    void missingLabels() {
        assertEquals("crossEntropy: labels are null",
                message(() -> Functional.crossEntropy(Tensor.zeros(2, 3), null)));
    }

    @Test
    void missingReduction() {
        assertEquals("crossEntropy: reduction is null",
                message(() -> Functional.crossEntropy(Tensor.zeros(2, 3), new int[] {0, 1}, null, 0)));
    }

    @Test
    void logSoftmaxDimensionOutOfRange() {
        assertEquals("logSoftmax: dimension 2 is out of range for shape [2, 3] (expected -2 to 1)",
                message(() -> Functional.logSoftmax(Tensor.zeros(2, 3), 2)));
    }
}
