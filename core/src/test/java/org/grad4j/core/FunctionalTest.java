package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * What every fused op of {@link Functional} shares: one tape entry when recorded, nothing
 * recorded without a gradient to compute, inputs left untouched. Also home of the helpers the
 * other fused-op tests use (golden files, closeness, gradients of a recorded function).
 */
class FunctionalTest {
    /** The golden README's single-op tolerance. */
    static final double GOLDEN_ATOL = 1e-5;
    static final double GOLDEN_RTOL = 1e-4;

    // ------------------------------------------------------------------ helpers for the other tests

    /** A golden file copied into the test resources. */
    static SafeTensors golden(String name) throws Exception {
        Path p = Path.of(FunctionalTest.class.getResource("/golden/" + name + ".safetensors").toURI());
        return SafeTensors.read(p);
    }

    /** {@code |actual - expected| <= atol + rtol * |expected|} everywhere, and the same length. */
    static void assertClose(double[] expected, float[] actual, double atol, double rtol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)) && !(Double.isNaN(e) && Double.isNaN(a))) {
                fail(String.format(Locale.ROOT, "%s: at %d expected %.8g, got %.8g (|diff| %.3g > %.1g + %.1g*|e|)",
                        what, i, e, a, Math.abs(a - e), atol, rtol));
            }
        }
    }

    static void assertClose(float[] expected, float[] actual, double atol, double rtol, String what) {
        assertClose(toDouble(expected), actual, atol, rtol, what);
    }

    /** Same shape, then values close. */
    static void assertClose(Tensor expected, Tensor actual, double atol, double rtol, String what) {
        assertNotNull(actual, what + " is null");
        assertEquals(expected.shape(), actual.shape(), what + ": shape");
        assertClose(expected.toArray(), actual.toArray(), atol, rtol, what);
    }

    /** Values close to PyTorch's golden ones, ignoring a [1]-vs-[] difference for losses. */
    static void assertGolden(Tensor expected, Tensor actual, String what) {
        assertNotNull(actual, what + " is null");
        assertEquals(expected.size(), actual.size(), what + ": size");
        assertClose(expected.toArray(), actual.toArray(), GOLDEN_ATOL, GOLDEN_RTOL, what);
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    static double[] toDouble(Tensor t) {
        return toDouble(t.toArray());
    }

    /** A leaf with standard normal values from {@code rng} that requires a gradient. */
    static Tensor param(Random rng, int... dims) {
        return Tensor.randn(rng, dims).requiresGrad(true);
    }

    /**
     * Records {@code f(inputs)}, backpropagates {@code upstream} and returns the output values
     * followed by the gradient of each input (zeros for an input that got none); the inputs'
     * gradients are cleared before and after.
     */
    static List<float[]> valuesAndGrads(Function<Tensor[], Tensor> f, Tensor upstream, Tensor... inputs) {
        for (Tensor t : inputs) {
            t.clearGrad();
        }
        List<float[]> out = new ArrayList<>();
        try (Tape tape = Tape.record()) {
            Tensor y = f.apply(inputs);
            out.add(y.toArray());
            y.backward(upstream);
        }
        for (Tensor t : inputs) {
            out.add(t.grad() == null ? new float[t.size()] : t.grad().toArray());
            t.clearGrad();
        }
        return out;
    }

    /** The message of the IllegalArgumentException that {@code r} throws. */
    static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    // ------------------------------------------------------------------ shared behaviour

    private interface Op {
        Tensor apply(Tensor x);
    }

    private record Case(String name, int[] dims, Op op) {
    }

    private static List<Case> ops() {
        Random rng = new Random(345);
        Tensor w = param(rng, 3, 4);
        Tensor b = param(rng, 3);
        Tensor cw = param(rng, 2, 3, 3, 3);
        Tensor cb = param(rng, 2);
        Tensor gamma = param(rng, 3);
        Tensor beta = param(rng, 3);
        Tensor mean = Tensor.randn(rng, 3);
        Tensor var = Tensor.rand(rng, 3).add(0.5f);
        Tensor lnW = param(rng, 4);
        Tensor lnB = param(rng, 4);
        List<Case> list = new ArrayList<>();
        list.add(new Case("linear", new int[] {2, 4}, x -> Functional.linear(x, w, b)));
        list.add(new Case("conv2d", new int[] {2, 3, 5, 5}, x -> Functional.conv2d(x, cw, cb, 1, 1)));
        list.add(new Case("maxPool2d", new int[] {2, 3, 4, 4}, x -> Functional.maxPool2d(x, 2, 2, 0)));
        list.add(new Case("avgPool2d", new int[] {2, 3, 4, 4}, x -> Functional.avgPool2d(x, 2, 2, 0)));
        list.add(new Case("batchNormTraining", new int[] {2, 3, 2, 2},
            x -> Functional.batchNormTraining(x, gamma, beta, 1e-5).output()));
        list.add(new Case("batchNormInference", new int[] {2, 3, 2, 2},
            x -> Functional.batchNormInference(x, mean, var, gamma, beta, 1e-5)));
        list.add(new Case("layerNorm", new int[] {2, 3, 4},
            x -> Functional.layerNorm(x, new int[] {4}, lnW, lnB, 1e-5)));
        list.add(new Case("dropout", new int[] {2, 3}, x -> Functional.dropout(x, 0.5, new Random(1))));
        list.add(new Case("crossEntropy", new int[] {2, 3}, x -> Functional.crossEntropy(x, new int[] {0, 2})));
        list.add(new Case("logSoftmax", new int[] {2, 3}, x -> Functional.logSoftmax(x, 1)));
        return list;
    }

    @Test
    void eachOpRecordsOneTapeEntry() {
        for (Case c : ops()) {
            Tensor x = Tensor.randn(new Random(345), c.dims()).requiresGrad(true);
            try (Tape tape = Tape.record()) {
                Tensor y = c.op().apply(x);
                assertEquals(1, tape.size(), c.name() + " records one entry");
                assertTrue(y.requiresGrad(), c.name() + " output requires grad");
                assertFalse(y.isLeaf(), c.name() + " output has a producer");
                assertTrue(y.toString().contains("grad_fn=<" + c.name() + ">"), c.name() + ": " + y);
            }
        }
    }

    @Test
    void nothingIsRecordedWithoutAGradientToCompute() {
        for (Case c : ops()) {
            Tensor x = Tensor.randn(new Random(345), c.dims());
            Tensor recorded;
            try (Tape tape = Tape.record(); Tape.NoGrad off = Tape.noGrad()) {
                x.requiresGrad(true);
                recorded = c.op().apply(x);
                assertEquals(0, tape.size(), c.name() + " under noGrad");
            }
            Tensor plain = c.op().apply(x);
            assertFalse(plain.requiresGrad(), c.name() + " without a tape");
            assertArrayEquals(recorded.toArray(), plain.toArray(), c.name() + " gives the same values either way");
        }
    }

    @Test
    void opsDoNotChangeTheirInputs() {
        for (Case c : ops()) {
            Tensor x = Tensor.randn(new Random(345), c.dims()).requiresGrad(true);
            float[] before = x.toArray();
            int version = x.version();
            try (Tape tape = Tape.record()) {
                Tensor y = c.op().apply(x);
                y.backward(Tensor.randn(new Random(7), y.shape().dims()));
            }
            assertArrayEquals(before, x.toArray(), c.name() + " leaves x unchanged");
            assertEquals(version, x.version(), c.name() + " does not bump x's version");
        }
    }

    @Test
    void outputsAreFreshTensors() {
        for (Case c : ops()) {
            if (c.name().equals("dropout")) {
                continue; // p = 0.5 here: a fresh tensor too, but p = 0 returns x (DropoutTest)
            }
            Tensor x = Tensor.randn(new Random(345), c.dims());
            float[] before = x.toArray();
            Tensor y = c.op().apply(x);
            assertTrue(y != x, c.name());
            y.fill(0f);
            assertArrayEquals(before, x.toArray(), c.name() + " shares no storage with x");
        }
    }

    @Test
    void nullTensorsAreRejectedWithTheOpName() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> Functional.conv2d(null, Tensor.zeros(1, 1, 1, 1), null, 1, 0));
        assertEquals("conv2d: x is null", e.getMessage());
        e = assertThrows(NullPointerException.class, () -> Functional.linear(Tensor.zeros(2, 2), null, null));
        assertEquals("linear: weight is null", e.getMessage());
    }

    @Test
    void batchNormResultIsARecordOfThreeTensors() {
        Tensor x = Tensor.randn(new Random(345), 4, 2);
        Functional.BatchNormResult r = Functional.batchNormTraining(x, null, null, 1e-5);
        assertEquals(Shape.of(4, 2), r.output().shape());
        assertEquals(Shape.of(2), r.mean().shape());
        assertEquals(Shape.of(2), r.variance().shape());
        assertEquals(new Functional.BatchNormResult(r.output(), r.mean(), r.variance()), r);
        assertSame(Functional.Reduction.MEAN, Functional.Reduction.valueOf("MEAN"));
        assertEquals(3, Functional.Reduction.values().length);
    }
}
