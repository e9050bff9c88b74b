package org.grad4j.layers;

import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * Instance normalisation (Ulyanov, Vedaldi and Lempitsky 2016,
 * <a href="https://arxiv.org/abs/1607.08022">arXiv:1607.08022</a>), PyTorch's
 * {@code nn.InstanceNorm2d}: each sample's channel is normalised with its own mean and biased
 * variance over its {@code H*W} values, {@code y = (x - mean[n, c]) / sqrt(var[n, c] + eps) * weight[c] + bias[c]}:
 * {@link Functional#groupNorm} with one group per channel.
 *
 * <p>PyTorch's defaults: {@code affine=False}, {@code track_running_stats=False},
 * {@code momentum=0.1}. With {@code trackRunningStats}:
 * <ul>
 *   <li><b>Training</b>: the per-instance statistics as above, then, with grad mode off,
 *       {@code running_mean = (1 - m) * running_mean + m * mean_n(mean[n, c])} and
 *       {@code running_var = (1 - m) * running_var + m * mean_n(var[n, c] * S / (S - 1))}: the
 *       <i>unbiased</i> per-instance variance averaged over the batch ({@code S = H*W}), as
 *       PyTorch 1.13 does. {@code num_batches_tracked} is kept for the state dict but, as in
 *       PyTorch, never incremented.
 *   <li><b>Evaluation</b>: {@code y = (x - running_mean) / sqrt(running_var + eps) * weight + bias},
 *       batch normalisation's inference.
 * </ul>
 * Without tracking both modes use the per-instance statistics. These need more than one value per
 * plane: otherwise PyTorch's {@code Expected more than 1 spatial element when training, got input
 * size [2, 3, 1, 1]}.
 *
 * <p>Shapes: x {@code [N, C, H, W]} or unbatched {@code [C, H, W]}, y the same. Parameters
 * {@code weight} (ones) and {@code bias} (zeros) {@code [C]} with {@code affine}; buffers
 * {@code running_mean} (zeros), {@code running_var} (ones) and {@code num_batches_tracked} with
 * {@code trackRunningStats}: PyTorch's state-dict keys.
 */
public final class InstanceNorm2d extends Module {
    private final int numFeatures;
    private final double eps;
    private final double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;

    /** {@code InstanceNorm2d(numFeatures, 1e-5, 0.1, false, false)}: PyTorch's defaults. */
    public InstanceNorm2d(int numFeatures) {
        this(numFeatures, BatchNorm.DEFAULT_EPS, BatchNorm.DEFAULT_MOMENTUM, false, false);
    }

