package org.grad4j.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector-api loops behind {@link NormKernels} and {@link ElementwiseKernels#sigmoidBackward};
 * like {@link VectorElementwise} it references {@code jdk.incubator.vector} and is loaded only
 * when {@link Kernels#simd()} is true. Every method is one simple loop over {@code vectors} whole
 * vectors starting at {@code o}: the callers do the scalar tails, the blocking and the double
 * arithmetic, so no vector is carried across nested loops (which JDK 17 boxes) and each method is
 * small enough for C2 to inline all of its vector calls.
 *
 * <p>A reduction sums one block of at most {@link #BLOCK} vectors in float and folds it into a
 * compensated running sum kept in an array between calls ({@code acc}: {@code 2 * L} floats per
 * quantity, the sum lanes then the compensation lanes), so the rounding of the total does not grow
 * with the size of the batch. Lane-wise additions and multiplications round the same in compiled
 * and interpreted code, and no horizontal reduction is used (whose order may differ between the
 * two): the caller adds the lanes in double in a fixed order.
 */
final class VectorNorm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    static final int L = S.length();

    private VectorNorm() {
    }

    /**
     * Vectors per block: a block is summed in plain float vectors (two interleaved accumulators,
     * so each float lane adds at most 8 values and rounds within a few ulps of the block's
     * magnitude), then folded into the running sums without error ({@link #fold}).
     */
    static final int BLOCK = 16;

    /**
     * Adds the block sum {@code b} to the running float sum at {@code acc[k, k + L)} and its
     * rounding error to the compensation at {@code acc[k + L, k + 2L)}. Knuth's two-sum gives the
     * error exactly whatever the magnitudes, so {@code sum + compensation} carries about twice
     * float's precision over any number of blocks, with a few vector operations per block instead
     * of a conversion to double per lane.
     */
    private static void fold(FloatVector b, float[] acc, int k) {
        FloatVector a = FloatVector.fromArray(S, acc, k);
        FloatVector t = a.add(b);
        FloatVector bp = t.sub(a);
        FloatVector err = a.sub(t.sub(bp)).add(b.sub(bp));
        t.intoArray(acc, k);
        FloatVector.fromArray(S, acc, k + L).add(err).intoArray(acc, k + L);
    }

    /**
     * Folds {@code sum (x - shift)} over {@code vectors <= BLOCK} whole vectors from {@code o} into
     * {@code acc[k, k + 2L)}.
     */
    static void sum(float[] x, int o, int vectors, float shift, float[] acc, int k) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        int i = o;
        int end = o + vectors * L;
        for (; i + 2 * L <= end; i += 2 * L) {
            a0 = a0.add(FloatVector.fromArray(S, x, i).sub(shift));
            a1 = a1.add(FloatVector.fromArray(S, x, i + L).sub(shift));
        }
        if (i < end) {
            a0 = a0.add(FloatVector.fromArray(S, x, i).sub(shift));
        }
        fold(a0.add(a1), acc, k);
    }

    /**
     * With {@code d = x - mu}, folds {@code sum d} into {@code acc[k, k + 2L)} and
     * {@code sum d * d} (each product rounded before the addition) into {@code acc[k + 2L, k + 4L)}.
     */
    static void sumDeviations(float[] x, int o, int vectors, float mu, float[] acc, int k) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector q0 = FloatVector.zero(S);
        FloatVector q1 = FloatVector.zero(S);
        int i = o;
        int end = o + vectors * L;
        for (; i + 2 * L <= end; i += 2 * L) {
            FloatVector d0 = FloatVector.fromArray(S, x, i).sub(mu);
            FloatVector d1 = FloatVector.fromArray(S, x, i + L).sub(mu);
            s0 = s0.add(d0);
            s1 = s1.add(d1);
            q0 = q0.add(d0.mul(d0));
            q1 = q1.add(d1.mul(d1));
        }
        if (i < end) {
            FloatVector d0 = FloatVector.fromArray(S, x, i).sub(mu);
            s0 = s0.add(d0);
            q0 = q0.add(d0.mul(d0));
        }
        fold(s0.add(s1), acc, k);
        fold(q0.add(q1), acc, k + 2 * L);
    }

    /**
     * Folds {@code sum g} into {@code acc[k, k + 2L)} and {@code sum g * (x - mu)} into
     * {@code acc[k + 2L, k + 4L)}.
     */
    static void sumGradients(float[] g, float[] x, int o, int vectors, float mu, float[] acc, int k) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        FloatVector p0 = FloatVector.zero(S);
        FloatVector p1 = FloatVector.zero(S);
        int i = o;
        int end = o + vectors * L;
        for (; i + 2 * L <= end; i += 2 * L) {
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            FloatVector g1 = FloatVector.fromArray(S, g, i + L);
            s0 = s0.add(g0);
            s1 = s1.add(g1);
            p0 = p0.add(g0.mul(FloatVector.fromArray(S, x, i).sub(mu)));
            p1 = p1.add(g1.mul(FloatVector.fromArray(S, x, i + L).sub(mu)));
        }
        if (i < end) {
            FloatVector g0 = FloatVector.fromArray(S, g, i);
            s0 = s0.add(g0);
            p0 = p0.add(g0.mul(FloatVector.fromArray(S, x, i).sub(mu)));
        }
        fold(s0.add(s1), acc, k);
        fold(p0.add(p1), acc, k + 2 * L);
    }

    /**
     * {@code y = (x - mu) * scale + shift}, rounded after each operation exactly as
     * {@link NormKernels}'s scalar loop, so both give the same bits.
     */
    static void normalize(float[] x, float[] y, int o, int vectors, float mu, float scale, float shift) {
        for (int i = o, end = o + vectors * L; i < end; i += L) {
            FloatVector.fromArray(S, x, i).sub(mu).mul(scale).add(shift).intoArray(y, i);
        }
    }

    /**
     * {@code gx += a * gy + (b * (x - mu) + c)}, rounded as the scalar loop of {@link NormKernels};
     * with {@code assign}, {@code gx = 0 + (...)} without reading {@code gx}.
     */
    static void gradTraining(float[] x, float[] gy, float[] gx, int o, int vectors, float a, float b, float c,
                             float mu, boolean assign) {
        for (int i = o, end = o + vectors * L; i < end; i += L) {
            FloatVector t = FloatVector.fromArray(S, x, i).sub(mu).mul(b).add(c);
            FloatVector base = assign ? FloatVector.zero(S) : FloatVector.fromArray(S, gx, i);
            FloatVector.fromArray(S, gy, i).mul(a).add(t).add(base).intoArray(gx, i);
        }
    }

    /** {@code gx += k * gy}; with {@code assign}, {@code gx = 0 + k * gy}. */
    static void gradFixed(float[] gy, float[] gx, int o, int vectors, float k, boolean assign) {
        for (int i = o, end = o + vectors * L; i < end; i += L) {
            FloatVector base = assign ? FloatVector.zero(S) : FloatVector.fromArray(S, gx, i);
            FloatVector.fromArray(S, gy, i).mul(k).add(base).intoArray(gx, i);
        }
    }

    /**
     * {@code gx += g * y * (1 - y)}, rounded as the scalar loop of {@link ElementwiseKernels}; with
     * {@code assign}, {@code gx = 0 + (...)} without reading {@code gx}.
     */
    static void sigmoidBackward(float[] y, float[] g, float[] gx, int o, int vectors, boolean assign) {
        for (int i = o, end = o + vectors * L; i < end; i += L) {
            FloatVector yv = FloatVector.fromArray(S, y, i);
            FloatVector t = FloatVector.fromArray(S, g, i).mul(yv).mul(FloatVector.broadcast(S, 1f).sub(yv));
            FloatVector base = assign ? FloatVector.zero(S) : FloatVector.fromArray(S, gx, i);
            base.add(t).intoArray(gx, i);
        }
    }
}
