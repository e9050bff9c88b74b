package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReductionsTest {
    static Stream<Arguments> dimSets() {
        return Stream.of(
                Arguments.of(new int[] {0}, false),
                Arguments.of(new int[] {1}, true),
                Arguments.of(new int[] {-1}, false),
                Arguments.of(new int[] {0, 2, 3}, true),
                Arguments.of(new int[] {3, 0}, false),
                Arguments.of(new int[] {1, 2}, true),
                Arguments.of(new int[] {0, 1, 2, 3}, false));
    }

    private static boolean[] mask(int[] dims, int rank) {
        boolean[] m = new boolean[rank];
        for (int d : dims) {
            m[d < 0 ? d + rank : d] = true;
        }
        return m;
    }

    private static int[] expectedShape(int[] in, boolean[] mask, boolean keepdim) {
        return java.util.stream.IntStream.range(0, in.length)
                .filter(d -> keepdim || !mask[d]).map(d -> mask[d] ? 1 : in[d]).toArray();
    }

    @ParameterizedTest
    @MethodSource("dimSets")
    void sumMeanVarAgainstOracle(int[] dims, boolean keepdim) {
        int[] shape = {2, 3, 4, 5};
        Tensor x = Tensor.randn(new Random(345), shape).requiresGrad(true);
        boolean[] m = mask(dims, 4);
        double[] s = Naive.sum(x, m);
        int count = x.size() / s.length;
        Tensor sum = x.sum(dims, keepdim);
        assertArrayEquals(expectedShape(shape, m, keepdim), sum.shape().dims());
        Naive.assertClose(s, sum, 1e-5, 1e-5);
        double[] mean = s.clone();
        for (int i = 0; i < mean.length; i++) {
            mean[i] /= count;
        }
        Naive.assertClose(mean, x.mean(dims, keepdim), 1e-6, 1e-5);
        // var by definition: sum of squared deviations from the mean, over n or n - 1.
        Tensor dev = x.sub(x.mean(dims, true));
        double[] ss = Naive.sum(dev.square(), m);
        double[] biased = new double[ss.length];
        double[] unbiased = new double[ss.length];
        for (int i = 0; i < ss.length; i++) {
            biased[i] = ss[i] / count;
            unbiased[i] = ss[i] / (count - 1);
        }
        Naive.assertClose(biased, x.var(dims, false, keepdim), 1e-5, 1e-4);
        Naive.assertClose(unbiased, x.var(dims, true, keepdim), 1e-5, 1e-4);

        GradCheck.check("sum", in -> in[0].sum(dims, keepdim), x);
        GradCheck.check("mean", in -> in[0].mean(dims, keepdim), x);
        GradCheck.check("var", in -> in[0].var(dims, false, keepdim), x);
        GradCheck.check("var unbiased", in -> in[0].var(dims, true, keepdim), x);
    }

    @Test
    void wholeTensorReductions() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).requiresGrad(true);
        assertEquals(10f, x.sum().item());
        assertEquals(Shape.SCALAR, x.sum().shape());
        assertEquals(2.5f, x.mean().item());
        assertEquals(1.25f, x.var(false).item());
        assertEquals(5f / 3, x.var(true).item(), 1e-6);
        GradCheck.check("sum", in -> in[0].sum(), x);
        GradCheck.check("mean", in -> in[0].mean(), x);
        GradCheck.check("var", in -> in[0].var(true), x);
        assertTrue(Float.isNaN(Tensor.ones(1).var(true).item()), "unbiased var of one value is NaN, as in PyTorch");
    }

    @Test
    void sumIsAccurateOverManyValues() {
        // 2^24 + 1 is not a float: a float accumulator would stop at 2^24.
        Tensor x = Tensor.ones((1 << 24) + 64);
        assertEquals((1 << 24) + 64, x.sum().item());
    }

    @Test
    void maxArgmaxAndArgmin() {
        Tensor x = Tensor.of(new float[] {1, 5, 3, 7, 2, 7}, 2, 3);
        assertArrayEquals(new float[] {5, 7}, x.max(1, false).toArray());
        assertArrayEquals(new int[] {1, 0}, x.argmax(1), "first index on ties");
        assertArrayEquals(new int[] {1, 0, 1}, x.argmax(0));
        assertArrayEquals(new int[] {0, 1}, x.argmin(-1));
        assertArrayEquals(new int[] {0, 1, 0}, x.argmin(0));
        assertEquals(Shape.of(2, 1), x.max(-1, true).shape());
        Tensor n = Tensor.of(new float[] {1, Float.NaN, 3});
        assertTrue(Float.isNaN(n.max(0, false).item()));
        assertArrayEquals(new int[] {1}, n.argmax(0), "NaN wins");
        assertArrayEquals(new int[] {1}, n.argmin(0), "NaN wins");
    }

    @Test
    void argmaxOfAMiddleDimensionAgainstNaiveLoops() {
        Tensor x = Tensor.randn(new Random(345), 3, 5, 4);
        int[] arg = x.argmax(1);
        int[] low = x.argmin(1);
        assertEquals(12, arg.length);
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 4; k++) {
                int best = 0;
                int worst = 0;
                for (int j = 1; j < 5; j++) {
                    best = x.get(i, j, k) > x.get(i, best, k) ? j : best;
                    worst = x.get(i, j, k) < x.get(i, worst, k) ? j : worst;
                }
                assertEquals(best, arg[i * 4 + k]);
                assertEquals(worst, low[i * 4 + k]);
            }
        }
    }

    @Test
    void maxGradientAgainstFiniteDifferences() {
        // Distinct values spaced 0.1 apart: far from ties at the default step.
        float[] v = new float[2 * 3 * 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((i * 7) % v.length) * 0.1f;
        }
        Tensor x = Tensor.of(v, 2, 3, 4).requiresGrad(true);
        for (int d = 0; d < 3; d++) {
            int dim = d;
            GradCheck.check("max", in -> in[0].max(dim, false), x);
            GradCheck.check("max keepdim", in -> in[0].max(dim, true), x);
        }
    }

    @Test
    void errors() {
        Tensor x = Tensor.zeros(2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> x.sum(new int[] {1, -1}, false));
        assertEquals("sum: dimension 1 appears more than once in [1, -1]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.mean(2, false));
        assertEquals("mean: dimension 2 is out of range for shape [2, 3] (expected -2 to 1)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 0).max(1, false));
        assertEquals("max: dimension 1 of shape [2, 0] is empty; the maximum is undefined", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.argmax(-3));
        assertEquals("argmax: dimension -3 is out of range for shape [2, 3] (expected -2 to 1)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(0, 3).argmin(0));
        assertEquals("argmin: dimension 0 of shape [0, 3] is empty; the minimum is undefined", e.getMessage());
    }
}
