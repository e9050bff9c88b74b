package org.grad4j.core.kernels;

/**
 * The layout and bias steps around a convolution's GEMMs: permuting between the GEMM layout
 * {@code [F, N*P]} and the tensor layout {@code [N, F, P]}, adding the bias and summing the bias
 * gradient. Parallel ({@link Parallel#forRange}) over independent blocks; every element, and every
 * per-channel sum, is computed in the same order whatever the thread count, so results are
 * bit-identical for every thread count.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class ConvKernels {
    /** Below this many elements an op runs on the calling thread. */
    static final int PARALLEL_MIN = 1 << 15;

    private ConvKernels() {
    }

    /** {@code dst [b, a, p] = src [a, b, p]}: swaps the two outer dimensions of blocks of {@code p}. */
    public static void permute(float[] src, int a, int b, int p, float[] dst) {
        if ((long) a * b * p < PARALLEL_MIN) {
            permute(src, a, b, p, dst, 0, a);
        } else {
            Parallel.forRange(a, (from, to) -> permute(src, a, b, p, dst, from, to));
        }
    }

    private static void permute(float[] src, int a, int b, int p, float[] dst, int from, int to) {
        for (int i = from; i < to; i++) {
            for (int j = 0; j < b; j++) {
                System.arraycopy(src, (i * b + j) * p, dst, (j * a + i) * p, p);
            }
        }
    }

    /** {@code y [n, f, p] += bias[f]}. Only {@code y} is modified. */
    public static void addBias(float[] y, int n, int f, int p, float[] bias) {
        if ((long) n * f * p < PARALLEL_MIN) {
            addBias(y, f, p, bias, 0, n * f);
        } else {
            Parallel.forRange(n * f, (from, to) -> addBias(y, f, p, bias, from, to));
        }
    }

    private static void addBias(float[] y, int f, int p, float[] bias, int from, int to) {
        for (int q = from; q < to; q++) {
            float bk = bias[q % f];
            for (int o = q * p, end = o + p; o < end; o++) {
                y[o] += bk;
            }
        }
    }

    /**
     * {@code gb[k] += sum_j rows[k * len + j]} for {@code k < f}: the bias gradient from an output
     * gradient in GEMM layout {@code [F, len]}, each sum in double (four interleaved accumulators,
     * added in a fixed order). Only {@code gb} is modified.
     */
    public static void biasGrad(float[] rows, int f, int len, float[] gb) {
        if ((long) f * len < PARALLEL_MIN) {
            biasGrad(rows, len, gb, 0, f);
        } else {
            Parallel.forRange(f, (from, to) -> biasGrad(rows, len, gb, from, to));
        }
    }

    private static void biasGrad(float[] rows, int len, float[] gb, int from, int to) {
        for (int k = from; k < to; k++) {
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int i = k * len;
            int end = i + len;
            for (; i + 3 < end; i += 4) {
                s0 += rows[i];
                s1 += rows[i + 1];
                s2 += rows[i + 2];
                s3 += rows[i + 3];
            }
            for (; i < end; i++) {
                s0 += rows[i];
            }
            gb[k] += (float) ((s0 + s1) + (s2 + s3));
        }
    }
}
