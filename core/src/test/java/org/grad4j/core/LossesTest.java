package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.param;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.grad4j.core.Functional.Reduction;
import org.junit.jupiter.api.Test;

/**
 * The losses of {@link Functional} besides plain cross-entropy ({@link CrossEntropyTest}): each
 * against a naive double implementation of PyTorch's documented formula (gradients by double
 * central differences of it), gradcheck for every reduction, and every error message.
 */
class LossesTest {
    private static final double H = 1e-6;

    /** A loss written naively in double: its per-element values before reduction. */
    private interface NaiveLoss {
        double[] perElement(double[] x, double[] t);
    }

    private static Tensor vec(float... values) {
        return Tensor.of(values, values.length);
    }

    private static double[] toDouble(Tensor t) {
        return FunctionalTest.toDouble(t);
    }

    private static double[] reduce(double[] loss, double denominator, Reduction r) {
        if (r == Reduction.NONE) {
            return loss;
        }
        double s = 0;
        for (double l : loss) {
            s += l;
        }
        return new double[] {r == Reduction.MEAN ? s / denominator : s};
    }

    private static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** d sum(up * f(x)) / d x by central differences in double. */
    private static double[] differences(Function<double[], double[]> f, double[] x, float[] up) {
        double[] grad = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + H;
            double plus = dot(f.apply(x), up);
            x[i] = keep - H;
            double minus = dot(f.apply(x), up);
            x[i] = keep;
            grad[i] = (plus - minus) / (2 * H);
        }
        return grad;
    }

    /** Values and both gradients of {@code fused} against the naive loss, for every reduction. */
    private static void agreeWithNaive(String what, NaiveLoss naive, TriFunction fused) {
        agreeWithNaive(what, naive, fused, new int[] {7}, new int[] {3, 4}, new int[] {2, 3, 5});
    }

    private static void agreeWithNaive(String what, NaiveLoss naive, TriFunction fused, int[]... shapes) {
        Random rng = new Random(345);
        for (int[] dims : shapes) {
            for (Reduction r : Reduction.values()) {
                Tensor x = Tensor.randn(rng, dims).mul(2f).detach().requiresGrad(true);
                Tensor t = Tensor.rand(rng, dims).detach().requiresGrad(true);
                Tensor up = r == Reduction.NONE ? Tensor.randn(rng, dims) : Tensor.scalar(1.7f);
                List<float[]> got = valuesAndGrads(in -> fused.apply(in[0], in[1], r), up, x, t);
                double[] xs = toDouble(x);
                double[] ts = toDouble(t);
                int n = xs.length;
                String w = what + " " + x.shape() + " " + r;
                assertClose(reduce(naive.perElement(xs, ts), n, r), got.get(0), 1e-5, 1e-5, w + " loss");
                float[] u = up.toArray();
                assertClose(differences(v -> reduce(naive.perElement(v, ts), n, r), xs, u), got.get(1), 1e-5, 1e-4,
                        w + " dinput");
                assertClose(differences(v -> reduce(naive.perElement(xs, v), n, r), ts, u), got.get(2), 1e-5, 1e-4,
                        w + " dtarget");
            }
        }
    }

    @FunctionalInterface
    private interface TriFunction {
        Tensor apply(Tensor x, Tensor t, Reduction r);
    }

    private static NaiveLoss elementwise(java.util.function.DoubleBinaryOperator f) {
        return (x, t) -> {
            double[] l = new double[x.length];
            for (int i = 0; i < l.length; i++) {
                l[i] = f.applyAsDouble(x[i], t[i]);
            }
            return l;
        };
    }

    @Test
    void mseAgreesWithNaiveDouble() {
        agreeWithNaive("mseLoss", elementwise((x, t) -> (x - t) * (x - t)), Functional::mseLoss);
    }

    @Test
    void l1AgreesWithNaiveDouble() {
        agreeWithNaive("l1Loss", elementwise((x, t) -> Math.abs(x - t)), Functional::l1Loss);
    }

    @Test
    void smoothL1AgreesWithNaiveDouble() {
        double beta = 0.8;
        agreeWithNaive("smoothL1Loss", elementwise((x, t) -> Math.abs(x - t) < beta ? 0.5 * (x - t) * (x - t) / beta
                : Math.abs(x - t) - 0.5 * beta), (x, t, r) -> Functional.smoothL1Loss(x, t, r, beta));
    }

    @Test
    void binaryCrossEntropyWithLogitsAgreesWithNaiveDouble() {
        agreeWithNaive("binaryCrossEntropyWithLogits", elementwise((x, t) -> {
            double p = 1 / (1 + Math.exp(-x));
            return -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
        }), Functional::binaryCrossEntropyWithLogits);
    }

    @Test
    void binaryCrossEntropyWithPositiveWeightsAgreesWithNaiveDouble() {
        // One weight per class of the last dimension; the naive loss sees the flat index.
        for (int[] dims : new int[][] {{5}, {3, 5}, {2, 2, 5}}) {
            double[] pw = {0.5, 1, 2, 3.5, 0.25};
            Tensor posWeight = vec(0.5f, 1f, 2f, 3.5f, 0.25f);
            NaiveLoss naive = (x, t) -> {
                double[] l = new double[x.length];
                for (int i = 0; i < l.length; i++) {
                    double p = 1 / (1 + Math.exp(-x[i]));
                    l[i] = -(pw[i % 5] * t[i] * Math.log(p) + (1 - t[i]) * Math.log(1 - p));
                }
                return l;
            };
            agreeWithNaive("binaryCrossEntropyWithLogits posWeight " + java.util.Arrays.toString(dims), naive,
                    (x, t, r) -> Functional.binaryCrossEntropyWithLogits(x, t, posWeight, r), dims);
        }
    }

    @Test
    void l1GradientIsZeroWhereInputEqualsTarget() {
        Tensor x = vec(1f, 2f).requiresGrad(true);
        List<float[]> got = valuesAndGrads(in -> Functional.l1Loss(in[0], vec(1f, 3f), Reduction.SUM),
                Tensor.scalar(1f), x);
        assertArrayEquals(new float[] {0f, -1f}, got.get(1));
    }

    @Test
    void binaryCrossEntropyWithLogitsIsFiniteAtPlusMinus1000() {
        Tensor x = vec(1000f, -1000f, 1000f).requiresGrad(true);
        Tensor t = vec(1f, 0f, 0f);
        List<float[]> got = valuesAndGrads(in -> Functional.binaryCrossEntropyWithLogits(in[0], t, Reduction.NONE),
                vec(1f, 1f, 1f), x);
        assertArrayEquals(new float[] {0f, 0f, 1000f}, got.get(0));
        assertArrayEquals(new float[] {0f, 0f, 1f}, got.get(1));
    }

    // ------------------------------------------------------------ classification losses

    /**
     * PyTorch's documented cross-entropy with weights and smoothing, from probabilities:
     * {@code l_i = -sum_j w_j q_ij log p_ij} with {@code q = (1 - eps) onehot + eps / C}, 0 for an
     * ignored row; the mean's denominator is {@code sum w_y} over the rows not ignored.
     */
    private static double[] naiveCrossEntropy(double[] z, int[] labels, double[] w, int ignore, double eps,
                                              Reduction r) {
        int n = labels.length;
        int c = z.length / n;
        double[] loss = new double[n];
        double denominator = 0;
        for (int i = 0; i < n; i++) {
            if (labels[i] == ignore) {
                continue;
            }
            denominator += w[labels[i]];
            double total = 0;
            for (int j = 0; j < c; j++) {
                total += Math.exp(z[i * c + j]);
            }
            for (int j = 0; j < c; j++) {
                double q = (j == labels[i] ? 1 - eps : 0) + eps / c;
                loss[i] -= w[j] * q * Math.log(Math.exp(z[i * c + j]) / total);
            }
        }
        return reduce(loss, denominator, r);
    }

    private static double[] naiveNll(double[] x, int[] labels, double[] w, int ignore, Reduction r) {
        int n = labels.length;
        int c = x.length / n;
        double[] loss = new double[n];
        double denominator = 0;
        for (int i = 0; i < n; i++) {
            if (labels[i] != ignore) {
                denominator += w[labels[i]];
                loss[i] = -w[labels[i]] * x[i * c + labels[i]];
            }
        }
        return reduce(loss, denominator, r);
    }

    @Test
    void crossEntropyAndNllWithWeightsIgnoreIndexAndSmoothingAgreeWithNaiveDouble() {
        Random rng = new Random(345);
        int n = 9;
        int c = 4;
        for (int ignore : new int[] {-100, 2}) {
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                labels[i] = i % 3 == 0 ? ignore : rng.nextInt(c);
            }
            for (boolean weighted : new boolean[] {false, true}) {
                Tensor weight = weighted ? Tensor.rand(rng, c).add(0.5f) : null;
                double[] w = weighted ? toDouble(weight) : new double[] {1, 1, 1, 1};
                for (double eps : new double[] {0, 0.3}) {
                    for (Reduction r : Reduction.values()) {
                        Tensor z = Tensor.randn(rng, n, c).mul(2f).detach().requiresGrad(true);
                        Tensor up = r == Reduction.NONE ? Tensor.randn(rng, n) : Tensor.scalar(1.7f);
                        String what = "ignore " + ignore + " weighted " + weighted + " eps " + eps + " " + r;
                        List<float[]> ce = valuesAndGrads(
                                in -> Functional.crossEntropy(in[0], labels, weight, ignore, r, eps), up, z);
                        double[] zs = toDouble(z);
                        assertClose(naiveCrossEntropy(zs, labels, w, ignore, eps, r), ce.get(0), 1e-5, 1e-5,
                                "crossEntropy " + what);
                        assertClose(differences(v -> naiveCrossEntropy(v, labels, w, ignore, eps, r), zs,
                                up.toArray()), ce.get(1), 1e-5, 1e-4, "crossEntropy " + what + " dlogits");
                        if (eps == 0) {
                            List<float[]> nll = valuesAndGrads(
                                    in -> Functional.nllLoss(in[0], labels, weight, ignore, r), up, z);
                            assertClose(naiveNll(zs, labels, w, ignore, r), nll.get(0), 1e-5, 1e-5, "nllLoss " + what);
                            assertClose(differences(v -> naiveNll(v, labels, w, ignore, r), zs, up.toArray()),
                                    nll.get(1), 1e-5, 1e-4, "nllLoss " + what + " dinput");
                        }
                    }
                }
            }
        }
    }

    @Test
    void meanOverOnlyIgnoredRowsIsNaNAsInPyTorch() {
        Tensor z = Tensor.randn(new Random(345), 2, 3);
        assertTrue(Float.isNaN(Functional.crossEntropy(z, new int[] {-100, -100}, null, -100, Reduction.MEAN, 0).item()));
        assertEquals(0f, Functional.crossEntropy(z, new int[] {-100, -100}, null, -100, Reduction.SUM, 0).item());
        assertTrue(Float.isNaN(Functional.nllLoss(z, new int[] {-100, -100}, null, -100, Reduction.MEAN).item()));
    }

    @Test
    void nllOfLogSoftmaxIsCrossEntropy() {
        Tensor z = Tensor.randn(new Random(345), 5, 4);
        Tensor w = vec(0.5f, 1f, 2f, 1.5f);
        int[] labels = {0, 3, -1, 2, 1};
        for (Reduction r : Reduction.values()) {
            assertClose(Functional.crossEntropy(z, labels, w, -1, r, 0).toArray(),
                    Functional.nllLoss(Functional.logSoftmax(z, 1), labels, w, -1, r).toArray(), 1e-6, 1e-6, r.name());
        }
    }

    @Test
    void classificationLossesCopyLabelsAndWeights() {
        Tensor z = Tensor.randn(new Random(345), 2, 3).requiresGrad(true);
        int[] labels = {0, 2};
        Tensor w = vec(1f, 2f, 3f);
        List<float[]> before = valuesAndGrads(in -> Functional.crossEntropy(in[0], labels, w, -100, Reduction.MEAN,
                0.1), Tensor.scalar(1f), z);
        try (Tape tape = Tape.record()) {
            Tensor loss = Functional.crossEntropy(z, labels, w, -100, Reduction.MEAN, 0.1);
            labels[0] = 1;
            w.mulInPlace(0f);
            loss.backward();
        }
        assertArrayEquals(before.get(1), z.grad().toArray());
    }

    // ------------------------------------------------------------ gradcheck

    @Test
    void gradcheckEveryLossAndReduction() {
        Random rng = new Random(345);
        int[] labels = {2, 0, -100, 1};
        Tensor weight = vec(0.5f, 2f, 1.25f);
        for (Reduction r : Reduction.values()) {
            GradCheck.check("mseLoss " + r, in -> Functional.mseLoss(in[0], in[1], r), param(rng, 4, 3),
                    param(rng, 4, 3));
            // Away from the kinks of |d| (at 0) and of smooth L1 (at +-beta).
            Tensor x = Tensor.of(new float[] {1f, -2f, 0.3f, -0.6f, 3f, 0.1f}, 2, 3).requiresGrad(true);
            Tensor t = Tensor.of(new float[] {0f, 0f, 0f, 0f, 0f, 0.5f}, 2, 3).requiresGrad(true);
            GradCheck.check("l1Loss " + r, in -> Functional.l1Loss(in[0], in[1], r), x, t);
            GradCheck.check("smoothL1Loss " + r, in -> Functional.smoothL1Loss(in[0], in[1], r, 1.0), x, t);
            GradCheck.check("binaryCrossEntropyWithLogits " + r,
                    in -> Functional.binaryCrossEntropyWithLogits(in[0], in[1], r), param(rng, 4, 3),
                    Tensor.rand(rng, 4, 3).requiresGrad(true));
            GradCheck.check("binaryCrossEntropyWithLogits posWeight " + r,
                    in -> Functional.binaryCrossEntropyWithLogits(in[0], in[1], weight, r), param(rng, 4, 3),
                    Tensor.rand(rng, 4, 3).requiresGrad(true));
            GradCheck.check("nllLoss " + r, in -> Functional.nllLoss(in[0], labels, weight, -100, r), param(rng, 4, 3));
            GradCheck.check("crossEntropy weighted smoothed " + r,
                    in -> Functional.crossEntropy(in[0], labels, weight, -100, r, 0.2), param(rng, 4, 3));
        }
    }

    // ------------------------------------------------------------ errors

    @Test
    void targetOfAnotherShape() {
        assertEquals("mseLoss: target [3] does not match input [3, 1] (expected the same shape)",
                message(() -> Functional.mseLoss(Tensor.zeros(3, 1), Tensor.zeros(3), Reduction.MEAN)));
    }

    @Test
    void missingTarget() {
        assertEquals("l1Loss: target is null", message(() -> Functional.l1Loss(Tensor.zeros(3), null, Reduction.MEAN)));
    }

    @Test
    void missingInput() {
        assertEquals("binaryCrossEntropyWithLogits: input is null",
                message(() -> Functional.binaryCrossEntropyWithLogits(null, Tensor.zeros(3), Reduction.MEAN)));
    }

    @Test
    void missingReductionOfAnElementwiseLoss() {
        assertEquals("mseLoss: reduction is null",
                message(() -> Functional.mseLoss(Tensor.zeros(3), Tensor.zeros(3), null)));
    }

    @Test
    void negativeBeta() {
        assertEquals("smoothL1Loss: beta must be finite and >= 0, got -1.0",
                message(() -> Functional.smoothL1Loss(Tensor.zeros(3), Tensor.zeros(3), Reduction.MEAN, -1)));
    }

    @Test
    void positiveWeightOfWrongLength() {
        assertEquals("binaryCrossEntropyWithLogits: posWeight [2] does not match the last dimension of input [4, 3] "
                + "(expected [3])", message(() -> Functional.binaryCrossEntropyWithLogits(Tensor.zeros(4, 3),
                Tensor.zeros(4, 3), Tensor.zeros(2), Reduction.MEAN)));
    }

    @Test
    void weightOfWrongLength() {
        assertEquals("crossEntropy: weight [4] does not match the 5 classes of logits [3, 5] (expected [5])",
                message(() -> Functional.crossEntropy(Tensor.zeros(3, 5), new int[] {0, 1, 2}, Tensor.zeros(4), -100,
                        Reduction.MEAN, 0)));
    }

    @Test
    void classIndexOutOfRangeAndNotIgnored() {
        assertEquals("nllLoss: labels[1] = 9 is out of range [0, 3) for input [2, 3] and is not the ignore index -100",
                message(() -> Functional.nllLoss(Tensor.zeros(2, 3), new int[] {0, 9}, null, -100, Reduction.MEAN)));
    }

    @Test
    void nllInputNotTwoDimensional() {
        assertEquals("nllLoss: expected input [N, C], got [2, 3, 4]",
                message(() -> Functional.nllLoss(Tensor.zeros(2, 3, 4), new int[] {0, 1}, null, -100, Reduction.MEAN)));
    }

    @Test
    void nllWrongNumberOfLabels() {
        assertEquals("nllLoss: 1 labels do not match input [2, 3] (expected 2)",
                message(() -> Functional.nllLoss(Tensor.zeros(2, 3), new int[] {0}, null, -100, Reduction.SUM)));
    }
}
