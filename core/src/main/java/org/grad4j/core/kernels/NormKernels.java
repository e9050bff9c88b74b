package org.grad4j.core.kernels;

/**
 * Batch normalisation on {@code x [N, C, S]} (S = H*W, L or 1): per-channel statistics, the affine
 * normalisation and its backward pass. Every sum is accumulated in double, so statistics over a
 * large batch keep float32's precision.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class NormKernels {
    private NormKernels() {
    }

    /**
     * Per channel {@code c}: {@code mean[c] = sum x / m} and the biased variance
     * {@code var[c] = sum (x - mean)^2 / m}, {@code m = N*S}, in two passes (the one-pass
     * {@code E[x^2] - E[x]^2} cancels catastrophically when the mean is large). Only {@code mean}
     * and {@code var} are modified.
     */
    public static void channelStats(float[] x, int n, int c, int s, double[] mean, double[] var) {
        double m = (double) n * s;
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int b = 0; b < n; b++) {
                int o = (b * c + ch) * s;
                for (int i = 0; i < s; i++) {
                    sum += x[o + i];
                }
            }
            double mu = sum / m;
            double sq = 0;
            for (int b = 0; b < n; b++) {
                int o = (b * c + ch) * s;
                for (int i = 0; i < s; i++) {
                    double d = x[o + i] - mu;
                    sq += d * d;
                }
            }
            mean[ch] = mu;
            var[ch] = sq / m;
        }
    }

    /**
     * {@code y = (x - mean[c]) * invstd[c] * gamma[c] + beta[c]}; a null {@code gamma} means 1, a
     * null {@code beta} means 0. Only {@code y} is modified.
     */
    public static void normalize(float[] x, int n, int c, int s, double[] mean, double[] invstd,
                                 float[] gamma, float[] beta, float[] y) {
        for (int ch = 0; ch < c; ch++) {
            float mu = (float) mean[ch];
            float scale = (float) (invstd[ch] * (gamma == null ? 1.0 : gamma[ch]));
            float shift = beta == null ? 0f : beta[ch];
            for (int b = 0; b < n; b++) {
                int o = (b * c + ch) * s;
                for (int i = 0; i < s; i++) {
                    y[o + i] = (x[o + i] - mu) * scale + shift;
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
        double m = (double) n * s;
        for (int ch = 0; ch < c; ch++) {
            double mu = mean[ch];
            double is = invstd[ch];
            double sdy = 0;
            double sdxc = 0;
            for (int b = 0; b < n; b++) {
                int o = (b * c + ch) * s;
                for (int i = 0; i < s; i++) {
                    double g = gy[o + i];
                    sdy += g;
                    sdxc += g * (x[o + i] - mu);
                }
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
                double meanDy = sdy / m;
                // xhat * sdx / m = (x - mean) * (invstd * sdx / m)
                double proj = is * sdx / m;
                for (int b = 0; b < n; b++) {
                    int o = (b * c + ch) * s;
                    for (int i = 0; i < s; i++) {
                        gx[o + i] += (float) (k * (gy[o + i] - meanDy - (x[o + i] - mu) * proj));
                    }
                }
            } else {
                float kf = (float) k;
                for (int b = 0; b < n; b++) {
                    int o = (b * c + ch) * s;
                    for (int i = 0; i < s; i++) {
                        gx[o + i] += kf * gy[o + i];
                    }
                }
            }
        }
    }
}
