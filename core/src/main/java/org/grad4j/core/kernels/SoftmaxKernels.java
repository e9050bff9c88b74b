package org.grad4j.core.kernels;

/**
 * Log-softmax and cross-entropy from logits, stable for any finite logits: every exponent is
 * taken after subtracting the row's maximum, so {@code exp} never overflows and the largest term
 * is exactly 1 ({@code log-sum-exp = max + log(sum exp(z - max))}). Sums are in double.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    /**
     * {@code y = x - logsumexp(x)} along a dimension of length {@code n}; the tensor is viewed as
     * {@code [outer, n, inner]} and the dimension is the middle one. Only {@code y} is modified.
     */
    public static void logSoftmax(float[] x, int outer, int n, int inner, float[] y) {
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = o * n * inner + j;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < n; i++) {
                    max = Math.max(max, x[base + i * inner]);
                }
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += Math.exp(x[base + i * inner] - max);
                }
                double lse = max + Math.log(s);
                for (int i = 0; i < n; i++) {
                    y[base + i * inner] = (float) (x[base + i * inner] - lse);
                }
            }
        }
    }

    /**
     * The backward pass of {@link #logSoftmax} given its output {@code y}:
     * {@code dx_i += dy_i - softmax_i * sum_k dy_k} with {@code softmax = exp(y)}
     * (from {@code d y_i / d x_k = [i == k] - softmax_k}). Only {@code gx} is modified, by adding.
     */
    public static void logSoftmaxBackward(float[] y, float[] gy, int outer, int n, int inner, float[] gx) {
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = o * n * inner + j;
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += gy[base + i * inner];
                }
                for (int i = 0; i < n; i++) {
                    int k = base + i * inner;
                    gx[k] += (float) (gy[k] - Math.exp(y[k]) * s);
                }
            }
        }
    }

    /**
     * Per row {@code r} of {@code logits [rows, classes]}, the cross-entropy against the smoothed
     * target {@code t = (1 - eps) * onehot(labels[r]) + eps / classes}:
     * {@code loss[r] = -sum_j t_j log softmax_j = (1 - eps) (lse - z_label) + eps (lse - mean_j z_j)}.
     * If {@code softmax} is not null it receives the probabilities (for the backward pass). Labels
     * are trusted to lie in {@code [0, classes)}. Only {@code loss} and {@code softmax} are
     * modified.
     */
    public static void crossEntropy(float[] logits, int rows, int classes, int[] labels, double smoothing,
                                    double[] loss, float[] softmax) {
        for (int r = 0; r < rows; r++) {
            int base = r * classes;
            float max = Float.NEGATIVE_INFINITY;
            double sumZ = 0;
            for (int j = 0; j < classes; j++) {
                float z = logits[base + j];
                max = Math.max(max, z);
                sumZ += z;
            }
            double s = 0;
            for (int j = 0; j < classes; j++) {
                double e = Math.exp(logits[base + j] - max);
                s += e;
                if (softmax != null) {
                    softmax[base + j] = (float) e;
                }
            }
            double lse = max + Math.log(s);
            if (softmax != null) {
                double inv = 1.0 / s;
                for (int j = 0; j < classes; j++) {
                    softmax[base + j] = (float) (softmax[base + j] * inv);
                }
            }
            double nll = lse - logits[base + labels[r]];
            loss[r] = smoothing == 0 ? nll : (1 - smoothing) * nll + smoothing * (lse - sumZ / classes);
        }
    }

    /**
     * The backward pass of {@link #crossEntropy}: {@code d loss[r] / d z_j = softmax_j - t_j},
     * because {@code sum_j t_j = 1}. Row {@code r} is scaled by {@code scale[r]} (the upstream
     * gradient, divided by the batch size for a mean). Only {@code gx} is modified, by adding.
     */
    public static void crossEntropyBackward(float[] softmax, int rows, int classes, int[] labels,
                                            double smoothing, float[] scale, float[] gx) {
        float off = (float) (smoothing / classes);
        float on = (float) (1 - smoothing) + off;
        for (int r = 0; r < rows; r++) {
            int base = r * classes;
            float g = scale[r];
            int label = base + labels[r];
            for (int j = 0; j < classes; j++) {
                int k = base + j;
                gx[k] += g * (softmax[k] - (k == label ? on : off));
            }
        }
    }
}
