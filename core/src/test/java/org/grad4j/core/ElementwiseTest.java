package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.BinaryOperator;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import java.util.stream.Stream;

class ElementwiseTest {
    /** Shape pairs covering equal shapes, scalars, trailing and leading broadcasts, both sides stretched. */
    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(new int[] {2, 3}, new int[] {2, 3}),
                Arguments.of(new int[] {2, 3}, new int[] {3}),
                Arguments.of(new int[] {3}, new int[] {2, 3}),
                Arguments.of(new int[] {2, 3}, new int[] {}),
                Arguments.of(new int[] {}, new int[] {4}),
                Arguments.of(new int[] {4, 1, 3}, new int[] {2, 1}),
                Arguments.of(new int[] {2, 3, 1, 5}, new int[] {1, 3, 4, 1}),
                Arguments.of(new int[] {1, 3, 1, 1}, new int[] {2, 3, 2, 2}),
                Arguments.of(new int[] {5}, new int[] {1}));
    }

    private static Tensor input(long seed, int[] dims, float lo, float hi) {
        Tensor t = Tensor.rand(new Random(seed), dims);
        return t.mul(hi - lo).add(lo).requiresGrad(true);
    }

    private static void checkBinary(String op, int[] da, int[] db, BinaryOperator<Tensor> f, DoubleBinaryOperator oracle,
                                    float lo, float hi) {
        Tensor a = input(345, da, lo, hi);
        Tensor b = input(346, db, lo, hi);
        Tensor y = f.apply(a, b);
        Shape expected = Shape.broadcast(op, a.shape(), b.shape());
        assertEquals(expected, y.shape());
        Naive.assertClose(Naive.binary(a, b, expected.dims(), oracle), y, 1e-6, 1e-6);
        GradCheck.check(op, in -> f.apply(in[0], in[1]), a, b);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void add(int[] da, int[] db) {
        checkBinary("add", da, db, Tensor::add, Double::sum, -2, 2);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void sub(int[] da, int[] db) {
        checkBinary("sub", da, db, Tensor::sub, (x, y) -> x - y, -2, 2);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void mul(int[] da, int[] db) {
        checkBinary("mul", da, db, Tensor::mul, (x, y) -> x * y, -2, 2);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void div(int[] da, int[] db) {
        checkBinary("div", da, db, Tensor::div, (x, y) -> x / y, 0.5f, 2);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void maximum(int[] da, int[] db) {
        // a in [-2, -0.2], b in [0.2, 2] for one half, then swapped: no ties within the step.
        Tensor a = Tensor.rand(new Random(345), da).mul(4).sub(2);
        Tensor b = Tensor.rand(new Random(346), db).mul(4).sub(2);
        a = nudge(a);
        b = nudge(b).add(0.05f);
        Tensor y = a.maximum(b);
        Naive.assertClose(Naive.binary(a, b, y.shape().dims(), Math::max), y, 0, 0);
        a.requiresGrad(true);
        b.requiresGrad(true);
        GradCheck.check("maximum", GradCheck.Options.DEFAULT.withStep(1e-3), in -> in[0].maximum(in[1]), a, b);
    }

    /** Rounds to a grid of 0.1 so that values of two tensors differ by 0 or at least 0.05 after a shift. */
    private static Tensor nudge(Tensor t) {
        float[] v = t.toArray();
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.round(v[i] * 10) / 10f;
        }
        return Tensor.of(v, t.shape().dims());
    }

    @Test
    void maximumSplitsTiesAndPropagatesNaN() {
        Tensor a = Tensor.of(new float[] {1, 2, Float.NaN}).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {1, 3, 0}).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = a.maximum(b);
            assertTrue(Float.isNaN(y.get(2)));
            y.sum().backward();
        }
        assertEquals(0.5f, a.grad().get(0));
        assertEquals(0.5f, b.grad().get(0));
        assertEquals(0f, a.grad().get(1));
        assertEquals(1f, b.grad().get(1));
    }

    static Stream<Arguments> unaryOps() {
        return Stream.of(
                Arguments.of("exp", (UnaryOperator<Tensor>) Tensor::exp, (DoubleUnaryOperator) Math::exp, -2f, 2f),
                Arguments.of("log", (UnaryOperator<Tensor>) Tensor::log, (DoubleUnaryOperator) Math::log, 0.5f, 3f),
                Arguments.of("sqrt", (UnaryOperator<Tensor>) Tensor::sqrt, (DoubleUnaryOperator) Math::sqrt, 0.5f, 3f),
                Arguments.of("square", (UnaryOperator<Tensor>) Tensor::square, (DoubleUnaryOperator) x -> x * x, -2f, 2f),
                Arguments.of("pow", (UnaryOperator<Tensor>) t -> t.pow(2.5f),
                        (DoubleUnaryOperator) x -> Math.pow(x, 2.5), 0.5f, 2f),
                Arguments.of("sigmoid", (UnaryOperator<Tensor>) Tensor::sigmoid,
                        (DoubleUnaryOperator) x -> 1 / (1 + Math.exp(-x)), -4f, 4f),
                Arguments.of("tanh", (UnaryOperator<Tensor>) Tensor::tanh, (DoubleUnaryOperator) Math::tanh, -3f, 3f),
                Arguments.of("gelu", (UnaryOperator<Tensor>) Tensor::gelu, (DoubleUnaryOperator) x -> x * normalCdf(x),
                        -4f, 4f),
                Arguments.of("abs", (UnaryOperator<Tensor>) Tensor::abs, (DoubleUnaryOperator) Math::abs, 0.2f, 2f),
                Arguments.of("abs", (UnaryOperator<Tensor>) Tensor::abs, (DoubleUnaryOperator) Math::abs, -2f, -0.2f),
                Arguments.of("neg", (UnaryOperator<Tensor>) Tensor::neg, (DoubleUnaryOperator) x -> -x, -2f, 2f),
                Arguments.of("add", (UnaryOperator<Tensor>) t -> t.add(1.5f), (DoubleUnaryOperator) x -> x + 1.5, -2f, 2f),
                Arguments.of("sub", (UnaryOperator<Tensor>) t -> t.sub(1.5f), (DoubleUnaryOperator) x -> x - 1.5, -2f, 2f),
                Arguments.of("mul", (UnaryOperator<Tensor>) t -> t.mul(-3f), (DoubleUnaryOperator) x -> -3 * x, -2f, 2f),
                Arguments.of("div", (UnaryOperator<Tensor>) t -> t.div(4f), (DoubleUnaryOperator) x -> x / 4, -2f, 2f));
    }

    /**
     * The normal CDF by Simpson's rule over the density (an oracle independent of the erfc the
     * library uses): {@code 1/2 + integral_0^x phi} for {@code x >= 0}, and the tail
     * {@code integral_|x|^(|x|+15) phi} directly for {@code x < 0} (no cancellation).
     */
    static double normalCdf(double x) {
        return x >= 0 ? 0.5 + simpson(0, x) : simpson(-x, -x + 15);
    }

    private static double simpson(double from, double to) {
        int n = 4000;
        double h = (to - from) / n;
        double s = 0;
        for (int i = 0; i <= n; i++) {
            double t = from + i * h;
            double w = i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2;
            s += w * Math.exp(-t * t / 2);
        }
        return s * h / 3 / Math.sqrt(2 * Math.PI);
    }

    @Test
    void geluInTheTailsAgainstTheOracle() {
        float[] v = {-9f, -6f, -5f, -3.5f, -2.2f, 0f, 1e-4f, 2.2f, 3.5f, 6f, 9f};
        Tensor y = Tensor.of(v).gelu();
        for (int i = 0; i < v.length; i++) {
            double expected = v[i] * normalCdf(v[i]);
            assertEquals(expected, y.get(i), 1e-6 * Math.abs(expected) + 1e-30, "gelu(" + v[i] + ")");
        }
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void powWithATensorExponent(int[] da, int[] db) {
        checkBinary("pow", da, db, Tensor::pow, Math::pow, 0.5f, 2f);
    }

    @Test
    void powGradientsAtZeroFollowPyTorch() {
        Tensor a = Tensor.of(new float[] {0, 0, 2}).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {2, 0, 0}).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            a.pow(b).sum().backward();
        }
        // d/da 0^2 = 0, none to the base where b = 0, none to the exponent where a = 0 and b >= 0.
        assertArrayEquals(new float[] {0, 0, 0}, a.grad().toArray());
        assertArrayEquals(new float[] {0, 0, (float) Math.log(2)}, b.grad().toArray());
    }

    @Test
    void powOfZeroHasAZeroGradientEvenAtZero() {
        // 0 * 0^(0-1) would be 0 * inf = NaN; x^0 is a constant (PyTorch gives 0).
        Tensor x = Tensor.of(new float[] {0, 2}).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            x.pow(0f).sum().backward();
        }
        assertArrayEquals(new float[] {0, 0}, x.grad().toArray());
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void minimum(int[] da, int[] db) {
        Tensor a = nudge(Tensor.rand(new Random(345), da).mul(4).sub(2));
        Tensor b = nudge(Tensor.rand(new Random(346), db).mul(4).sub(2)).add(0.05f);
        Tensor y = a.minimum(b);
        Naive.assertClose(Naive.binary(a, b, y.shape().dims(), Math::min), y, 0, 0);
        a.requiresGrad(true);
        b.requiresGrad(true);
        GradCheck.check("minimum", GradCheck.Options.DEFAULT.withStep(1e-3), in -> in[0].minimum(in[1]), a, b);
    }

    @Test
    void minimumSplitsTiesAndPropagatesNaN() {
        Tensor a = Tensor.of(new float[] {1, 2, Float.NaN}).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {1, 3, 0}).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = a.minimum(b);
            assertTrue(Float.isNaN(y.get(2)));
            y.sum().backward();
        }
        assertArrayEquals(new float[] {0.5f, 1, 0}, a.grad().toArray());
        assertArrayEquals(new float[] {0.5f, 0, 0}, b.grad().toArray());
    }

    @Test
    void clampValuesAndGradient() {
        // On a grid of 0.1 shifted by 0.05: no value within the step of the bounds -1 and 1.
        Tensor x = nudge(Tensor.rand(new Random(345), 4, 5).mul(4).sub(2)).add(0.05f);
        float[] v = x.toArray();
        double[] expected = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            expected[i] = Math.min(Math.max(v[i], -1), 1);
        }
        Naive.assertClose(expected, x.clamp(-1, 1), 0, 0);
        GradCheck.check("clamp", GradCheck.Options.DEFAULT.withStep(1e-3), in -> in[0].clamp(-1, 1),
                x.requiresGrad(true));
        Tensor edge = Tensor.of(new float[] {-1, 1, 3, Float.NaN}).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = edge.clamp(-1, 1);
            assertTrue(Float.isNaN(y.get(3)));
            y.sum().backward();
        }
        assertArrayEquals(new float[] {1, 1, 0, 0}, edge.grad().toArray(), "the bounds pass the gradient");
        assertArrayEquals(new float[] {0, 0, 0}, Tensor.of(new float[] {-1, 1, 5}).clamp(2, 0).toArray(),
                "min > max gives max");
        assertArrayEquals(new float[] {-1, 2}, Tensor.of(new float[] {-1, 5}).clamp(Float.NEGATIVE_INFINITY, 2)
                .toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2).clamp(Float.NaN, 1));
        assertEquals("clamp: bounds must not be NaN, got min NaN and max 1.0", e.getMessage());
    }

    @Test
    void whereBroadcastsAndRoutesTheGradient() {
        Tensor mask = Tensor.of(new float[] {1, 0, 0, 1, 1, 0}, 2, 3);
        Tensor x = Tensor.randn(new Random(345), 2, 3).requiresGrad(true);
        Tensor y = Tensor.randn(new Random(346), 3).requiresGrad(true);
        Tensor out = Tensor.where(mask, x, y);
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                assertEquals(mask.get(i, j) != 0 ? x.get(i, j) : y.get(j), out.get(i, j));
            }
        }
        GradCheck.check("where", in -> Tensor.where(mask, in[0], in[1]), x, y);
        Tensor row = Tensor.of(new float[] {0, 1}, 2, 1);
        assertEquals(Shape.of(2, 3), Tensor.where(row, Tensor.scalar(1), Tensor.zeros(3)).shape(),
                "the condition broadcasts too");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.where(Tensor.zeros(4), x, y));
        assertEquals("where: shapes [4] and [2, 3] cannot broadcast", e.getMessage());
    }

    @Test
    void whereReadsTheMaskOnce() {
        Tensor mask = Tensor.of(new float[] {1, 0});
        Tensor x = Tensor.zeros(2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor out = Tensor.where(mask, x, Tensor.ones(2));
            mask.fill(0);
            out.sum().backward();
        }
        assertArrayEquals(new float[] {1, 0}, x.grad().toArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unaryOps")
    void unary(String op, UnaryOperator<Tensor> f, DoubleUnaryOperator oracle, float lo, float hi) {
        Tensor x = input(345, new int[] {3, 4}, lo, hi);
        float[] v = x.toArray();
        double[] expected = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            expected[i] = oracle.applyAsDouble(v[i]);
        }
        Naive.assertClose(expected, f.apply(x), 1e-6, 1e-6);
        GradCheck.check(op, in -> f.apply(in[0]), x);
    }

    @Test
    void reluValuesAndGradient() {
        // Values kept away from the kink at 0 by more than the step.
        Tensor x = Tensor.of(new float[] {-2, -0.5f, 0.3f, 1.7f, -1.1f, 0.9f}, 2, 3).requiresGrad(true);
        assertArrayEquals(new float[] {0, 0, 0.3f, 1.7f, 0, 0.9f}, x.relu().toArray());
        GradCheck.check("relu", in -> in[0].relu(), x);
        Tensor zero = Tensor.zeros(1).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            zero.relu().sum().backward();
        }
        assertEquals(0f, zero.grad().item(), "relu'(0) is 0, as in PyTorch");
    }

    @Test
    void sigmoidDoesNotOverflow() {
        Tensor y = Tensor.of(new float[] {-1000, 1000, 0}).sigmoid();
        assertArrayEquals(new float[] {0, 1, 0.5f}, y.toArray());
    }

    @Test
    void gradientOfARepeatedInputAddsUp() {
        Tensor x = Tensor.of(new float[] {3}).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            x.mul(x).add(x).backward(Tensor.ones(1));
        }
        assertEquals(7f, x.grad().item());
        GradCheck.check("x*x+x", in -> in[0].mul(in[0]).add(in[0]),
                Tensor.randn(new Random(345), 4).requiresGrad(true));
    }

    @Test
    void emptyTensorsBroadcast() {
        Tensor e = Tensor.zeros(0, 3).add(Tensor.ones(3));
        assertEquals(Shape.of(0, 3), e.shape());
    }

    @Test
    void broadcastErrorNamesTheOp() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 3).mul(Tensor.zeros(4)));
        assertEquals("mul: shapes [2, 3] and [4] cannot broadcast", e.getMessage());
    }

    @Test
    void largeRandomBroadcastAgreesWithOracle() {
        Random rng = new Random(345);
        for (int trial = 0; trial < 20; trial++) {
            int r = 1 + rng.nextInt(4);
            int[] da = new int[r];
            int[] db = new int[r];
            for (int d = 0; d < r; d++) {
                int n = 1 + rng.nextInt(5);
                da[d] = rng.nextBoolean() ? n : 1;
                db[d] = rng.nextBoolean() ? n : 1;
            }
            Tensor a = Tensor.randn(rng, da);
            Tensor b = Tensor.randn(rng, db);
            Tensor y = a.mul(b).add(a);
            Naive.assertClose(Naive.binary(a, b, y.shape().dims(), (p, q) -> (float) (p * q) + p), y, 1e-6, 1e-6);
        }
    }
}
