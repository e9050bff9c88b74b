package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.assertGolden;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.param;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** {@link Functional#linear}: PyTorch's values, a naive double oracle, gradcheck, the composed op. */
class LinearTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    @Test
    void matchesPyTorch() throws Exception {
        SafeTensors g = FunctionalTest.golden("linear");
        Tensor x = g.tensor("x").requiresGrad(true);
        Tensor w = g.tensor("w").requiresGrad(true);
        Tensor b = g.tensor("b").requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = Functional.linear(x, w, b);
            assertGolden(g.tensor("y"), y, "y");
            y.backward(g.tensor("dy"));
        }
        assertGolden(g.tensor("dx"), x.grad(), "dx");
        assertGolden(g.tensor("dw"), w.grad(), "dw");
        assertGolden(g.tensor("db"), b.grad(), "db");
    }

    /** y[i][o] = b[o] + sum_k x[i][k] w[o][k], and its three gradients, in double. */
    private static double[][] naive(float[] x, float[] w, float[] b, float[] dy, int n, int in, int out) {
        double[] y = new double[n * out];
        double[] dx = new double[n * in];
        double[] dw = new double[out * in];
        double[] db = new double[out];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int k = 0; k < in; k++) {
                    s += (double) x[i * in + k] * w[o * in + k];
                    dx[i * in + k] += (double) dy[i * out + o] * w[o * in + k];
                    dw[o * in + k] += (double) dy[i * out + o] * x[i * in + k];
                }
                y[i * out + o] = s;
                db[o] += dy[i * out + o];
            }
        }
        return new double[][] {y, dx, dw, db};
    }

    @Test
    void agreesWithNaiveLoopsOnRandomShapes() {
        Random rng = new Random(345);
        int[][] shapes = {{1, 1, 1}, {1, 7, 3}, {5, 7, 3}, {33, 17, 15}, {4, 64, 1}, {2, 3, 40}};
        for (int[] s : shapes) {
            for (boolean withBias : new boolean[] {true, false}) {
                int n = s[0];
                int in = s[1];
                int out = s[2];
                Tensor x = param(rng, n, in);
                Tensor w = param(rng, out, in);
                Tensor b = withBias ? param(rng, out) : null;
                Tensor dy = Tensor.randn(rng, n, out);
                List<float[]> got = withBias
                        ? valuesAndGrads(t -> Functional.linear(t[0], t[1], t[2]), dy, x, w, b)
                        : valuesAndGrads(t -> Functional.linear(t[0], t[1], null), dy, x, w);
                double[][] want = naive(x.toArray(), w.toArray(), withBias ? b.toArray() : null, dy.toArray(),
                        n, in, out);
                String what = "linear " + n + "x" + in + "->" + out + (withBias ? "" : " no bias");
                assertClose(want[0], got.get(0), 1e-4, 1e-4, what + " y");
                assertClose(want[1], got.get(1), 1e-4, 1e-4, what + " dx");
                assertClose(want[2], got.get(2), 1e-4, 1e-4, what + " dw");
                if (withBias) {
                    assertClose(want[3], got.get(3), 1e-4, 1e-4, what + " db");
                }
            }
        }
    }

    @Test
    void leadingDimensionsAreBatchDimensions() {
        Random rng = new Random(345);
        Tensor x = param(rng, 2, 3, 5);
        Tensor w = param(rng, 4, 5);
        Tensor b = param(rng, 4);
        Tensor y = Functional.linear(x, w, b);
        assertEquals(Shape.of(2, 3, 4), y.shape());
        Tensor flat = Functional.linear(x.reshape(6, 5), w, b);
        assertClose(flat.toArray(), y.toArray(), 0, 0, "[2, 3, 5] as [6, 5]");
        assertEquals(Shape.of(4), Functional.linear(Tensor.randn(rng, 5), w, b).shape());
    }

    @Test
    void passesGradcheck() {
        Random rng = new Random(345);
        GradCheck.check("linear", t -> Functional.linear(t[0], t[1], t[2]),
                param(rng, 4, 5), param(rng, 3, 5), param(rng, 3));
        GradCheck.check("linear (no bias)", t -> Functional.linear(t[0], t[1], null),
                param(rng, 2, 3, 5), param(rng, 3, 5));
        GradCheck.check("linear (x only)", t -> Functional.linear(t[0], t[1], t[2]),
                param(rng, 4, 5), Tensor.randn(rng, 3, 5), Tensor.randn(rng, 3));
    }

    @Test
    void agreesWithMatmulPlusBroadcastAdd() {
        Random rng = new Random(345);
        Tensor x = param(rng, 6, 9);
        Tensor w = param(rng, 4, 9);
        Tensor b = param(rng, 4);
        Tensor dy = Tensor.randn(rng, 6, 4);
        List<float[]> fused = valuesAndGrads(t -> Functional.linear(t[0], t[1], t[2]), dy, x, w, b);
        List<float[]> composed = valuesAndGrads(t -> t[0].matmul(t[1].transpose()).add(t[2]), dy, x, w, b);
        String[] names = {"y", "dx", "dw", "db"};
        for (int i = 0; i < names.length; i++) {
            assertClose(composed.get(i), fused.get(i), ATOL, RTOL, "linear vs matmul+add: " + names[i]);
        }
    }

    @Test
    void inputOfTheWrongWidth() {
        assertEquals("linear: input [32, 256] does not match in_features 7056",
                message(() -> Functional.linear(Tensor.zeros(32, 256), Tensor.zeros(120, 7056), null)));
    }

    @Test
    void scalarInput() {
        assertEquals("linear: input [] does not match in_features 3",
                message(() -> Functional.linear(Tensor.scalar(1), Tensor.zeros(2, 3), null)));
    }

    @Test
    void weightNotTwoDimensional() {
        assertEquals("linear: expected a 2-D weight [out_features, in_features], got [3]",
                message(() -> Functional.linear(Tensor.zeros(2, 3), Tensor.zeros(3), null)));
    }

    @Test
    void biasOfTheWrongSize() {
        assertEquals("linear: bias [4] does not match out_features 3 (weight [3, 7])",
                message(() -> Functional.linear(Tensor.zeros(5, 7), Tensor.zeros(3, 7), Tensor.zeros(4))));
    }
}
