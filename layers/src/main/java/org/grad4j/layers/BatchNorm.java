package org.grad4j.layers;

import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * Batch normalisation with PyTorch's semantics, the shared part of {@link BatchNorm1d} and
 * {@link BatchNorm2d}. The math is core's ({@link Functional#batchNormTraining},
 * {@link Functional#batchNormInference}); this class is the bookkeeping: parameters, buffers,
 * the mode, and the running-statistics update.
 *
 * <p>Per channel {@code c}, over the {@code n} values of that channel in the batch (N for
 * {@code [N, C]}, N*L for {@code [N, C, L]}, N*H*W for {@code [N, C, H, W]}):
 * <ul>
 *   <li><b>Training</b> ({@link #isTraining()}): {@code y = (x - mean) / sqrt(var + eps) * weight + bias}
 *       with the batch mean and the <i>biased</i> batch variance ({@code / n}); then, with grad
 *       mode off, {@code num_batches_tracked += 1} and
 *       {@code running_mean = (1 - m) * running_mean + m * mean},
 *       {@code running_var = (1 - m) * running_var + m * var * n / (n - 1)} (the <i>unbiased</i>
 *       variance), where {@code m = momentum}, or {@code m = 1 / num_batches_tracked} when momentum
 *       is {@code null} (a cumulative moving average: the plain mean of all batches seen).
 *   <li><b>Evaluation</b>: {@code y = (x - running_mean) / sqrt(running_var + eps) * weight + bias};
 *       nothing is updated.
 *   <li>Without {@code trackRunningStats} there are no buffers and both modes use the batch
 *       statistics (PyTorch registers {@code running_mean} and friends as {@code None}).
 * </ul>
 * Training mode needs more than one value per channel: otherwise an
 * {@code IllegalArgumentException} with PyTorch's text,
 * {@code Expected more than 1 value per channel when training, got input size [1, 120]}, and
 * nothing is updated. Grad mode ({@link Tape#noGrad()}) does not change what is computed.
 *
 * <p>Parameters {@code weight} (gamma, ones) and {@code bias} (beta, zeros) of shape {@code [C]},
 * absent without {@code affine}. Buffers {@code running_mean} (zeros), {@code running_var} (ones)
 * and {@code num_batches_tracked} (0: an int64 in PyTorch, a float32 scalar here, exact up to 2^24
 * batches, saved as I64 by {@link StateDicts}).
 *
 * <p>See d2l's <a href="https://d2l.ai/chapter_convolutional-modern/batch-norm.html">Batch
 * Normalization</a> section and Ioffe and Szegedy, <i>Batch Normalization: Accelerating Deep Network
 * Training by Reducing Internal Covariate Shift</i> (2015,
 * <a href="https://arxiv.org/abs/1502.03167">arXiv:1502.03167</a>). {@code docs/semantics.md}
 * puts these formulas next to the chapter's own convention ({@link ScratchBatchNorm}).
 */
public abstract class BatchNorm extends Module {
    /** PyTorch's default {@code eps}. */
    public static final double DEFAULT_EPS = 1e-5;
    /** PyTorch's default {@code momentum}: the weight of the NEW batch statistic. */
    public static final double DEFAULT_MOMENTUM = 0.1;

    private final int numFeatures;
    private final double eps;
    private final Double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;

    BatchNorm(String name, int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures < 1) {
            throw new IllegalArgumentException(name + ": num_features must be positive, got " + numFeatures);
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(name + ": eps must be finite and non-negative, got " + eps);
        }
        if (momentum != null && !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(name + ": momentum must be between 0 and 1 (or null), got " + momentum);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? parameter("weight", Tensor.ones(numFeatures)) : null;
        this.bias = affine ? parameter("bias", Tensor.zeros(numFeatures)) : null;
        this.runningMean = trackRunningStats ? buffer("running_mean", Tensor.zeros(numFeatures)) : null;
        this.runningVar = trackRunningStats ? buffer("running_var", Tensor.ones(numFeatures)) : null;
        this.numBatchesTracked = trackRunningStats ? integerBuffer("num_batches_tracked", Tensor.scalar(0)) : null;
    }

    /** Whether {@code rank} is an input rank this layer takes. */
    abstract boolean acceptsRank(int rank);

    /** The accepted shapes for error messages, e.g. {@code [N, C, H, W]}. */
    abstract String expectedShapes();

    /**
     * Normalises {@code x} with batch statistics (training, or no running statistics) or running
     * statistics (evaluation), updating the running statistics in training mode.
     *
     * @throws IllegalArgumentException if {@code x} has the wrong rank or channel count (the message
     *     names the layer and both shapes), or in training with one value per channel
     */
    @Override
    public Tensor forward(Tensor x) {
        String label = typeName() + "(" + numFeatures + ")";
        if (!acceptsRank(x.rank())) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.rank()
                    + " dimensions, expected " + expectedShapes());
        }
        if (x.dim(1) != numFeatures) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.dim(1)
                    + " channels, expected " + numFeatures);
        }
        if (!isTraining() && runningMean != null) {
            return Functional.batchNormInference(x, runningMean, runningVar, weight, bias, eps);
        }
        Functional.BatchNormResult r = Functional.batchNormTraining(x, weight, bias, eps);
        if (isTraining() && runningMean != null) {
            long n = x.size() / numFeatures;
            try (Tape.NoGrad off = Tape.noGrad()) {
                numBatchesTracked.set(numBatchesTracked.item() + 1);
                double m = momentum != null ? momentum : 1.0 / numBatchesTracked.item();
                runningMean.mulInPlace((float) (1 - m)).addInPlace((float) m, r.mean());
                runningVar.mulInPlace((float) (1 - m)).addInPlace((float) (m * n / (n - 1)), r.variance());
            }
        }
        return r.output();
    }

    /**
     * Sets {@code running_mean} to 0, {@code running_var} to 1 and {@code num_batches_tracked} to 0
     * (nothing without running statistics).
     */
    public void resetRunningStats() {
        if (runningMean != null) {
            Init.zeros(runningMean);
            Init.ones(runningVar);
            Init.zeros(numBatchesTracked);
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

    /**
     * The weight of the new batch statistic in the running average, or {@code null} for the
     * cumulative average.
     */
    public Double momentum() {
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

    /** gamma {@code [C]}, a parameter, or {@code null} without affine. */
    public Tensor weight() {
        return weight;
    }

    /** beta {@code [C]}, a parameter, or {@code null} without affine. */
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

    /** The number of training batches seen (0 without running statistics). */
    public long numBatchesTracked() {
        return numBatchesTracked == null ? 0 : (long) numBatchesTracked.item();
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + Repr.pyFloat(eps) + ", momentum=" + Repr.pyFloat(momentum) + ", affine="
                + Repr.bool(affine()) + ", track_running_stats=" + Repr.bool(trackRunningStats());
    }
}
