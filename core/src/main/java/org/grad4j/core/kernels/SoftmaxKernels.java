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
     * Per row {@code r} of {@code logits [rows, classes]} with label {@code y = labels[r]}, the
     * cross-entropy against the smoothed target, with class weights {@code w} (all 1 when
     * {@code weight} is null):
     * {@code loss[r] = (1 - eps) w_y (lse - z_y) + (eps / classes) sum_j w_j (lse - z_j)}
     * (PyTorch's label smoothing with weights); rows labelled {@code ignoreIndex} get loss 0. If
     * {@code softmax} is not null it receives the probabilities of the other rows (for the
     * backward pass). The other labels are trusted to lie in {@code [0, classes)}. Only
     * {@code loss} and {@code softmax} are modified.
     */
    public static void crossEntropy(float[] logits, int rows, int classes, int[] labels, float[] weight,
                                    int ignoreIndex, double smoothing, double[] loss, float[] softmax) {
        for (int r = 0; r < rows; r++) {
            if (labels[r] == ignoreIndex) {
                loss[r] = 0;
                continue;
            }
            int base = r * classes;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < classes; j++) {
                max = Math.max(max, logits[base + j]);
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
            if (weight == null) {
                if (smoothing == 0) {
                    loss[r] = nll;
                } else {
                    double sumZ = 0;
                    for (int j = 0; j < classes; j++) {
                        sumZ += logits[base + j];
                    }
                    loss[r] = (1 - smoothing) * nll + smoothing * (lse - sumZ / classes);
                }
            } else {
                double smooth = 0;
                if (smoothing != 0) {
                    for (int j = 0; j < classes; j++) {
                        smooth += weight[j] * (lse - logits[base + j]);
                    }
                }
                loss[r] = (1 - smoothing) * weight[labels[r]] * nll + smoothing / classes * smooth;
            }
        }
    }

    /**
     * The backward pass of {@link #crossEntropy}:
     * {@code d loss[r] / d z_j = p_j ((1 - eps) w_y + (eps / classes) sum_k w_k) - (1 - eps) w_y [j = y]
     * - (eps / classes) w_j}, which without weights is {@code p_j - t_j} for the smoothed one-hot
     * target {@code t}. Row {@code r} is scaled by {@code scale[r]} (the upstream gradient, divided
     * by the mean's denominator); ignored rows get nothing. Only {@code gx} is modified, by adding.
     */
    public static void crossEntropyBackward(float[] softmax, int rows, int classes, int[] labels, float[] weight,
                                            int ignoreIndex, double smoothing, float[] scale, float[] gx) {
        double weightSum = 0;
        if (weight != null) {
            for (float w : weight) {
                weightSum += w;
            }
        }
        float off = (float) (smoothing / classes);
        float on = (float) (1 - smoothing) + off;
        for (int r = 0; r < rows; r++) {
            if (labels[r] == ignoreIndex) {
                continue;
            }
            int base = r * classes;
            float g = scale[r];
            int label = base + labels[r];
            if (weight == null) {
                for (int j = 0; j < classes; j++) {
                    int k = base + j;
                    gx[k] += g * (softmax[k] - (k == label ? on : off));
                }
            } else {
                double wy = (1 - smoothing) * weight[labels[r]];
                float pScale = (float) (wy + smoothing / classes * weightSum);
                for (int j = 0; j < classes; j++) {
                    int k = base + j;
                    float target = off * weight[j] + (k == label ? (float) wy : 0f);
                    gx[k] += g * (softmax[k] * pScale - target);
                }
            }
        }
    }
}
