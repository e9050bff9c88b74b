package org.grad4j.core.kernels;

/**
 * Element-wise kernels of the training hot path, parallel over fixed contiguous chunks
 * ({@link Parallel#forRange}). Every output element is computed by the same arithmetic whichever
 * thread runs it, so the results are bit-identical for every thread count.
 *
 * <p>With the vector-api kernels active ({@link Kernels#simd()}), {@link #sigmoid(float[], float[], int)}
 * runs on {@code VectorElementwise} in float, with {@code FloatExp}'s exponential (IEEE-exact
 * operations only, so the same bits interpreted or compiled; within 2 float ulps of the portable
 * path's result); the portable path computes each element in double and rounds once, exactly as
 * {@link #sigmoid(float)}. {@link #sigmoidBackward} rounds the same on both paths.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class ElementwiseKernels {
    /** Below this many elements an op runs on the calling thread. */
    static final int PARALLEL_MIN = 1 << 15;

    private ElementwiseKernels() {
    }

    /** The logistic function without overflow for large |x|: {@code 1 / (1 + e^-x)}, NaN for NaN. */
    public static float sigmoid(float x) {
        // e = exp(-|x|) <= 1: 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0.
        double e = Math.exp(-Math.abs(x));
        return (float) (x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e));
    }

    /** {@code y[i] = sigmoid(x[i])} for {@code i < n}. Only {@code y} is modified. */
    public static void sigmoid(float[] x, float[] y, int n) {
        if (Kernels.SIMD) {
            // Chunks of whole vectors, so that only the array's last few elements take the scalar tail.
            int l = VectorElementwise.L;
            int vectors = (n + l - 1) / l;
            if (n < PARALLEL_MIN) {
                VectorElementwise.sigmoid(x, y, 0, n);
            } else {
                Parallel.forRange(vectors, (from, to) -> VectorElementwise.sigmoid(x, y, from * l,
                        Math.min(n, to * l)));
            }
        } else if (n < PARALLEL_MIN) {
            sigmoid(x, y, 0, n);
        } else {
            Parallel.forRange(n, (from, to) -> sigmoid(x, y, from, to));
        }
    }

    private static void sigmoid(float[] x, float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            y[i] = sigmoid(x[i]);
        }
    }

    /**
     * The backward pass of {@link #sigmoid(float[], float[], int)} given its output {@code y}:
     * {@code gx[i] += g[i] * y[i] * (1 - y[i])}. Only {@code gx} is modified, by adding.
     */
    public static void sigmoidBackward(float[] y, float[] g, float[] gx, int n) {
        sigmoidBackward(y, g, gx, n, false);
    }

    /**
     * {@link #sigmoidBackward(float[], float[], float[], int)}, or with {@code assign} writing
     * {@code gx[i] = 0 + g[i] * y[i] * (1 - y[i])} without reading {@code gx} (the tape's fresh
     * gradient buffers): the same bits as adding into zeros.
     */
    public static void sigmoidBackward(float[] y, float[] g, float[] gx, int n, boolean assign) {
        if (n < PARALLEL_MIN) {
            sigmoidBackward(y, g, gx, assign, 0, n);
        } else {
            Parallel.forRange(n, (from, to) -> sigmoidBackward(y, g, gx, assign, from, to));
        }
    }

    private static void sigmoidBackward(float[] y, float[] g, float[] gx, boolean assign, int from, int to) {
        int i = from;
        if (Kernels.SIMD) {
            // The same roundings as the loop below (no fused multiply-add), so every element has
            // the same bits on either path and wherever a chunk starts.
            int vectors = (to - from) / VectorNorm.L;
            VectorNorm.sigmoidBackward(y, g, gx, from, vectors, assign);
            i += vectors * VectorNorm.L;
        }
        for (; i < to; i++) {
            gx[i] = (assign ? 0f : gx[i]) + g[i] * y[i] * (1f - y[i]);
        }
    }
}
