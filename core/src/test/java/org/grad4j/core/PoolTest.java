package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.assertGolden;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** {@link Functional#maxPool2d} and {@link Functional#avgPool2d}: PyTorch, naive loops, gradcheck. */
class PoolTest {

    /** Distinct values 0.1 apart in random order: no ties, and a step of 1e-2 never reorders them. */
    private static Tensor distinct(Random rng, int... dims) {
        int n = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i - n / 2) * 0.1f;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return Tensor.of(v, dims).requiresGrad(true);
    }

    // ------------------------------------------------------------------ 1. PyTorch

    @Test
    void maxPoolMatchesPyTorch() throws Exception {
        SafeTensors g = FunctionalTest.golden("maxpool2d_k2s2");
        int k = Integer.parseInt(g.metadata().get("kernel"));
        int s = Integer.parseInt(g.metadata().get("stride"));
        int p = Integer.parseInt(g.metadata().get("padding"));
        Tensor x = g.tensor("x").requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = Functional.maxPool2d(x, k, s, p);
            assertEquals(g.shape("y"), y.shape());
            assertGolden(g.tensor("y"), y, "y");
            y.backward(g.tensor("dy"));
        }
        assertGolden(g.tensor("dx"), x.grad(), "dx");
    }

    // ------------------------------------------------------------------ 2. naive loops

    /** N, C, H, W, kernel, stride, padding. */
    private static final int[][] CASES = {
        {2, 3, 8, 8, 2, 2, 0},
        {1, 1, 7, 5, 3, 2, 1},
        {2, 2, 5, 6, 3, 1, 1},
        {3, 1, 9, 9, 3, 3, 0},
        {1, 4, 4, 7, 1, 1, 0},
        {2, 1, 6, 6, 4, 2, 2},
        {1, 2, 1, 1, 1, 1, 0},
        {1, 2, 3, 3, 3, 2, 1},
        {2, 3, 11, 10, 5, 3, 2},
    };

    private static int out(int size, int k, int s, int p) {
        return (size + 2 * p - k) / s + 1;
    }

    /** Max pooling by the definition, with the gradient routed to the (unique) maximum. */
    private static double[][] naiveMax(float[] x, float[] dy, int[] c) {
        int planes = c[0] * c[1];
        int h = c[2];
        int w = c[3];
        int k = c[4];
        int s = c[5];
        int p = c[6];
        int oh = out(h, k, s, p);
        int ow = out(w, k, s, p);
        double[] y = new double[planes * oh * ow];
        double[] dx = new double[x.length];
        for (int pl = 0; pl < planes; pl++) {
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) {
                    double best = Double.NEGATIVE_INFINITY;
                    int arg = -1;
                    for (int u = 0; u < k; u++) {
                        for (int v = 0; v < k; v++) {
                            int ih = r * s - p + u;
                            int iw = q * s - p + v;
                            if (ih >= 0 && ih < h && iw >= 0 && iw < w && x[(pl * h + ih) * w + iw] > best) {
                                best = x[(pl * h + ih) * w + iw];
                                arg = (pl * h + ih) * w + iw;
                            }
                        }
                    }
                    int o = (pl * oh + r) * ow + q;
                    y[o] = best;
                    dx[arg] += dy[o];
                }
            }
        }
        return new double[][] {y, dx};
    }

    /** Average pooling with the zero padding counted (every window divides by k*k in floor mode). */
    private static double[][] naiveAvg(float[] x, float[] dy, int[] c) {
        int planes = c[0] * c[1];
        int h = c[2];
        int w = c[3];
        int k = c[4];
        int s = c[5];
        int p = c[6];
        int oh = out(h, k, s, p);
        int ow = out(w, k, s, p);
        double[] y = new double[planes * oh * ow];
        double[] dx = new double[x.length];
        for (int pl = 0; pl < planes; pl++) {
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) {
                    int o = (pl * oh + r) * ow + q;
                    double sum = 0;
                    for (int u = 0; u < k; u++) {
                        for (int v = 0; v < k; v++) {
                            int ih = r * s - p + u;
                            int iw = q * s - p + v;
                            if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                sum += x[(pl * h + ih) * w + iw];
                                dx[(pl * h + ih) * w + iw] += dy[o] / (k * k);
                            }
                        }
                    }
                    y[o] = sum / (k * k);
                }
            }
        }
        return new double[][] {y, dx};
    }

    @Test
    void maxPoolAgreesWithNaiveLoops() {
        Random rng = new Random(345);
        for (int[] c : CASES) {
            Tensor x = distinct(rng, c[0], c[1], c[2], c[3]);
            Tensor dy = Tensor.randn(rng, c[0], c[1], out(c[2], c[4], c[5], c[6]), out(c[3], c[4], c[5], c[6]));
            List<float[]> got = valuesAndGrads(t -> Functional.maxPool2d(t[0], c[4], c[5], c[6]), dy, x);
            double[][] want = naiveMax(x.toArray(), dy.toArray(), c);
            assertClose(want[0], got.get(0), 0, 0, "maxPool2d " + Arrays.toString(c) + " y");
            assertClose(want[1], got.get(1), 1e-6, 1e-6, "maxPool2d " + Arrays.toString(c) + " dx");
        }
    }

    @Test
    void avgPoolAgreesWithNaiveLoops() {
        Random rng = new Random(345);
        for (int[] c : CASES) {
            Tensor x = Tensor.randn(rng, c[0], c[1], c[2], c[3]).requiresGrad(true);
            Tensor dy = Tensor.randn(rng, c[0], c[1], out(c[2], c[4], c[5], c[6]), out(c[3], c[4], c[5], c[6]));
            List<float[]> got = valuesAndGrads(t -> Functional.avgPool2d(t[0], c[4], c[5], c[6]), dy, x);
            double[][] want = naiveAvg(x.toArray(), dy.toArray(), c);
            assertClose(want[0], got.get(0), 1e-6, 1e-5, "avgPool2d " + Arrays.toString(c) + " y");
            assertClose(want[1], got.get(1), 1e-6, 1e-5, "avgPool2d " + Arrays.toString(c) + " dx");
        }
    }

    @Test
    void bothAgreeWithNaiveLoopsOnRandomGeometries() {
        Random rng = new Random(345);
        int done = 0;
        while (done < 40) {
            int k = 1 + rng.nextInt(4);
            int[] c = {1 + rng.nextInt(3), 1 + rng.nextInt(3), 1 + rng.nextInt(9), 1 + rng.nextInt(9), k,
                1 + rng.nextInt(3), rng.nextInt(k / 2 + 1)};
            if (c[2] + 2 * c[6] < k || c[3] + 2 * c[6] < k) {
                continue;
            }
            done++;
            String what = Arrays.toString(c);
            Tensor dy = Tensor.randn(rng, c[0], c[1], out(c[2], k, c[5], c[6]), out(c[3], k, c[5], c[6]));
            Tensor x = distinct(rng, c[0], c[1], c[2], c[3]);
            List<float[]> got = valuesAndGrads(t -> Functional.maxPool2d(t[0], k, c[5], c[6]), dy, x);
            double[][] want = naiveMax(x.toArray(), dy.toArray(), c);
            assertClose(want[0], got.get(0), 0, 0, "maxPool2d " + what + " y");
            assertClose(want[1], got.get(1), 1e-6, 1e-6, "maxPool2d " + what + " dx");
            got = valuesAndGrads(t -> Functional.avgPool2d(t[0], k, c[5], c[6]), dy, x);
            want = naiveAvg(x.toArray(), dy.toArray(), c);
            assertClose(want[0], got.get(0), 1e-6, 1e-5, "avgPool2d " + what + " y");
            assertClose(want[1], got.get(1), 1e-6, 1e-5, "avgPool2d " + what + " dx");
        }
    }

    /**
     * The 2x2, stride 2 kernels through the tensor API, recorded and not, on widths around the
     * vector length (odd sizes drop the last row or column), with ties, signed zeros and NaNs.
     */
    @Test
    void maxPool2x2AgreesWithNaiveLoopsOnAwkwardValuesAndWidths() {
        Random rng = new Random(7);
        int[] sizes = {2, 3, 6, 14, 18, 25, 34, 46, 47};
        for (int h : new int[] {2, 5, 14}) {
            for (int w : sizes) {
                int[] c = {2, 3, h, w, 2, 2, 0};
                float[] v = new float[2 * 3 * h * w];
                for (int i = 0; i < v.length; i++) {
                    int k = rng.nextInt(12);
                    v[i] = k == 0 ? -0f : k == 1 ? 0f : k == 2 ? Float.NaN : k < 8 ? rng.nextInt(3) : rng.nextFloat();
                }
                Tensor x = Tensor.of(v, 2, 3, h, w).requiresGrad(true);
                Tensor dy = Tensor.randn(rng, 2, 3, h / 2, w / 2);
                String what = "maxPool2d 2x2 " + h + "x" + w;
                float[] eval = Functional.maxPool2d(x, 2, 2, 0).toArray();
                List<float[]> got = valuesAndGrads(t -> Functional.maxPool2d(t[0], 2, 2, 0), dy, x);
                float[] dys = dy.toArray();
                float[] dx = new float[v.length];
                int o = 0;
                for (int p = 0; p < 6; p++) {
                    for (int r = 0; r < h / 2; r++) {
                        for (int q = 0; q < w / 2; q++, o++) {
                            // The first NaN, else the first maximum in row-major order (-0 == +0).
                            int best = -1;
                            for (int u = 0; u < 2; u++) {
                                for (int s = 0; s < 2; s++) {
                                    int i = (p * h + 2 * r + u) * w + 2 * q + s;
                                    if (best < 0 || !Float.isNaN(v[best]) && (Float.isNaN(v[i]) || v[i] > v[best])) {
                                        best = i;
                                    }
                                }
                            }
                            int bits = Float.floatToIntBits(v[best]);
                            assertEquals(bits, Float.floatToIntBits(eval[o]), what + " eval " + o);
                            assertEquals(bits, Float.floatToIntBits(got.get(0)[o]), what + " y " + o);
                            dx[best] += dys[o];
                        }
                    }
                }
                assertArrayEquals(dx, got.get(1), what + " dx");
            }
        }
    }

    @Test
    void maxPoolPaddingNeverWinsEvenOverNegativeValues() {
        Tensor x = Tensor.full(-5f, 1, 1, 3, 3);
        Tensor y = Functional.maxPool2d(x, 3, 1, 1);
        for (float v : y.toArray()) {
            assertEquals(-5f, v);
        }
    }

    @Test
    void maxPoolTiesGoToTheFirstElementAndNanPropagates() {
        Tensor x = Tensor.of(new float[] {1, 1, 1, 1, 2, Float.NaN, 0, 0}, 1, 2, 2, 2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = Functional.maxPool2d(x, 2, 2, 0);
            assertEquals(1f, y.toArray()[0]);
            assertTrue(Float.isNaN(y.toArray()[1]), "NaN wins");
            y.backward(Tensor.of(new float[] {3, 4}, 1, 2, 1, 1));
        }
        assertArrayEquals(new float[] {3, 0, 0, 0, 0, 4, 0, 0}, x.grad().toArray());
    }

    @Test
    void avgPoolCountsThePadding() {
        // A 2x2 of ones, kernel 3, padding 1: each window holds 4 ones out of 9 cells.
        Tensor y = Functional.avgPool2d(Tensor.ones(1, 1, 2, 2), 3, 1, 1);
        assertArrayEquals(new float[] {4f / 9, 4f / 9, 4f / 9, 4f / 9}, y.toArray());
    }

    // ------------------------------------------------------------------ 3. gradcheck

    @Test
    void maxPoolPassesGradcheck() {
        Random rng = new Random(345);
        GradCheck.check("maxPool2d k2 s2", t -> Functional.maxPool2d(t[0], 2, 2, 0), distinct(rng, 2, 2, 4, 4));
        GradCheck.check("maxPool2d k3 s2 p1", t -> Functional.maxPool2d(t[0], 3, 2, 1), distinct(rng, 1, 2, 5, 6));
        GradCheck.check("maxPool2d k3 s1 (overlapping)", t -> Functional.maxPool2d(t[0], 3, 1, 0),
                distinct(rng, 2, 1, 5, 5));
    }

    @Test
    void avgPoolPassesGradcheck() {
        Random rng = new Random(345);
        GradCheck.check("avgPool2d k2 s2", t -> Functional.avgPool2d(t[0], 2, 2, 0),
                Tensor.randn(rng, 2, 2, 4, 5).requiresGrad(true));
        GradCheck.check("avgPool2d k3 s2 p1", t -> Functional.avgPool2d(t[0], 3, 2, 1),
                Tensor.randn(rng, 1, 2, 5, 6).requiresGrad(true));
    }

    // ------------------------------------------------------------------ errors

    @Test
    void paddingAboveHalfTheKernel() {
        assertEquals("maxPool2d: pad should be at most half of kernel size, but got padding = 2 and kernel = 3 "
                        + "(input [1, 1, 8, 8])",
                message(() -> Functional.maxPool2d(Tensor.zeros(1, 1, 8, 8), 3, 1, 2)));
    }

    @Test
    void avgPoolPaddingAboveHalfTheKernel() {
        assertEquals("avgPool2d: pad should be at most half of kernel size, but got padding = 1 and kernel = 1 "
                        + "(input [1, 1, 8, 8])",
                message(() -> Functional.avgPool2d(Tensor.zeros(1, 1, 8, 8), 1, 1, 1)));
    }

    @Test
    void inputNotFourDimensional() {
        assertEquals("maxPool2d: expected a 4-D input [N, C, H, W], got [3, 8, 8]",
                message(() -> Functional.maxPool2d(Tensor.zeros(3, 8, 8), 2, 2, 0)));
    }

    @Test
    void kernelBelowOne() {
        assertEquals("maxPool2d: kernel size must be positive, got 0",
                message(() -> Functional.maxPool2d(Tensor.zeros(1, 1, 8, 8), 0, 1, 0)));
    }

    @Test
    void strideBelowOne() {
        assertEquals("avgPool2d: stride must be positive, got 0",
                message(() -> Functional.avgPool2d(Tensor.zeros(1, 1, 8, 8), 2, 0, 0)));
    }

    @Test
    void negativePadding() {
        assertEquals("maxPool2d: padding must be non-negative, got -1",
                message(() -> Functional.maxPool2d(Tensor.zeros(1, 1, 8, 8), 2, 2, -1)));
    }

    @Test
    void kernelLargerThanThePaddedInput() {
        assertEquals("maxPool2d: input [1, 1, 2, 5] padded by 0 is 2x5, smaller than the kernel 3x3",
                message(() -> Functional.maxPool2d(Tensor.zeros(1, 1, 2, 5), 3, 1, 0)));
    }
}
