package org.grad4j.core.kernels;

/**
 * Batch normalisation on {@code x [N, C, S]} (S = H*W, L or 1): per-channel statistics, the affine
 * normalisation and its backward pass. Statistics over a large batch keep float32's precision:
 * <ul>
 *   <li>portable path, and planes shorter than a vector: every sum accumulated in double (eight
 *       interleaved accumulators over each image's contiguous {@code S} values, combined in a fixed
 *       order);</li>
 *   <li>vector-api path: each plane's whole vectors are summed in float in blocks of a few hundred
 *       values, each block folded into a compensated float running sum (twice float's precision),
 *       and the remaining {@code S mod L} values in double ({@code Blocked}, {@link VectorNorm}).
 *       The double loops ran at about a fifth of the memory bandwidth; the vectors keep up with
 *       it.</li>
 * </ul>
 *
 * <p>The statistics and the backward pass are parallel over channels ({@link Parallel#forRange}):
 * one thread computes all of a channel, in an order fixed by the shape; {@link #normalize} is
 * parallel over the {@code N*C} planes, each element computed alone. So the results are
 * bit-identical for every thread count. The per-element arithmetic of {@link #normalize} and of
 * the input gradient is in float (with per-channel coefficients computed in double): converting
 * every element to double costs several times the arithmetic; the vector loops round exactly as
 * the scalar ones, so both paths give the same bits there.
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
        if (s == 1) {
            statsRows(x, n, c, mean, var, from, to);
            return;
        }
        if (Kernels.SIMD && s >= VectorNorm.L) {
            Blocked r = new Blocked();
            int step = Blocked.channels(n, s, 1);
            for (int c0 = from; c0 < to; c0 += step) {
                r.stats(x, n, c, s, c0, Math.min(to, c0 + step), mean, var);
            }
            return;
        }
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
        if (s == 1) {
            // Planes of one value: along the rows of [N, C], a stretch of channels at a time.
            float[][] k = coefficients(mean, invstd, gamma, beta, 0, c);
            for (int p = from; p < to; ) {
                int ch = p % c;
                int end = Math.min(to, p - ch + c);
                normalizeRow(x, y, p, end - p, k, ch);
                p = end;
            }
            return;
        }
        for (int p = from; p < to; p++) {
            normalizePlane(x, c, s, mean, invstd, gamma, beta, y, p);
        }
    }

    /** {@link #normalize} of plane {@code p} (image {@code p / c}, channel {@code p % c}). */
    private static void normalizePlane(float[] x, int c, int s, double[] mean, double[] invstd, float[] gamma,
                                       float[] beta, float[] y, int p) {
        int ch = p % c;
        float mu = (float) mean[ch];
        float scale = (float) (invstd[ch] * (gamma == null ? 1.0 : gamma[ch]));
        float shift = beta == null ? 0f : beta[ch];
        int o = p * s;
        int i = o;
        if (Kernels.SIMD && s >= VectorNorm.L) {
            // The same three roundings per element as the loop below.
            int vectors = s / VectorNorm.L;
            VectorNorm.normalize(x, y, o, vectors, mu, scale, shift);
            i += vectors * VectorNorm.L;
        }
        for (int end = o + s; i < end; i++) {
            y[i] = (x[i] - mu) * scale + shift;
        }
    }

    /**
     * The training forward pass: {@link #channelStats}, {@code invstd[c] = 1 / sqrt(var[c] + eps)}
     * and {@link #normalize}, with the same results, but channel by channel: a channel is
     * normalised right after its statistics, while its values (a few hundred KB for a
     * convolution's output) are still in the core's cache, instead of being read from memory a
     * second time. Each channel is computed by one thread in the same way, so the results are
     * still bit-identical for every thread count; with fewer channels than threads the three steps
     * run one after the other, each parallel on its own, with the same results. Only
     * {@code mean}, {@code var}, {@code invstd} and {@code y} are modified.
     */
    public static void trainingForward(float[] x, int n, int c, int s, double eps, float[] gamma, float[] beta,
                                       double[] mean, double[] var, double[] invstd, float[] y) {
        if ((long) n * c * s < PARALLEL_MIN) {
            trainingForward(x, n, c, s, eps, gamma, beta, mean, var, invstd, y, 0, c);
        } else if (c >= Kernels.threads()) {
            Parallel.forRange(c, (from, to) -> trainingForward(x, n, c, s, eps, gamma, beta, mean, var, invstd, y,
                    from, to));
        } else {
            channelStats(x, n, c, s, mean, var);
            for (int ch = 0; ch < c; ch++) {
                invstd[ch] = 1.0 / Math.sqrt(var[ch] + eps);
            }
            normalize(x, n, c, s, mean, invstd, gamma, beta, y);
        }
    }

    private static void trainingForward(float[] x, int n, int c, int s, double eps, float[] gamma, float[] beta,
                                        double[] mean, double[] var, double[] invstd, float[] y, int from, int to) {
        if (s == 1) {
            statsRows(x, n, c, mean, var, from, to);
            for (int ch = from; ch < to; ch++) {
                invstd[ch] = 1.0 / Math.sqrt(var[ch] + eps);
            }
            float[][] k = coefficients(mean, invstd, gamma, beta, from, to);
            for (int b = 0; b < n; b++) {
                normalizeRow(x, y, b * c + from, to - from, k, 0);
            }
            return;
        }
        // A group of channels whose values fit in the core's cache at a time (see Blocked.channels).
        int step = Kernels.SIMD && s >= VectorNorm.L ? Blocked.channels(n, s, 1) : 1;
        for (int c0 = from; c0 < to; c0 += step) {
            int c1 = Math.min(to, c0 + step);
            channelStats(x, n, c, s, mean, var, c0, c1);
            for (int ch = c0; ch < c1; ch++) {
                invstd[ch] = 1.0 / Math.sqrt(var[ch] + eps);
            }
            for (int b = 0; b < n; b++) {
                for (int ch = c0; ch < c1; ch++) {
                    normalizePlane(x, c, s, mean, invstd, gamma, beta, y, b * c + ch);
                }
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
        backward(x, gy, n, c, s, mean, invstd, gamma, training, gx, gGamma, gBeta, false);
    }

    /**
     * {@link #backward(float[], float[], int, int, int, double[], double[], float[], boolean, float[],
     * float[], float[])}, or with {@code assignGx} the same but writing {@code gx} instead of adding
     * to it: its contents are ignored, as if they were zeros (the tape's fresh gradient buffers).
     */
    public static void backward(float[] x, float[] gy, int n, int c, int s, double[] mean, double[] invstd,
                                float[] gamma, boolean training, float[] gx, float[] gGamma, float[] gBeta,
                                boolean assignGx) {
        backward(x, gy, n, c, s, mean, invstd, gamma, training ? Mode.FULL : Mode.FIXED, gx, gGamma, gBeta, assignGx);
    }

    /**
     * Which statistics of a normalisation {@code y = (x - mu) * invstd * gamma + beta} are the
     * batch's own, so that the backward pass differentiates through them (each as a function of
     * every {@code x} of its channel), and which are constants.
     */
    public enum Mode {
        /** Given statistics (inference, a frozen layer): {@code mu = mean}, {@code invstd} constants. */
        FIXED,
        /** Batch norm in training: {@code mu = mean} the batch mean, {@code invstd} from the batch variance. */
        FULL,
        /** Mean-only: {@code mu = mean} the batch mean, {@code invstd} a constant (1 for the layer). */
        MEAN_ONLY,
        /**
         * Scale-only: {@code mu = 0} (the input is not centred), {@code invstd} from the batch
         * variance around the batch mean {@code mean}.
         */
        SCALE_ONLY
    }

    /**
     * The backward pass of {@link #normalize} in any {@link Mode}, adding into each non-null
     * gradient array (writing {@code gx} with {@code assignGx}). {@code mean} is the batch mean in
     * every mode but {@link Mode#FIXED}, where it is the mean that was subtracted; in
     * {@link Mode#SCALE_ONLY} nothing was subtracted. With {@code xhat = (x - mu) * invstd} the
     * value before the affine step, {@code m = N*S}, {@code sdy = sum dy} and
     * {@code sdx = sum dy * xhat} per channel, and {@code k = gamma * invstd}:
     * {@code dbeta += sdy}, {@code dgamma += sdx} and
     * <pre>
     * dx += k * dy  -  [mu is the batch mean] k * sdy / m  -  [invstd is the batch's] k * invstd * (x - mean) * sdx / m
     * </pre>
     * The second term is the mean's: {@code d mean / d x_j = 1/m}. The third is the variance's:
     * {@code d invstd / d x_j = -invstd^3 (x_j - mean) / m}, against
     * {@code sum_i dy_i gamma (x_i - mu) = gamma sdx / invstd}; for {@link Mode#FULL} it is
     * PyTorch's closed form, and it holds as well when {@code mu = 0}, where
     * {@code sum dy x = sum dy (x - mean) + mean * sum dy}.
     */
    public static void backward(float[] x, float[] gy, int n, int c, int s, double[] mean, double[] invstd,
                                float[] gamma, Mode mode, float[] gx, float[] gGamma, float[] gBeta,
                                boolean assignGx) {
        if ((long) n * c * s < PARALLEL_MIN) {
            backward(x, gy, n, c, s, mean, invstd, gamma, mode, gx, gGamma, gBeta, assignGx, 0, c);
        } else {
            Parallel.forRange(c, (from, to) -> backward(x, gy, n, c, s, mean, invstd, gamma, mode, gx, gGamma,
                    gBeta, assignGx, from, to));
        }
    }

    static void backward(float[] x, float[] gy, int n, int c, int s, double[] mean, double[] invstd,
                         float[] gamma, Mode mode, float[] gx, float[] gGamma, float[] gBeta,
                         boolean assignGx, int from, int to) {
        if (s == 1) {
            if (assignGx && gx != null) {
                // Rows: this range's channels of every row (small: BatchNorm1d).
                for (int b = 0; b < n; b++) {
                    java.util.Arrays.fill(gx, b * c + from, b * c + to, 0f);
                }
            }
            backwardRows(x, gy, n, c, mean, invstd, gamma, mode, gx, gGamma, gBeta, from, to);
            return;
        }
        double m = (double) n * s;
        double[] acc = new double[8];
        double[] acc2 = new double[8];
        boolean simd = Kernels.SIMD && s >= VectorNorm.L;
        int vectors = simd ? s / VectorNorm.L : 0;
        Blocked r = simd ? new Blocked() : null;
        // One channel at a time on the portable path; on the vector-api path a group of channels
        // whose x and dy fit in the core's cache, walked in memory order (see Blocked.channels).
        int step = simd ? Blocked.channels(n, s, 2) : 1;
        boolean sums = mode != Mode.FIXED || gGamma != null || gBeta != null;
        for (int c0 = from; c0 < to; c0 += step) {
            int c1 = Math.min(to, c0 + step);
            int w = c1 - c0;
            double[] sdy = new double[w];
            double[] sdxc = new double[w];
            if (sums && simd) {
                r.gradientSums(gy, x, n, c, s, c0, c1, mean);
                System.arraycopy(r.sum0, 0, sdy, 0, w);
                System.arraycopy(r.sum1, 0, sdxc, 0, w);
            } else if (sums) {
                for (int j = 0; j < w; j++) {
                    java.util.Arrays.fill(acc, 0);
                    java.util.Arrays.fill(acc2, 0);
                    for (int b = 0; b < n; b++) {
                        sumBoth8(gy, x, (b * c + c0 + j) * s, s, mean[c0 + j], acc, acc2);
                    }
                    sdy[j] = combine(acc);
                    sdxc[j] = combine(acc2);
                }
            }
            float[][] coef = gradCoefficients(sdy, sdxc, c0, w, m, mean, invstd, gamma, mode, gGamma, gBeta);
            float[] a = coef[0];
            float[] bx = coef[1];
            float[] cc = coef[2];
            float[] muf = coef[3];
            if (gx == null) {
                continue;
            }
            for (int b = 0; b < n; b++) {
                for (int j = 0; j < w; j++) {
                    int o = (b * c + c0 + j) * s;
                    if (mode != Mode.FIXED) {
                        gradTraining(x, gy, gx, o, s, vectors, a[j], bx[j], cc[j], muf[j], assignGx);
                    } else {
                        gradFixed(gy, gx, o, s, vectors, a[j], assignGx);
                    }
                }
            }
        }
    }

    /**
     * For channels {@code c0 .. c0 + w} with gradient sums {@code sdy = sum dy} and
     * {@code sdxc = sum dy (x - mean)} over {@code m} values each: adds the parameter gradients
     * ({@code dbeta = sdy}, {@code dgamma = sdx}) and returns the float coefficients
     * {@code {a, bx, cc, mu}} of {@code dx = a * dy + (bx * (x - mu) + cc)}, the formula of
     * {@link #backward(float[], float[], int, int, int, double[], double[], float[], Mode, float[],
     * float[], float[], boolean)}: {@code a = k}, {@code cc = -k * sdy / m} when the mean is the
     * batch's, {@code bx = -k * invstd * sdx / m} when the variance is; in float because the
     * per-element double conversions cost ten times the arithmetic.
     */
    private static float[][] gradCoefficients(double[] sdy, double[] sdxc, int c0, int w, double m, double[] mean,
                                              double[] invstd, float[] gamma, Mode mode, float[] gGamma,
                                              float[] gBeta) {
        float[] a = new float[w];
        float[] bx = new float[w];
        float[] cc = new float[w];
        float[] muf = new float[w];
        for (int j = 0; j < w; j++) {
            int ch = c0 + j;
            double is = invstd[ch];
            // sum dy * (x - mu): about the batch mean, plus mean * sum dy when nothing was subtracted.
            double sdx = (mode == Mode.SCALE_ONLY ? sdxc[j] + mean[ch] * sdy[j] : sdxc[j]) * is;
            if (gBeta != null) {
                gBeta[ch] += (float) sdy[j];
            }
            if (gGamma != null) {
                gGamma[ch] += (float) sdx;
            }
            double k = (gamma == null ? 1.0 : gamma[ch]) * is;
            a[j] = (float) k;
            boolean batchMean = mode == Mode.FULL || mode == Mode.MEAN_ONLY;
            boolean batchVariance = mode == Mode.FULL || mode == Mode.SCALE_ONLY;
            bx[j] = batchVariance ? (float) (-k * is * sdx / m) : 0f;
            cc[j] = batchMean ? (float) (-k * sdy[j] / m) : 0f;
            muf[j] = (float) mean[ch];
        }
        return new float[][] {a, bx, cc, muf};
    }

    /**
     * {@code gx += a * gy + (bx * (x - mu) + cc)} over the plane {@code [o, o + s)}; with
     * {@code assign}, {@code gx = 0 + (...)}: the same bits as adding into zeros.
     */
    private static void gradTraining(float[] x, float[] gy, float[] gx, int o, int s, int vectors, float a, float bx,
                                     float cc, float mu, boolean assign) {
        int i = o;
        if (vectors > 0) {
            // The same roundings per element as the loop below.
            VectorNorm.gradTraining(x, gy, gx, o, vectors, a, bx, cc, mu, assign);
            i += vectors * VectorNorm.L;
        }
        for (int end = o + s; i < end; i++) {
            gx[i] = (assign ? 0f : gx[i]) + (a * gy[i] + (bx * (x[i] - mu) + cc));
        }
    }

    /** {@code gx += k * gy} over the plane {@code [o, o + s)}; with {@code assign}, {@code gx = 0 + k * gy}. */
    private static void gradFixed(float[] gy, float[] gx, int o, int s, int vectors, float k, boolean assign) {
        int i = o;
        if (vectors > 0) {
            VectorNorm.gradFixed(gy, gx, o, vectors, k, assign);
            i += vectors * VectorNorm.L;
        }
        for (int end = o + s; i < end; i++) {
            gx[i] = (assign ? 0f : gx[i]) + k * gy[i];
        }
    }

    // ---- planes of one value: x [N, C] (BatchNorm1d) ----
    //
    // A channel's values are C apart, so walking a channel at a time touches a cache line per
    // value. These loops run along the rows instead, over the range of channels [from, to) of one
    // thread, with one double accumulator per channel: each channel's sum still runs over the
    // images in order, exactly as the plane-by-plane loops (which put a one-value plane into their
    // first accumulator), so the results have the same bits, on both paths and at every thread
    // count, and the inner loops are contiguous.

    /** {@link #channelStats} for {@code s == 1}, channels {@code [from, to)}. */
    private static void statsRows(float[] x, int n, int c, double[] mean, double[] var, int from, int to) {
        int w = to - from;
        double[] acc = new double[w];
        for (int b = 0; b < n; b++) {
            int o = b * c + from;
            for (int j = 0; j < w; j++) {
                acc[j] += x[o + j];
            }
        }
        double m = n;
        for (int j = 0; j < w; j++) {
            mean[from + j] = acc[j] / m;
            acc[j] = 0;
        }
        for (int b = 0; b < n; b++) {
            int o = b * c + from;
            for (int j = 0; j < w; j++) {
                double d = x[o + j] - mean[from + j];
                acc[j] += d * d;
            }
        }
        for (int j = 0; j < w; j++) {
            var[from + j] = acc[j] / m;
        }
    }

    /**
     * The float coefficients of {@link #normalize} for channels {@code [from, to)}: mean, scale
     * and shift, computed as {@link #normalizePlane} computes them.
     */
    private static float[][] coefficients(double[] mean, double[] invstd, float[] gamma, float[] beta, int from,
                                          int to) {
        float[][] k = new float[3][to - from];
        for (int ch = from; ch < to; ch++) {
            k[0][ch - from] = (float) mean[ch];
            k[1][ch - from] = (float) (invstd[ch] * (gamma == null ? 1.0 : gamma[ch]));
            k[2][ch - from] = beta == null ? 0f : beta[ch];
        }
        return k;
    }

    /** {@code y[o + j] = (x[o + j] - mu) * scale + shift} with the coefficients of {@code k[.][j0 + j]}, {@code j < len}. */
    private static void normalizeRow(float[] x, float[] y, int o, int len, float[][] k, int j0) {
        float[] mu = k[0];
        float[] scale = k[1];
        float[] shift = k[2];
        for (int j = 0; j < len; j++) {
            y[o + j] = (x[o + j] - mu[j0 + j]) * scale[j0 + j] + shift[j0 + j];
        }
    }

    /** {@link #backward} for {@code s == 1}, channels {@code [from, to)}. */
    private static void backwardRows(float[] x, float[] gy, int n, int c, double[] mean, double[] invstd,
                                     float[] gamma, Mode mode, float[] gx, float[] gGamma, float[] gBeta,
                                     int from, int to) {
        int w = to - from;
        double[] sdy = new double[w];
        double[] sdxc = new double[w];
        if (mode != Mode.FIXED || gGamma != null || gBeta != null) {
            for (int b = 0; b < n; b++) {
                int o = b * c + from;
                for (int j = 0; j < w; j++) {
                    double g = gy[o + j];
                    sdy[j] += g;
                    sdxc[j] += g * (x[o + j] - mean[from + j]);
                }
            }
        }
        double m = n;
        float[][] coef = gradCoefficients(sdy, sdxc, from, w, m, mean, invstd, gamma, mode, gGamma, gBeta);
        float[] a = coef[0];
        float[] bx = coef[1];
        float[] cc = coef[2];
        float[] muf = coef[3];
        if (gx == null) {
            return;
        }
        for (int b = 0; b < n; b++) {
            int o = b * c + from;
            if (mode != Mode.FIXED) {
                for (int j = 0; j < w; j++) {
                    gx[o + j] += a[j] * gy[o + j] + (bx[j] * (x[o + j] - muf[j]) + cc[j]);
                }
            } else {
                for (int j = 0; j < w; j++) {
                    gx[o + j] += a[j] * gy[o + j];
                }
            }
        }
    }

    /**
     * The vector-api per-channel sums, for a group of channels {@code [c0, c1)} at a time: each
     * plane's whole vectors in blocks of at most {@link VectorNorm#BLOCK} vectors folded into the
     * channel's compensated float lanes ({@link VectorNorm}), the plane's scalar tail (its last
     * {@code s mod L} values) summed in double, and at the end the lanes (sum plus compensation,
     * each in double) added in lane order. The planes are visited in memory order (image by image,
     * the group's channels within an image): with small planes, walking one channel alone would
     * jump a page at every plane and defeat the prefetchers. A channel's own sums still see its
     * planes in image order and its blocks cut by position within each plane, whatever the group
     * and the thread, so the result depends only on the data and the shape.
     */
    private static final class Blocked {
        /**
         * The values of a group of channels a pass reads again fit in about this many bytes: half
         * of the L2 cache of current x86 cores (1 to 2 MB), so the second pass reads from it.
         */
        static final int GROUP_BYTES = 1 << 20;
        private static final int SUM = 0;
        private static final int DEVIATIONS = 1;
        private static final int GRADIENTS = 2;

        private final int l = VectorNorm.L;
        private float[] acc = new float[0];
        private double[] tail0 = new double[0];
        private double[] tail1 = new double[0];
        private float[] shift = new float[0];
        /** The results of the last {@link #reduce}, per channel of the group. */
        double[] sum0 = new double[0];
        double[] sum1 = new double[0];

        /** Channels per group when a pass reads {@code arrays} arrays of {@code [N, C, S]}: at least 1. */
        static int channels(int n, int s, int arrays) {
            return (int) Math.max(1, GROUP_BYTES / ((long) n * s * Float.BYTES * arrays));
        }

        /**
         * Mean and biased variance of channels {@code [c0, c1)}: a rough mean from a plain sum,
         * then the sums of {@code d = x - mu0} and {@code d^2} with {@code mu0} that rough mean
         * rounded to float (the corrected two-pass algorithm): {@code mean = mu0 + sum d / m},
         * {@code var = (sum d^2 - (sum d)^2 / m) / m}. The deviations are small next to a large
         * mean, so neither sum loses the variance to cancellation, and the correction term makes
         * the result insensitive to the error of {@code mu0}.
         */
        void stats(float[] x, int n, int c, int s, int c0, int c1, double[] mean, double[] var) {
            int w = c1 - c0;
            double m = (double) n * s;
            size(w);
            java.util.Arrays.fill(shift, 0f);
            reduce(SUM, x, null, n, c, s, c0, c1);
            for (int j = 0; j < w; j++) {
                shift[j] = (float) (sum0[j] / m);
            }
            reduce(DEVIATIONS, x, null, n, c, s, c0, c1);
            for (int j = 0; j < w; j++) {
                mean[c0 + j] = shift[j] + sum0[j] / m;
                var[c0 + j] = Math.max(0.0, (sum1[j] - sum0[j] * sum0[j] / m) / m);
            }
        }

        /**
         * {@code sum g} and {@code sum g (x - mean)} over channels {@code [c0, c1)} into
         * {@link #sum0} and {@link #sum1}. The vectors subtract the mean rounded to float,
         * {@code muf}; since {@code sum g (x - mu) = sum g (x - muf) + (muf - mu) sum g}, the
         * difference is added back in double.
         */
        void gradientSums(float[] g, float[] x, int n, int c, int s, int c0, int c1, double[] mean) {
            int w = c1 - c0;
            size(w);
            for (int j = 0; j < w; j++) {
                shift[j] = (float) mean[c0 + j];
            }
            reduce(GRADIENTS, g, x, n, c, s, c0, c1);
            for (int j = 0; j < w; j++) {
                sum1[j] += (shift[j] - mean[c0 + j]) * sum0[j];
            }
        }

        private void size(int w) {
            if (shift.length != w) {
                acc = new float[4 * l * w];
                tail0 = new double[w];
                tail1 = new double[w];
                shift = new float[w];
                sum0 = new double[w];
                sum1 = new double[w];
            }
        }

        /**
         * One blocked pass over channels {@code [c0, c1)}, with {@code mu = shift[j]} for channel
         * {@code c0 + j}: {@code SUM} gives {@code sum (a - mu)} in {@link #sum0};
         * {@code DEVIATIONS} {@code sum (a - mu)} and {@code sum (a - mu)^2}; {@code GRADIENTS}
         * {@code sum a} and {@code sum a (b - mu)}.
         */
        private void reduce(int kind, float[] a, float[] b, int n, int c, int s, int c0, int c1) {
            int w = c1 - c0;
            java.util.Arrays.fill(acc, 0f);
            java.util.Arrays.fill(tail0, 0);
            java.util.Arrays.fill(tail1, 0);
            int vectors = s / l;
            int tail = vectors * l;
            int block = VectorNorm.BLOCK;
            for (int p = 0; p < n; p++) {
                for (int j = 0; j < w; j++) {
                    int o = (p * c + c0 + j) * s;
                    int k = 4 * l * j;
                    float mu = shift[j];
                    for (int v = 0; v < vectors; v += block) {
                        int i = o + v * l;
                        int seg = Math.min(block, vectors - v);
                        if (kind == SUM) {
                            VectorNorm.sum(a, i, seg, mu, acc, k);
                        } else if (kind == DEVIATIONS) {
                            VectorNorm.sumDeviations(a, i, seg, mu, acc, k);
                        } else {
                            VectorNorm.sumGradients(a, b, i, seg, mu, acc, k);
                        }
                    }
                    double t0 = tail0[j];
                    double t1 = tail1[j];
                    for (int i = o + tail, end = o + s; i < end; i++) {
                        if (kind == GRADIENTS) {
                            double g = a[i];
                            t0 += g;
                            t1 += g * (b[i] - mu);
                        } else {
                            double d = a[i] - mu;
                            t0 += d;
                            t1 += d * d;
                        }
                    }
                    tail0[j] = t0;
                    tail1[j] = t1;
                }
            }
            for (int j = 0; j < w; j++) {
                int k = 4 * l * j;
                double s0 = 0;
                double s1 = 0;
                for (int q = 0; q < l; q++) {
                    s0 += (double) acc[k + q] + (double) acc[k + l + q];
                    s1 += (double) acc[k + 2 * l + q] + (double) acc[k + 3 * l + q];
                }
                sum0[j] = s0 + tail0[j];
                sum1[j] = s1 + tail1[j];
            }
        }
    }
}