    /**
     * A layer with PyTorch's options.
     *
     * @param numFeatures the number of channels C
     * @param eps added to the variance inside the square root
     * @param momentum the weight of the new statistic in the running average (PyTorch takes no
     *     {@code None} here)
     * @param affine whether there are a learnable per-channel weight and bias
     * @param trackRunningStats whether running statistics are kept and used in evaluation mode
     * @throws IllegalArgumentException if numFeatures is not positive, eps is negative or not
     *     finite, or momentum is outside {@code [0, 1]}
     */
    public InstanceNorm2d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures < 1) {
            throw new IllegalArgumentException("InstanceNorm2d: num_features must be positive, got " + numFeatures);
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("InstanceNorm2d: eps must be finite and non-negative, got " + eps);
        }
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("InstanceNorm2d: momentum must be between 0 and 1, got " + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? parameter("weight", Tensor.ones(numFeatures)) : null;
        this.bias = affine ? parameter("bias", Tensor.zeros(numFeatures)) : null;
        this.runningMean = trackRunningStats ? buffer("running_mean", Tensor.zeros(numFeatures)) : null;
        this.runningVar = trackRunningStats ? buffer("running_var", Tensor.ones(numFeatures)) : null;
        if (trackRunningStats) {
            integerBuffer("num_batches_tracked", Tensor.scalar(0));
        }
    }

    /**
     * Normalises {@code x} with per-instance statistics (training, or no running statistics) or
     * the running statistics (evaluation), updating them in training mode.
     *
     * @throws IllegalArgumentException if {@code x} is not 3-D or 4-D or has another channel count
     *     (the message names the layer and both shapes), or per-instance statistics are needed and
     *     a plane has a single value
     */
    @Override
    public Tensor forward(Tensor x) {
        String label = "InstanceNorm2d(" + numFeatures + ")";
        if (x.rank() != 3 && x.rank() != 4) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.rank()
                    + " dimensions, expected 3 ([C, H, W]) or 4 ([N, C, H, W])");
        }
        if (x.rank() == 3) {
            return forward(x.reshape(1, x.dim(0), x.dim(1), x.dim(2))).reshape(x.shape().dims());
        }
        if (x.dim(1) != numFeatures) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.dim(1)
                    + " channels, expected " + numFeatures);
        }
        if (!isTraining() && runningMean != null) {
            return Functional.batchNormInference(x, runningMean, runningVar, weight, bias, eps);
        }
        long s = (long) x.dim(2) * x.dim(3);
        if (s <= 1) {
            throw new IllegalArgumentException("Expected more than 1 spatial element when training, got input size "
                    + x.shape());
        }
        Functional.BatchNormResult r = Functional.groupNorm(x, numFeatures, weight, bias, eps);
        if (isTraining() && runningMean != null) {
            track(r, x.dim(0), s);
        }
        return r.output();
    }

    /** The running-statistics update from the per-instance statistics {@code [N, C]}. */
    private void track(Functional.BatchNormResult r, int n, long s) {
        float[] mean = r.mean().toArray();
        float[] var = r.variance().toArray();
        float[] batchMean = new float[numFeatures];
        float[] batchVar = new float[numFeatures];
        double unbias = (double) s / (s - 1);
        for (int c = 0; c < numFeatures; c++) {
            double sm = 0;
            double sv = 0;
            for (int i = 0; i < n; i++) {
                sm += mean[i * numFeatures + c];
                sv += var[i * numFeatures + c] * unbias;
            }
            batchMean[c] = (float) (sm / n);
            batchVar[c] = (float) (sv / n);
        }
        try (Tape.NoGrad off = Tape.noGrad()) {
            runningMean.mulInPlace((float) (1 - momentum)).addInPlace((float) momentum, Tensor.of(batchMean));
            runningVar.mulInPlace((float) (1 - momentum)).addInPlace((float) momentum, Tensor.of(batchVar));
        }
    }

    /** The number of channels C. */
    public int numFeatures() {
        return numFeatures;
    }

    /** Added to the variance inside the square root. */
    public double eps() {
        return eps;
    }

    /** The weight of the new statistic in the running average. */
    public double momentum() {
        return momentum;
    }

    /** Whether there are a learnable weight and bias. */
    public boolean affine() {
        return weight != null;
    }

    /** Whether running statistics are kept (and used in evaluation mode). */
    public boolean trackRunningStats() {
        return runningMean != null;
    }

    /** The per-channel scale {@code [C]}, a parameter, or {@code null} without affine. */
    public Tensor weight() {
        return weight;
    }

    /** The per-channel shift {@code [C]}, a parameter, or {@code null} without affine. */
    public Tensor bias() {
        return bias;
    }

    /** The running mean {@code [C]}, a buffer, or {@code null} without running statistics. */
    public Tensor runningMean() {
        return runningMean;
    }

    /** The running (unbiased) variance {@code [C]}, a buffer, or {@code null} without running statistics. */
    public Tensor runningVar() {
        return runningVar;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + Repr.pyFloat(eps) + ", momentum=" + Repr.pyFloat(momentum) + ", affine="
                + Repr.bool(affine()) + ", track_running_stats=" + Repr.bool(trackRunningStats());
    }
}
