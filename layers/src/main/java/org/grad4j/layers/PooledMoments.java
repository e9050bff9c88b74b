package org.grad4j.layers;

import java.io.Serializable;
import org.grad4j.core.Tensor;

/**
 * The per-channel count, mean and sum of squared deviations of a stream of {@code [N, C, ...]}
 * tensors, pooled exactly in double: each batch's moments by two passes over its values, then
 * combined with the running ones by Chan, Golub and LeVeque's pairwise update
 * ({@code delta = mean_b - mean}, {@code n = n_a + n_b}, {@code mean += delta * n_b / n},
 * {@code M2 += M2_b + delta^2 * n_a * n_b / n}). The result is the mean and variance of all values
 * seen as if they were one array, which neither an average of batch variances nor a moving average
 * gives. {@link BatchNorms#moments} returns them per layer; {@link #merge} pools the moments of
 * two disjoint sets of values by the same update, so shards measured apart give the statistics of
 * their union (serializable, to travel between machines).
 */
public final class PooledMoments implements Serializable {
    private static final long serialVersionUID = 1L;

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
        double[] batchMean = new double[channels];
        double[] batchM2 = new double[channels];
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
            batchMean[c] = mb;
            batchM2[c] = m2b;
        }
        pool(nb, batchMean, batchM2);
    }

    /** Values seen per channel. */
    public long count() {
        return count;
    }

    /** The number of channels. */
    public int channels() {
        return channels;
    }

    /**
     * Adds the moments of {@code other}, values disjoint from these (another data shard), by the
     * pairwise update above; returns {@code this}. Merging the shards' moments in a fixed order gives
     * the same bits on every run; a different order may differ in the last bits of the double sums.
     *
     * @throws IllegalArgumentException if {@code other} has another number of channels
     */
    public PooledMoments merge(PooledMoments other) {
        if (other.channels != channels) {
            throw new IllegalArgumentException("merge: moments of " + other.channels + " channels, expected " + channels);
        }
        if (other.count > 0) {
            pool(other.count, other.mean, other.m2);
        }
        return this;
    }

    /** Pools {@code nb} more values per channel with means {@code mb} and sums of squared deviations {@code m2b}. */
    private void pool(long nb, double[] mb, double[] m2b) {
        long total = count + nb;
        for (int c = 0; c < channels; c++) {
            double delta = mb[c] - mean[c];
            mean[c] += delta * nb / total;
            m2[c] += m2b[c] + delta * delta * ((double) count * nb / total);
        }
        count = total;
    }

    /** The mean of every value seen, per channel, rounded to float. */
    public float[] mean() {
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) {
            out[c] = (float) mean[c];
        }
        return out;
    }

    /** The unbiased variance ({@code M2 / (count - 1)}) of every value seen, per channel, rounded to float. */
    public float[] unbiasedVariance() {
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) {
            out[c] = (float) (m2[c] / (count - 1));
        }
        return out;
    }
}
