package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.assertGolden;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** {@link Functional#adaptiveAvgPool2d}: PyTorch, naive loops, gradcheck, errors. */
class AdaptivePoolTest {

    @Test
    void matchesPyTorch() throws Exception {
        SafeTensors g = FunctionalTest.golden("adaptive_avg_pool2d");
        int cases = Integer.parseInt(g.metadata().get("cases"));
        assertEquals(5, cases);
        for (int k = 0; k < cases; k++) {
            String[] out = g.metadata().get(k + ".out").split("x");
            Tensor x = g.tensor(k + ".x").requiresGrad(true);
            try (Tape tape = Tape.record()) {
                Tensor y = Functional.adaptiveAvgPool2d(x, Integer.parseInt(out[0]), Integer.parseInt(out[1]));
                assertEquals(g.shape(k + ".y"), y.shape(), "case " + k);
                assertGolden(g.tensor(k + ".y"), y, "case " + k + " y");
                y.backward(g.tensor(k + ".dy"));
            }
            assertGolden(g.tensor(k + ".dx"), x.grad(), "case " + k + " dx");
        }
    }

    /**
     * The windows from the definition, in doubles: rows {@code floor(i H / OH)} to
     * {@code ceil((i + 1) H / OH)}, columns alike.
     */
    private static double[][] naive(float[] x, float[] dy, int planes, int h, int w, int oh, int ow) {
        double[] y = new double[planes * oh * ow];
        double[] dx = new double[x.length];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                int r0 = (int) Math.floor((double) i * h / oh);
                int r1 = (int) Math.ceil((double) (i + 1) * h / oh);
                for (int j = 0; j < ow; j++) {
                    int c0 = (int) Math.floor((double) j * w / ow);
                    int c1 = (int) Math.ceil((double) (j + 1) * w / ow);
                    int o = (p * oh + i) * ow + j;
                    int count = (r1 - r0) * (c1 - c0);
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) {
                            y[o] += x[(p * h + r) * w + c] / (double) count;
                            dx[(p * h + r) * w + c] += dy[o] / count;
                        }
                    }
                }
            }
        }
        return new double[][] {y, dx};
    }

    @Test
    void agreesWithNaiveLoops() {
        Random rng = new Random(345);
        // N, C, H, W, OH, OW
        int[][] cases = {{2, 3, 3, 3, 1, 1}, {1, 2, 7, 7, 7, 7}, {2, 1, 13, 11, 5, 3}, {1, 1, 2, 3, 7, 5},
            {3, 2, 96, 96, 6, 10}, {1, 1, 1, 1, 2, 2}};
        for (int[] c : cases) {
            Tensor x = Tensor.randn(rng, c[0], c[1], c[2], c[3]).requiresGrad(true);
            Tensor dy = Tensor.randn(rng, c[0], c[1], c[4], c[5]);
            double[][] want = naive(x.toArray(), dy.toArray(), c[0] * c[1], c[2], c[3], c[4], c[5]);
            List<float[]> got = valuesAndGrads(t -> Functional.adaptiveAvgPool2d(t[0], c[4], c[5]), dy, x);
            String what = "adaptiveAvgPool2d " + java.util.Arrays.toString(c);
            assertClose(want[0], got.get(0), 1e-6, 1e-5, what + " y");
            assertClose(want[1], got.get(1), 1e-6, 1e-5, what + " dx");
        }
    }

    @Test
    void globalPoolingIsThePlaneMean() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}, 1, 2, 2, 3);
        Tensor y = Functional.adaptiveAvgPool2d(x, 1, 1);
        assertEquals(Shape.of(1, 2, 1, 1), y.shape());
        assertArrayEquals(new float[] {3.5f, 35f}, y.toArray());
    }

    @Test
    void passesGradcheck() {
        Random rng = new Random(345);
        GradCheck.check("adaptiveAvgPool2d 1x1", t -> Functional.adaptiveAvgPool2d(t[0], 1, 1),
                Tensor.randn(rng, 2, 3, 4, 5).requiresGrad(true));
        GradCheck.check("adaptiveAvgPool2d 3x2 of 7x5 (overlapping)", t -> Functional.adaptiveAvgPool2d(t[0], 3, 2),
                Tensor.randn(rng, 1, 2, 7, 5).requiresGrad(true));
        GradCheck.check("adaptiveAvgPool2d 5x4 of 3x2 (repeating)", t -> Functional.adaptiveAvgPool2d(t[0], 5, 4),
                Tensor.randn(rng, 1, 1, 3, 2).requiresGrad(true));
    }

    @Test
    void errors() {
        assertEquals("adaptiveAvgPool2d: expected a 4-D input [N, C, H, W], got [2, 3, 4]",
                message(() -> Functional.adaptiveAvgPool2d(Tensor.zeros(2, 3, 4), 1, 1)));
        assertEquals("adaptiveAvgPool2d: output size must be positive, got 0x1",
                message(() -> Functional.adaptiveAvgPool2d(Tensor.zeros(1, 1, 4, 4), 0, 1)));
        assertEquals("adaptiveAvgPool2d: output size must be positive, got 2x-1",
                message(() -> Functional.adaptiveAvgPool2d(Tensor.zeros(1, 1, 4, 4), 2, -1)));
        assertEquals("adaptiveAvgPool2d: input [1, 1, 0, 4] has an empty plane, expected H and W of at least 1",
                message(() -> Functional.adaptiveAvgPool2d(Tensor.zeros(1, 1, 0, 4), 1, 1)));
    }
}
