package org.grad4j.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector-api element-wise kernels behind {@link ElementwiseKernels}; like {@link VectorGemm}
 * it references {@code jdk.incubator.vector} and is loaded only when {@link Kernels#simd()} is
 * true. Following {@link VectorGemm}'s rules, the vector code lives in one small method called per
 * vector, which C2 compiles (and inlines every vector call of) within milliseconds.
 *
 * <p>The callers split work on multiples of {@link #L} elements, so the lanes an element falls
 * into, hence its rounding, never depend on the thread count; the last, partial vector of an array
 * is computed with a mask.
 */
final class VectorElementwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    static final int L = S.length();

    private VectorElementwise() {
    }

    /** {@code y = sigmoid(x)} on {@code [from, to)}; {@code from} is a multiple of {@link #L}. */
    static void sigmoid(float[] x, float[] y, int from, int to) {
        int i = from;
        for (; i + L <= to; i += L) {
            sigmoid(x, y, i);
        }
        if (i < to) {
            sigmoidMasked(x, y, i, S.indexInRange(i, to));
        }
    }

    private static void sigmoid(float[] x, float[] y, int i) {
        sigmoidLanes(FloatVector.fromArray(S, x, i)).intoArray(y, i);
    }

    private static void sigmoidMasked(float[] x, float[] y, int i, VectorMask<Float> m) {
        sigmoidLanes(FloatVector.fromArray(S, x, i, m)).intoArray(y, i, m);
    }

    /**
     * With {@code e = exp(-|x|)} in (0, 1]: {@code 1 / (1 + e)} where {@code x >= 0}, else
     * {@code e / (1 + e)}: no overflow for any x, NaN stays NaN.
     */
    private static FloatVector sigmoidLanes(FloatVector v) {
        FloatVector e = v.abs().neg().lanewise(VectorOperators.EXP);
        FloatVector d = e.add(1f);
        return e.div(d).blend(FloatVector.broadcast(S, 1f).div(d), v.compare(VectorOperators.GE, 0f));
    }
}
