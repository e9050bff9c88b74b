package org.grad4j.core.kernels;

/**
 * Batch normalisation on {@code x [N, C, S]} (S = H*W, L or 1): per-channel statistics, the affine
 * normalisation and its backward pass. Every sum is accumulated in double, so statistics over a
 * large batch keep float32's precision.
 *
 * <p>The statistics and the backward pass are parallel over channels ({@link Parallel#forRange}):
 * one thread computes all of a channel, and a channel's sums run in a fixed order (eight interleaved
 * double accumulators over each image's contiguous {@code S} values, combined in a fixed order);
 * {@link #normalize} is parallel over the {@code N*C} planes, each element computed alone. So the
 * results are bit-identical for every thread count. The per-element arithmetic of
 * {@link #normalize} and of the input gradient is in float (with per-channel coefficients computed
 * in double): converting every element to double costs several times the arithmetic.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class NormKernels {
    /** Below this many elements an op runs on the calling thread: the hand-off would cost more. */
    static final int PARALLEL_MIN = 1 << 15;

    private NormKernels() {
    }

    /**
     * Per channel {@code c}: {@code mean[c] = sum x / m} and the biased variance
     * {@code var[c] = sum (x - mean)^2 / m}, {@code m = N*S}, in two passes (the one-pass
     * {@code E[x^2] - E[x]^2} cancels catastrophically when the mean is large). Only {@code mean}
     * and {@code var} are modified.
     */
    public static void channelStats(float[] x, int n, int c, int s, double[] mean, double[] var) {
        if ((long) n * c * s < PARALLEL_MIN) {
            channelStats(x, n, c, s, mean, var, 0, c);
        } else {
            Parallel.forRange(c, (from, to) -> channelStats(x, n, c, s, mean, var, from, to));
        }
    }

    static void channelStats(float[] x, int n, int c, int s, double[] mean, double[] var, int from, int to) {
        double m = (double) n * s;
        double[] acc = new double[8];
        for (int ch = from; ch < to; ch++) {
            java.util.Arrays.fill(acc, 0);
            for (int b = 0; b < n; b++) {
                sum8(x, (b * c + ch) * s, s, acc);
            }
            double mu = combine(acc) / m;
            java.util.Arrays.fill(acc, 0);
            for (int b = 0; b < n; b++) {
                sumSquares8(x, (b * c + ch) * s, s, mu, acc);
            }
            mean[ch] = mu;
            var[ch] = combine(acc) / m;
        }
    }

    /** The eight partial sums added in a fixed order. */
    private static double combine(double[] a) {
        return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    }

    /**
     * {@code acc[j] += x[o + 8q + j]} over {@code [o, o + len)}, the tail into {@code acc[0]}: eight
     * independent double accumulators, because one chain of double additions (each waiting for the
     * previous one) runs at a quarter of the speed.
     */
    private static void sum8(float[] x, int o, int len, double[] acc) {
        double s0 = acc[0];
        double s1 = acc[1];
        double s2 = acc[2];
        double s3 = acc[3];
        double s4 = acc[4];
        double s5 = acc[5];
        double s6 = acc[6];
        double s7 = acc[7];
        int end = o + len;
        int i = o;
        for (; i + 7 < end; i += 8) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
            s4 += x[i + 4];
            s5 += x[i + 5];
            s6 += x[i + 6];
            s7 += x[i + 7];
        }
        for (; i < end; i++) {
            s0 += x[i];
        }
        acc[0] = s0;
        acc[1] = s1;
        acc[2] = s2;
        acc[3] = s3;
        acc[4] = s4;
        acc[5] = s5;
        acc[6] = s6;
        acc[7] = s7;
    }

    /** {@code acc[j] += (x - mu)^2} as {@link #sum8}. */
    private static void sumSquares8(float[] x, int o, int len, double mu, double[] acc) {
        double s0 = acc[0];
        double s1 = acc[1];
        double s2 = acc[2];
        double s3 = acc[3];
        double s4 = acc[4];
        double s5 = acc[5];
        double s6 = acc[6];
        double s7 = acc[7];
        int end = o + len;
        int i = o;
        for (; i + 7 < end; i += 8) {
            double d0 = x[i] - mu;
            double d1 = x[i + 1] - mu;
            double d2 = x[i + 2] - mu;
            double d3 = x[i + 3] - mu;
            double d4 = x[i + 4] - mu;
            double d5 = x[i + 5] - mu;
            double d6 = x[i + 6] - mu;
            double d7 = x[i + 7] - mu;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
            s4 += d4 * d4;
            s5 += d5 * d5;
            s6 += d6 * d6;
            s7 += d7 * d7;
        }
        for (; i < end; i++) {
            double d = x[i] - mu;
            s0 += d * d;
        }
        acc[0] = s0;
        acc[1] = s1;
        acc[2] = s2;
        acc[3] = s3;
        acc[4] = s4;
        acc[5] = s5;
        acc[6] = s6;
        acc[7] = s7;
    }

    /**
     * {@link #sum8} of {@code g} into {@code acc} and {@code acc2[j] += g * (x - mu)} the same way,
     * in one pass over both arrays.
     */
    private static void sumBoth8(float[] g, float[] x, int o, int len, double mu, double[] acc, double[] acc2) {
        double s0 = acc[0];
        double s1 = acc[1];
        double s2 = acc[2];
        double s3 = acc[3];
        double s4 = acc[4];
        double s5 = acc[5];
        double s6 = acc[6];
        double s7 = acc[7];
        double p0 = acc2[0];
        double p1 = acc2[1];
        double p2 = acc2[2];
        double p3 = acc2[3];
        double p4 = acc2[4];
        double p5 = acc2[5];
        double p6 = acc2[6];
        double p7 = acc2[7];
        int end = o + len;
        int i = o;
        for (; i + 7 < end; i += 8) {
            double g0 = g[i];
            double g1 = g[i + 1];
            double g2 = g[i + 2];
            double g3 = g[i + 3];
            double g4 = g[i + 4];
            double g5 = g[i + 5];
            double g6 = g[i + 6];
            double g7 = g[i + 7];
            s0 += g0;
            s1 += g1;
            s2 += g2;
            s3 += g3;
            s4 += g4;
            s5 += g5;
            s6 += g6;
            s7 += g7;
            p0 += g0 * (x[i] - mu);
            p1 += g1 * (x[i + 1] - mu);
            p2 += g2 * (x[i + 2] - mu);
            p3 += g3 * (x[i + 3] - mu);
            p4 += g4 * (x[i + 4] - mu);
            p5 += g5 * (x[i + 5] - mu);
            p6 += g6 * (x[i + 6] - mu);
            p7 += g7 * (x[i + 7] - mu);
        }
        for (; i < end; i++) {
            double gi = g[i];
            s0 += gi;
            p0 += gi * (x[i] - mu);
        }
        acc[0] = s0;
        acc[1] = s1;
        acc[2] = s2;
        acc[3] = s3;
        acc[4] = s4;
        acc[5] = s5;
        acc[6] = s6;
        acc[7] = s7;
        acc2[0] = p0;
        acc2[1] = p1;
        acc2[2] = p2;
        acc2[3] = p3;
        acc2[4] = p4;
        acc2[5] = p5;
        acc2[6] = p6;
        acc2[7] = p7;
    }

    /**
     * {@code y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c]}; a null {@code gamma} means 1, a
     * null {@code beta} means 0. Only {@code y} is modified.
     */
    public static void normalize(float[] x, int n, int c, int s, double[] mean, double[] invstd,
                                 float[] gamma, float[] beta, float[] y) {
        if ((long) n * c * s < PARALLEL_MIN) {
            normalize(x, n, c, s, mean, invstd, gamma, beta, y, 0, n * c);
        } else {
            // Parallel over the N*C contiguous planes: each element is computed the same way by any thread.
            Parallel.forRange(n * c, (from, to) -> normalize(x, n, c, s, mean, invstd, gamma, beta, y, from, to));
        }
    }

    static void normalize(float[] x, int n, int c, int s, double[] mean, double[] invstd,
                          float[] gamma, float[] beta, float[] y, int from, int to) {
        for (int p = from; p < to; p++) {
            int ch = p % c;
            float mu = (float) mean[ch];
            float scale = (float) (invstd[ch] * (gamma == null ? 1.0 : gamma[ch]));
            float shift = beta == null ? 0f : beta[ch];
            int o = p * s;
            for (int i = o, end = o + s; i < end; i++) {
                y[i] = (x[i] - mu) * scale + shift;
            }
        }
    }

    /**
     * The backward pass of {@link #normalize}, adding into each non-null gradient array. With
     * {@code xhat = (x - mean) * invstd}, {@code m = N*S} and per-channel sums
     * {@code sdy = sum dy}, {@code sdx = sum dy * xhat}:
     * <ul>
     *   <li>{@code dbeta += sdy}, {@code dgamma += sdx};
     *   <li>with batch statistics ({@code training}): {@code dx += gamma * invstd / m *
     *       (m * dy - sdy - xhat * sdx)}, PyTorch's closed form;
     *   <li>with fixed statistics: {@code dx += gamma * invstd * dy}.
     * </ul>
     * The training formula: {@code y = gamma * xhat + beta}, and {@code xhat_i} depends on every
     * {@code x_j} of its channel through the mean ({@code d mean / d x_j = 1/m}) and the biased
     * variance ({@code d var / d x_j = 2 (x_j - mean) / m}), so {@code d L / d x_j = gamma invstd
     * (dy_j - sum(dy)/m - xhat_j sum(dy xhat)/m)}: the gradient minus its mean and minus its
     * component along {@code xhat}.
     */
    public static void backward(float[] x, float[] gy, int n, int c, int s, double[] mean, double[] invstd,
                                float[] gamma, boolean training, float[] gx, float[] gGamma, float[] gBeta) {
        if ((long) n * c * s < PARALLEL_MIN) {
            backward(x, gy, n, c, s, mean, invstd, gamma, training, gx, gGamma, gBeta, 0, c);
        } else {
            Parallel.forRange(c, (from, to) -> backward(x, gy, n, c, s, mean, invstd, gamma, training, gx, gGamma,
                    gBeta, from, to));
        }
    }

    static void backward(float[] x, float[] gy, int n, int c, int s, double[] mean, double[] invstd,
                         float[] gamma, boolean training, float[] gx, float[] gGamma, float[] gBeta,
                         int from, int to) {
        double m = (double) n * s;
        double[] acc = new double[8];
        double[] acc2 = new double[8];
        for (int ch = from; ch < to; ch++) {
            double mu = mean[ch];
            double is = invstd[ch];
            double sdy = 0;
            double sdxc = 0;
            if (training || gGamma != null || gBeta != null) {
                java.util.Arrays.fill(acc, 0);
                java.util.Arrays.fill(acc2, 0);
                for (int b = 0; b < n; b++) {
                    sumBoth8(gy, x, (b * c + ch) * s, s, mu, acc, acc2);
                }
                sdy = combine(acc);
                sdxc = combine(acc2);
            }
            double sdx = sdxc * is;
            if (gBeta != null) {
                gBeta[ch] += (float) sdy;
            }
            if (gGamma != null) {
                gGamma[ch] += (float) sdx;
            }
            if (gx == null) {
                continue;
            }
            double k = (gamma == null ? 1.0 : gamma[ch]) * is;
            if (training) {
                // k * (dy - sdy/m - (x - mean) * invstd * sdx / m) = A dy + B (x - mean) + C, in
                // float: the per-element double conversions cost ten times the arithmetic.
                float a = (float) k;
                float bx = (float) (-k * is * sdx / m);
                float cc = (float) (-k * sdy / m);
                float muf = (float) mu;
                for (int b = 0; b < n; b++) {
                    int o = (b * c + ch) * s;
                    for (int i = o, end = o + s; i < end; i++) {
                        gx[i] += a * gy[i] + (bx * (x[i] - muf) + cc);
                    }
                }
            } else {
                float kf = (float) k;
                for (int b = 0; b < n; b++) {
                    int o = (b * c + ch) * s;
                    for (int i = o, end = o + s; i < end; i++) {
                        gx[i] += kf * gy[i];
                    }
                }
            }
        }
    }
}
