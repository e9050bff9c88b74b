package org.grad4j.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector-api element-wise kernels behind {@link ElementwiseKernels}; like {@link VectorGemm}
 * it references {@code jdk.incubator.vector} and is loaded only when {@link Kernels#simd()} is
 * true. Following {@link VectorGemm}'s rules, the vector code lives in one small method called per
 * vector, which C2 compiles (and inlines every vector call of) within milliseconds.
 *
 * <p>The exponential is {@link FloatExp}'s, lane by lane: only IEEE-exact lane operations, never
 * the Vector API's {@code lanewise(EXP)}, whose bits change when C2 compiles it (its Java
 * fallback calls {@link Math#exp} in double, C2's code a vector library in float). The last,
 * partial vector of a range is computed by {@link FloatExp}'s scalar twin, which does the same
 * operations, so every element has the same bits wherever it falls, interpreted or compiled.
 */
final class VectorElementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    static final int L = S.length();
    private static final int ROUND_BITS = Float.floatToRawIntBits(FloatExp.ROUND);

    private VectorElementwise() {
    }

    /** {@code y = sigmoid(x)} on {@code [from, to)}, each element as {@link FloatExp#sigmoid}. */
    static void sigmoid(float[] x, float[] y, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) {
            sigmoid(x, y, i);
        }
        for (; i < to; i++) {
            y[i] = FloatExp.sigmoid(x[i]);
        }
    }

    private static void sigmoid(float[] x, float[] y, int i) {
        sigmoidLanes(FloatVector.fromArray(S, x, i)).intoArray(y, i);
    }

    /** {@code y = exp(x)} on {@code [from, to)}, each element as {@link FloatExp#exp}. */
    static void exp(float[] x, float[] y, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) {
            exp(x, y, i);
        }
        for (; i < to; i++) {
            y[i] = FloatExp.exp(x[i]);
        }
    }

    private static void exp(float[] x, float[] y, int i) {
        expLanes(FloatVector.fromArray(S, x, i)).intoArray(y, i);
    }

    /** {@link FloatExp#sigmoid} on each lane: the same operations in the same order. */
    private static FloatVector sigmoidLanes(FloatVector v) {
        FloatVector e = expLanes(v.abs().neg());
        FloatVector d = e.add(1f);
        return e.blend(1f, v.compare(VectorOperators.GE, 0f)).div(d);
    }

    /** {@link FloatExp#exp} on each lane: the same operations in the same order. */
    private static FloatVector expLanes(FloatVector x) {
        FloatVector c = x.blend(FloatExp.MAX_ARG, x.compare(VectorOperators.GT, FloatExp.MAX_ARG));
        c = c.blend(FloatExp.MIN_ARG, c.compare(VectorOperators.LT, FloatExp.MIN_ARG));
        FloatVector k = c.mul(FloatExp.LOG2E).add(FloatExp.ROUND);
        FloatVector n = k.sub(FloatExp.ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -FloatExp.LN2_HI), c);
        r = n.fma(FloatVector.broadcast(S, -FloatExp.LN2_LO), r);
        FloatVector q = FloatVector.broadcast(S, FloatExp.Q6).fma(r, FloatVector.broadcast(S, FloatExp.Q5));
        q = q.fma(r, FloatVector.broadcast(S, FloatExp.Q4));
        q = q.fma(r, FloatVector.broadcast(S, FloatExp.Q3));
        q = q.fma(r, FloatVector.broadcast(S, FloatExp.Q2));
        FloatVector p = r.mul(r).fma(q, r).add(1f);
        IntVector ni = k.reinterpretAsInts().sub(ROUND_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector y = p.mul(power(n1)).mul(power(n2));
        VectorMask<Float> nan = x.compare(VectorOperators.NE, x);
        return y.blend(Float.NaN, nan);
    }

    /** {@code 2^n} per lane for {@code -126 <= n <= 127}, from its exponent bits. */
    private static FloatVector power(IntVector n) {
        return n.add(FloatExp.BIAS).lanewise(VectorOperators.LSHL, FloatExp.MANTISSA_BITS).reinterpretAsFloats();
    }
}
