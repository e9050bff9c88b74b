package org.grad4j.layers;

import org.grad4j.core.Tensor;

/**
 * The per-channel count, mean and sum of squared deviations of a stream of {@code [N, C, ...]}
 * tensors, pooled exactly in double: each batch's moments by two passes over its values, then
 * combined with the running ones by Chan, Golub and LeVeque's pairwise update
 * ({@code delta = mean_b - mean}, {@code n = n_a + n_b}, {@code mean += delta * n_b / n},
 * {@code M2 += M2_b + delta^2 * n_a * n_b / n}). The result is the mean and variance of all values
 * seen as if they were one array, which neither an average of batch variances nor a moving average
 * gives.
 */
final class PooledMoments {
    private final int channels;
    private final double[] mean;
    private final double[] m2;
    private long count;

    PooledMoments(int channels) {
        this.channels = channels;
        this.mean = new double[channels];
        this.m2 = new double[channels];
    }

    /** Adds the values of {@code x [N, C, ...]}, channel by channel. */
    void add(Tensor x) {
        float[] v = x.toArray();
        int n = x.dim(0);
        int inner = v.length / (n * channels);
        long nb = (long) n * inner;
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                int base = (i * channels + c) * inner;
                for (int j = 0; j < inner; j++) {
                    sum += v[base + j];
                }
            }
            double mb = sum / nb;
            double m2b = 0;
            for (int i = 0; i < n; i++) {
                int base = (i * channels + c) * inner;
                for (int j = 0; j < inner; j++) {
                    double d = v[base + j] - mb;
                    m2b += d * d;
                }
            }
            long total = count + nb;
            double delta = mb - mean[c];
            mean[c] += delta * nb / total;
            m2[c] += m2b + delta * delta * ((double) count * nb / total);
        }
        count += nb;
    }

    /** Values seen per channel. */
    long count() {
        return count;
    }

    /** The mean of every value seen, per channel, rounded to float. */
    float[] mean() {
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) {
            out[c] = (float) mean[c];
        }
        return out;
    }

    /** The unbiased variance ({@code M2 / (count - 1)}) of every value seen, per channel, rounded to float. */
    float[] unbiasedVariance() {
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) {
            out[c] = (float) (m2[c] / (count - 1));
        }
        return out;
    }
}
