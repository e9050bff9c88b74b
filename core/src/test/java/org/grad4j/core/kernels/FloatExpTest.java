package org.grad4j.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatExp}: accuracy against {@link Math#exp} in double (all 2^32 floats, checked once:
 * at most 1.04 ulp for exp, 2.41 ulp for sigmoid; here a seeded sample and the edges), special
 * values, and the vector lanes equal to the scalar twin bit for bit.
 */
class FloatExpTest {
    private static final int N = 1 << 21;
    private final int savedThreads = Kernels.threads();

    @AfterEach
    void restoreThreads() {
        Kernels.setThreads(savedThreads);
    }

    /** {@code |y - exact|} in ulps of the float nearest {@code exact}; infinite if only one of them overflows. */
    private static double ulps(float y, double exact) {
        float nearest = (float) exact;
        if (Float.isInfinite(nearest) || Float.isInfinite(y)) {
            return nearest == y ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.abs(y - exact) / Math.ulp(nearest);
    }

    private static double exactSigmoid(float x) {
        return x >= 0 ? 1 / (1 + Math.exp(-(double) x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** Uniform in [-110, 95) (beyond both thresholds), the edges, and random bit patterns. */
    private static float[] inputs(Random r) {
        float[] x = new float[N];
        int i = 0;
        for (float edge : edges()) {
            x[i++] = edge;
        }
        for (; i < N / 2; i++) {
            x[i] = r.nextFloat() * 205f - 110f;
        }
        for (; i < N; i++) {
            x[i] = Float.intBitsToFloat(r.nextInt());
        }
        return x;
    }

    /** Zeros, subnormals, infinities, NaNs, huge values and 200 floats either side of each threshold. */
    private static float[] edges() {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, 1e-8f,
            -1e-8f, 1f, -1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.intBitsToFloat(0xffc00001), Float.intBitsToFloat(0x7f800001), Float.MAX_VALUE, -Float.MAX_VALUE,
            1e30f, -1e30f, FloatExp.MAX_ARG, FloatExp.MIN_ARG, 0.34657359f, -0.34657359f};
        // exp overflows above ln(MAX_VALUE), turns subnormal below ln(MIN_NORMAL) and 0 below ln(MIN_VALUE / 2).
        double[] thresholds = {Math.log(Float.MAX_VALUE), Math.log(Float.MIN_NORMAL), Math.log(Float.MIN_VALUE / 2.0)};
        float[] e = new float[special.length + thresholds.length * 400];
        System.arraycopy(special, 0, e, 0, special.length);
        int i = special.length;
        for (double t : thresholds) {
            float f = (float) t;
            for (int k = 0; k < 200; k++) {
                f = Math.nextDown(f);
            }
            for (int k = 0; k < 400; k++, f = Math.nextUp(f)) {
                e[i++] = f;
            }
        }
        return e;
    }

    /** The largest error in ulps of {@code f} over {@link #inputs}, and where, as a message. */
    private static String worst(long seed, double bound, FloatUnaryOperator f, DoubleUnaryOperator exact) {
        double worst = 0;
        float at = 0;
        for (float x : inputs(new Random(seed))) {
            double u = Float.isNaN(x) ? 0 : ulps(f.apply(x), exact.applyAsDouble(x));
            if (u > worst) {
                worst = u;
                at = x;
            }
        }
        return worst <= bound ? null : worst + " ulps off at " + at;
    }

    /** A float function. */
    private interface FloatUnaryOperator {
        float apply(float x);
    }

    @Test
    void expIsWithinOneAndAHalfUlpsOfTheExactValue() {
        assertNull(worst(11, 1.5, FloatExp::exp, Math::exp));
    }

    @Test
    void sigmoidIsWithinTwoAndAHalfUlpsOfTheExactValue() {
        assertNull(worst(12, 2.5, FloatExp::sigmoid, x -> exactSigmoid((float) x)));
    }

    private static void assertBits(float expected, float actual, String what) {
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), what + " = " + actual);
    }

    @Test
    void specialValues() {
        assertBits(1f, FloatExp.exp(0f), "exp(0)");
        assertBits(1f, FloatExp.exp(-0f), "exp(-0)");
        assertBits(1f, FloatExp.exp(Float.MIN_VALUE), "exp(MIN_VALUE)");
        assertBits(1f, FloatExp.exp(-Float.MIN_VALUE), "exp(-MIN_VALUE)");
        assertBits((float) Math.E, FloatExp.exp(1f), "exp(1)");
        assertBits(Float.POSITIVE_INFINITY, FloatExp.exp(Float.POSITIVE_INFINITY), "exp(inf)");
        assertBits(0f, FloatExp.exp(Float.NEGATIVE_INFINITY), "exp(-inf)");
        assertBits(Float.POSITIVE_INFINITY, FloatExp.exp(Float.MAX_VALUE), "exp(MAX_VALUE)");
        assertBits(0f, FloatExp.exp(-Float.MAX_VALUE), "exp(-MAX_VALUE)");
        assertBits(Float.POSITIVE_INFINITY, FloatExp.exp(88.72284f), "exp(88.72284)");
        assertTrue(FloatExp.exp(88.72283f) < Float.POSITIVE_INFINITY, "exp(88.72283) is finite");
        assertBits(Float.MIN_VALUE, FloatExp.exp(-103.5f), "exp(-103.5)");
        assertBits(0f, FloatExp.exp(-104f), "exp(-104)");
        assertBits(Float.NaN, FloatExp.exp(Float.NaN), "exp(NaN)");
        assertBits(Float.NaN, FloatExp.exp(Float.intBitsToFloat(0xffc00001)), "exp(-NaN with a payload)");

        assertBits(0.5f, FloatExp.sigmoid(0f), "sigmoid(0)");
        assertBits(0.5f, FloatExp.sigmoid(-0f), "sigmoid(-0)");
        assertBits(1f, FloatExp.sigmoid(Float.POSITIVE_INFINITY), "sigmoid(inf)");
        assertBits(0f, FloatExp.sigmoid(Float.NEGATIVE_INFINITY), "sigmoid(-inf)");
        assertBits(1f, FloatExp.sigmoid(200f), "sigmoid(200)");
        assertBits(0f, FloatExp.sigmoid(-200f), "sigmoid(-200)");
        assertTrue(FloatExp.sigmoid(-100f) > 0f, "sigmoid(-100) is a subnormal, not 0");
        assertBits(Float.NaN, FloatExp.sigmoid(Float.NaN), "sigmoid(NaN)");
    }

    @Test
    void vectorLanesEqualTheScalarTwin() {
        assumeTrue(Kernels.simd(), "the SIMD path only (run with --add-modules jdk.incubator.vector)");
        float[] x = inputs(new Random(13));
        float[] y = new float[N];
        // From an unaligned start to before the end: whole vectors and scalar tails.
        int from = 3;
        int to = N - 5;
        VectorElementwise.exp(x, y, from, to);
        for (int i = from; i < to; i++) {
            if (Float.floatToRawIntBits(FloatExp.exp(x[i])) != Float.floatToRawIntBits(y[i])) {
                assertBits(FloatExp.exp(x[i]), y[i], "exp(" + x[i] + ") at " + i);
            }
        }
        Kernels.setThreads(2);
        for (int n : new int[] {N, 1, VectorElementwise.L - 1, 3 * VectorElementwise.L + 2}) {
            ElementwiseKernels.sigmoid(x, y, n);
            for (int i = 0; i < n; i++) {
                if (Float.floatToRawIntBits(FloatExp.sigmoid(x[i])) != Float.floatToRawIntBits(y[i])) {
                    assertBits(FloatExp.sigmoid(x[i]), y[i], "sigmoid(" + x[i] + ") at " + i + " of " + n);
                }
            }
        }
    }
}
