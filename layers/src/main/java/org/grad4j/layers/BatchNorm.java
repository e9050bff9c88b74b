package org.grad4j.layers;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 *       is {@code null} (a cumulative moving average: the plain mean of all batches seen). Other
 *       frameworks' conventions (the d2l chapter's, Keras'), which weight the old value and keep the
 *       biased variance, are {@link Momentum} options.
 *   <li><b>Evaluation</b>: {@code y = (x - running_mean) / sqrt(running_var + eps) * weight + bias};
 *       nothing is updated.
 *   <li><b>Frozen</b> ({@link #setFrozen}): as evaluation in both modes, for fine-tuning.
 *   <li><b>Ghost batch norm</b> ({@link #setVirtualBatchSize}, Hoffer, Hubara and Soudry 2017,
 *       <a href="https://arxiv.org/abs/1705.08741">arXiv:1705.08741</a>; Keras'
 *       {@code virtual_batch_size}): in training mode the batch is cut into consecutive chunks of
 *       {@code v} samples, each normalised with its own statistics as above (over its {@code v*S}
 *       values per channel), and the running statistics take one update per chunk, in order, as
 *       if each chunk were a batch of its own ({@code num_batches_tracked} counts chunks).
 *       Evaluation is unchanged.
 *   <li>Without {@code trackRunningStats} there are no buffers and both modes use the batch
 *       statistics (PyTorch registers {@code running_mean} and friends as {@code None}).
 * </ul>
 * Training mode needs more than one value per channel (except {@link Variant#MEAN_ONLY}): otherwise an
 * {@code IllegalArgumentException} with PyTorch's text,
 * {@code Expected more than 1 value per channel when training, got input size [1, 120]}, and
 * nothing is updated. Grad mode ({@link Tape#noGrad()}) does not change what is computed.
 *
 * <p>Parameters {@code weight} (gamma, ones) and {@code bias} (beta, zeros) of shape {@code [C]},
 * absent without {@code affine}. Buffers {@code running_mean} (zeros), {@code running_var} (ones)
 * and {@code num_batches_tracked} (0: an int64 in PyTorch, a float32 scalar here, exact up to 2^24
 * batches, saved as I64 by {@link StateDicts}).
 *
 * <p><b>Variants</b> ({@link Variant}, chosen at construction, default {@link Variant#FULL}): a
 * layer that only removes the batch mean ({@link Variant#MEAN_ONLY},
 * {@code y = x - mean + bias}) or only divides by the batch standard deviation
 * ({@link Variant#SCALE_ONLY}, {@code y = x / sqrt(var + eps) * weight}, not centred), for the
 * chapter's exercise on which half of batch norm does the work. Each has only the parameter and
 * the running statistic its formula uses; everything else (modes, momentum conventions, ghost
 * batches, freezing, {@link BatchNorms}) is as above. PyTorch has no such layers.
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
    private final Variant variant;
    private final boolean affine;
    private final double eps;
    private final Momentum momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private final Tensor numBatchesTracked;
    private boolean frozen;
    /** The ghost batch size, or 0 for statistics over the whole batch. */
    private int virtualBatchSize;
    /** While {@link BatchNorms#recalibrate} runs: the pooled statistics of this layer's inputs. */
    PooledMoments census;

    BatchNorm(String name, int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        this(name, numFeatures, eps, pytorchMomentum(name, momentum), affine, trackRunningStats, Variant.FULL);
    }

    BatchNorm(String name, int numFeatures, double eps, Momentum momentum, boolean affine, boolean trackRunningStats,
              Variant variant) {
        if (numFeatures < 1) {
            throw new IllegalArgumentException(name + ": num_features must be positive, got " + numFeatures);
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(name + ": eps must be finite and non-negative, got " + eps);
        }
        this.numFeatures = numFeatures;
        this.variant = java.util.Objects.requireNonNull(variant, () -> name + ": variant is null");
        this.eps = eps;
        this.momentum = java.util.Objects.requireNonNull(momentum, () -> name + ": momentum convention is null");
        this.affine = affine;
        boolean mean = variant != Variant.SCALE_ONLY;
        boolean scale = variant != Variant.MEAN_ONLY;
        this.weight = affine && scale ? parameter("weight", Tensor.ones(numFeatures)) : null;
        this.bias = affine && mean ? parameter("bias", Tensor.zeros(numFeatures)) : null;
        this.runningMean = trackRunningStats && mean ? buffer("running_mean", Tensor.zeros(numFeatures)) : null;
        this.runningVar = trackRunningStats && scale ? buffer("running_var", Tensor.ones(numFeatures)) : null;
        this.numBatchesTracked = trackRunningStats ? integerBuffer("num_batches_tracked", Tensor.scalar(0)) : null;
    }

    private static Momentum pytorchMomentum(String name, Double momentum) {
        if (momentum == null) {
            return Momentum.cumulative();
        }
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException(name + ": momentum must be between 0 and 1 (or null), got " + momentum);
        }
        return Momentum.pytorch(momentum);
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
     *     names the layer and both shapes), in training with one value per channel (per chunk with a
     *     virtual batch size; not for {@link Variant#MEAN_ONLY}), or in training with a virtual batch
     *     size that does not divide the batch
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
        if ((frozen || !isTraining()) && trackRunningStats()) {
            return normalizeWithRunningStats(x);
        }
        boolean ghost = isTraining() && virtualBatchSize > 0;
        if (ghost && x.dim(0) % virtualBatchSize != 0) {
            throw new IllegalArgumentException(label + ": virtual batch size " + virtualBatchSize
                    + " does not divide the batch of " + x.dim(0) + " (input " + x.shape() + ")");
        }
        boolean track = isTraining() && trackRunningStats();
        if (track && census != null) {
            // Recalibration pools the whole batch itself; the output still follows the chunks.
            census.add(x);
            track = false;
        }
        if (!ghost || virtualBatchSize == x.dim(0)) {
            return normalizeBatch(x, track);
        }
        List<Tensor> parts = new ArrayList<>();
        for (int first = 0; first < x.dim(0); first += virtualBatchSize) {
            parts.add(normalizeBatch(x.narrow(0, first, virtualBatchSize), track));
        }
        return Tensor.cat(parts, 0);
    }

    /** {@code x} normalised with its own statistics, which then update the running ones when {@code track}. */
    private Tensor normalizeBatch(Tensor x, boolean track) {
        Functional.BatchNormResult r;
        switch (variant) {
            case MEAN_ONLY:
                r = Functional.meanOnlyBatchNormTraining(x, bias);
                break;
            case SCALE_ONLY:
                r = Functional.scaleOnlyBatchNormTraining(x, weight, eps);
                break;
            default:
                r = Functional.batchNormTraining(x, weight, bias, eps);
                break;
        }
        if (track) {
            long n = x.size() / numFeatures;
            try (Tape.NoGrad off = Tape.noGrad()) {
                numBatchesTracked.set(numBatchesTracked.item() + 1);
                long t = (long) numBatchesTracked.item();
                double oldWeight = momentum.oldWeight(t);
                double newWeight = momentum.newWeight(t);
                double varWeight = momentum.unbiasedVariance() ? newWeight * n / (n - 1) : newWeight;
                if (runningMean != null) {
                    runningMean.mulInPlace((float) oldWeight).addInPlace((float) newWeight, r.mean());
                }
                if (runningVar != null) {
                    runningVar.mulInPlace((float) oldWeight).addInPlace((float) varWeight, r.variance());
                }
            }
        }
        return r.output();
    }

    /** {@code x} normalised with the running statistics (evaluation, or frozen). */
    private Tensor normalizeWithRunningStats(Tensor x) {
        switch (variant) {
            case MEAN_ONLY:
                return Functional.meanOnlyBatchNormInference(x, runningMean, bias);
            case SCALE_ONLY:
                return Functional.scaleOnlyBatchNormInference(x, runningVar, weight, eps);
            default:
                return Functional.batchNormInference(x, runningMean, runningVar, weight, bias, eps);
        }
    }

    /**
     * Turns ghost batch norm on ({@code v >= 1}) or off ({@code 0}): in training mode, statistics
     * over consecutive chunks of {@code v} samples, and one running-statistics update per chunk
     * (see the class comment). Every training batch must then be a multiple of {@code v}; for
     * {@link BatchNorm1d} on {@code [N, C]}, {@code v >= 2}.
     *
     * @return {@code this}
     * @throws IllegalArgumentException if {@code v} is negative
     */
    public BatchNorm setVirtualBatchSize(int v) {
        if (v < 0) {
            throw new IllegalArgumentException(typeName() + "(" + numFeatures
                    + "): virtual batch size must be positive (or 0 for none), got " + v);
        }
        this.virtualBatchSize = v;
        return this;
    }

    /** The ghost batch size ({@link #setVirtualBatchSize}), or 0 for statistics over the whole batch. */
    public int virtualBatchSize() {
        return virtualBatchSize;
    }

    /**
     * With ghost batch norm, a training batch must be cut into whole chunks of the virtual batch
     * size: smaller or not a multiple of it is a problem. A frozen layer takes any batch (it
     * normalises with its running statistics).
     */
    @Override
    public Optional<String> trainingBatchProblem(int batchSize) {
        if (frozen || virtualBatchSize == 0 || batchSize % virtualBatchSize == 0) {
            return Optional.empty();
        }
        return Optional.of((batchSize < virtualBatchSize ? "needs at least " : "needs a multiple of ")
                + virtualBatchSize + " examples per training batch (its virtual batch size)");
    }

    /**
     * Sets {@code running_mean} to 0, {@code running_var} to 1 and {@code num_batches_tracked} to 0
     * (those the layer has; nothing without running statistics).
     */
    public void resetRunningStats() {
        if (runningMean != null) {
            Init.zeros(runningMean);
        }
        if (runningVar != null) {
            Init.ones(runningVar);
        }
        if (numBatchesTracked != null) {
            Init.zeros(numBatchesTracked);
        }
    }

    /**
     * Freezes ({@code true}) or unfreezes this layer. A frozen layer normalises with its running
     * statistics in both modes, as in evaluation, and never updates them, so it stays frozen
     * through {@link #train()}; its {@code weight} and {@code bias} stop requiring gradients
     * (unfreezing asks for them again), so grad4j's optimizers leave them as they are, weight decay
     * and momentum included, even with a gradient from before. The state dict keeps its keys and
     * values. To fix only {@code gamma} and {@code beta} and keep normalising with batch
     * statistics, call {@code weight().requiresGrad(false)} and {@code bias().requiresGrad(false)}
     * instead. {@link BatchNorms#freeze} freezes every layer of a model.
     *
     * @return {@code this}
     * @throws IllegalArgumentException when freezing a layer without running statistics
     *     ({@code track_running_stats=False}): it has no statistics to keep fixed
     */
    public BatchNorm setFrozen(boolean frozen) {
        if (frozen && !trackRunningStats()) {
            throw new IllegalArgumentException(typeName() + "(" + numFeatures
                    + "): cannot freeze a layer without running statistics (track_running_stats=False)");
        }
        this.frozen = frozen;
        if (weight != null) {
            weight.requiresGrad(!frozen);
        }
        if (bias != null) {
            bias.requiresGrad(!frozen);
        }
        return this;
    }

    /** Whether the layer is frozen ({@link #setFrozen}). */
    public boolean isFrozen() {
        return frozen;
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
     * The weight of the new batch statistic in the running average (PyTorch's {@code momentum}), or
     * {@code null} for the cumulative average; for the d2l and Keras conventions
     * {@code 1 - }{@link Momentum#value()}.
     */
    public Double momentum() {
        return momentum.isCumulative() ? null : momentum.newWeight(1);
    }

    /** The momentum convention the running statistics follow ({@link Momentum}). */
    public Momentum momentumConvention() {
        return momentum;
    }

    /**
     * Whether there are learnable affine parameters: a weight and a bias ({@link Variant#FULL}),
     * only the bias ({@link Variant#MEAN_ONLY}) or only the weight ({@link Variant#SCALE_ONLY}).
     */
    public boolean affine() {
        return affine;
    }

    /** Whether running statistics are kept (and used in evaluation mode). */
    public boolean trackRunningStats() {
        return numBatchesTracked != null;
    }

    /** Which statistics the layer normalises with ({@link Variant}). */
    public Variant variant() {
        return variant;
    }

    /** gamma {@code [C]}, a parameter, or {@code null} without affine or for {@link Variant#MEAN_ONLY}. */
    public Tensor weight() {
        return weight;
    }

    /** beta {@code [C]}, a parameter, or {@code null} without affine or for {@link Variant#SCALE_ONLY}. */
    public Tensor bias() {
        return bias;
    }

    /**
     * The running mean {@code [C]}, a buffer, or {@code null} without running statistics or for
     * {@link Variant#SCALE_ONLY}.
     */
    public Tensor runningMean() {
        return runningMean;
    }

    /**
     * The running variance {@code [C]} (unbiased with PyTorch's momentum conventions), a buffer, or
     * {@code null} without running statistics or for {@link Variant#MEAN_ONLY}.
     */
    public Tensor runningVar() {
        return runningVar;
    }

    /** The number of training batches seen (0 without running statistics). */
    public long numBatchesTracked() {
        return numBatchesTracked == null ? 0 : (long) numBatchesTracked.item();
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + Repr.pyFloat(eps) + ", momentum=" + momentum + ", affine="
                + Repr.bool(affine()) + ", track_running_stats=" + Repr.bool(trackRunningStats())
                + (virtualBatchSize > 0 ? ", virtual_batch_size=" + virtualBatchSize : "")
                + (variant != Variant.FULL ? ", variant=" + variant.name().toLowerCase(java.util.Locale.ROOT) : "");
    }

    /**
     * Which statistics a batch-norm layer normalises with. Per channel, with the batch mean
     * {@code mean} and the biased batch variance {@code var = sum((x - mean)^2) / n} in training,
     * the running ones in evaluation:
     * <ul>
     *   <li>{@link #FULL}: {@code y = (x - mean) / sqrt(var + eps) * weight + bias}, PyTorch's.
     *   <li>{@link #MEAN_ONLY}: {@code y = x - mean + bias}; parameter {@code bias}, buffers
     *       {@code running_mean} and {@code num_batches_tracked}. Salimans and Kingma's mean-only
     *       batch normalization (2016, <a href="https://arxiv.org/abs/1602.07868">arXiv:1602.07868</a>).
     *       The mean of one value is defined, so training takes one value per channel (the output
     *       is then {@code bias}).
     *   <li>{@link #SCALE_ONLY}: {@code y = x / sqrt(var + eps) * weight}, where {@code var} is still
     *       the variance around the batch mean (the input's standard deviation), but the input is
     *       not centred, so the output's mean is {@code weight * mean / sqrt(var + eps)}; parameter
     *       {@code weight}, buffers {@code running_var} (the unbiased variance under PyTorch's
     *       conventions, as {@link #FULL}'s) and {@code num_batches_tracked}.
     * </ul>
     * The running statistics a variant keeps follow the layer's {@link Momentum} convention.
     */
    public enum Variant {
        /** Batch normalisation: subtract the mean, divide by the standard deviation. */
        FULL,
        /** Subtract the mean only, then add {@code bias}. */
        MEAN_ONLY,
        /** Divide by the standard deviation only (no centring), then multiply by {@code weight}. */
        SCALE_ONLY
    }

    /**
     * How the running statistics follow the batch statistics, in the convention of the framework
     * a model comes from, so that a ported model keeps the same running statistics. With batch mean
     * {@code mu}, biased batch variance {@code var_b} and {@code n} values per channel:
     * <ul>
     *   <li>{@link #pytorch pytorch(m)} ({@code torch.nn.BatchNorm2d(momentum=m)}, default 0.1, the
     *       weight of the NEW value): {@code running_mean = (1 - m) * running_mean + m * mu},
     *       {@code running_var = (1 - m) * running_var + m * var_b * n / (n - 1)} (unbiased).
     *   <li>{@link #cumulative()} ({@code momentum=None}): the same with {@code m = 1 / t} at the
     *       {@code t}-th batch: the plain mean of every batch's statistics so far.
     *   <li>{@link #d2l d2l(m)} (the chapter's {@code batch_norm}, {@code momentum=0.9}, the weight
     *       of the OLD value): {@code moving_mean = m * moving_mean + (1 - m) * mu},
     *       {@code moving_var = m * moving_var + (1 - m) * var_b} (biased).
     *   <li>{@link #keras keras(m)} (Keras 3's {@code BatchNormalization(momentum=0.99)}, the weight
     *       of the OLD value): {@code moving_mean = moving_mean * m + mu * (1 - m)},
     *       {@code moving_variance = moving_variance * m + var_b * (1 - m)}, with the biased variance
     *       of {@code ops.moments}. Keras' default {@code epsilon} is 1e-3, not 1e-5: pass it as
     *       {@code eps}.
     * </ul>
     * The weights are computed in double and rounded to float once, as each framework rounds its
     * float32 constants. Immutable.
     */
    public static final class Momentum {
        /** PyTorch's default: {@code pytorch(0.1)}. */
        public static final Momentum PYTORCH = new Momentum(Kind.PYTORCH, DEFAULT_MOMENTUM);
        /** The d2l chapter's: {@code d2l(0.9)}. */
        public static final Momentum D2L = new Momentum(Kind.D2L, 0.9);
        /** Keras' default: {@code keras(0.99)}. */
        public static final Momentum KERAS = new Momentum(Kind.KERAS, 0.99);

        private enum Kind { PYTORCH, CUMULATIVE, D2L, KERAS }

        private final Kind kind;
        private final double value;

        private Momentum(Kind kind, double value) {
            if (!(value >= 0 && value <= 1)) {
                throw new IllegalArgumentException("BatchNorm.Momentum: " + kind.name().toLowerCase(java.util.Locale.ROOT)
                        + " momentum must be between 0 and 1, got " + value);
            }
            this.kind = kind;
            this.value = value;
        }

        /**
         * PyTorch's convention: {@code m} is the weight of the new batch statistic; the variance
         * kept is the unbiased one.
         *
         * @throws IllegalArgumentException if {@code m} is not in {@code [0, 1]}
         */
        public static Momentum pytorch(double m) {
            return new Momentum(Kind.PYTORCH, m);
        }

        /** PyTorch's {@code momentum=None}: the cumulative average {@code m = 1 / num_batches_tracked}. */
        public static Momentum cumulative() {
            return new Momentum(Kind.CUMULATIVE, 0);
        }

        /**
         * The d2l chapter's convention: {@code m} is the weight of the old moving value; the
         * variance kept is the biased one.
         *
         * @throws IllegalArgumentException if {@code m} is not in {@code [0, 1]}
         */
        public static Momentum d2l(double m) {
            return new Momentum(Kind.D2L, m);
        }

        /**
         * Keras' convention: {@code m} is the weight of the old moving value; the variance kept is
         * the biased one.
         *
         * @throws IllegalArgumentException if {@code m} is not in {@code [0, 1]}
         */
        public static Momentum keras(double m) {
            return new Momentum(Kind.KERAS, m);
        }

        /** {@code m} as the convention states it (0 for the cumulative average). */
        public double value() {
            return value;
        }

        /** Whether this is PyTorch's cumulative average ({@code momentum=None}). */
        public boolean isCumulative() {
            return kind == Kind.CUMULATIVE;
        }

        /** Whether the running variance averages the unbiased batch variance (PyTorch) or the biased one. */
        public boolean unbiasedVariance() {
            return kind == Kind.PYTORCH || kind == Kind.CUMULATIVE;
        }

        /** The weight of the old running value at the {@code t}-th tracked batch (t from 1). */
        double oldWeight(long t) {
            switch (kind) {
                case PYTORCH:
                    return 1 - value;
                case CUMULATIVE:
                    return 1 - 1.0 / t;
                default:
                    return value;
            }
        }

        /** The weight of the new batch statistic at the {@code t}-th tracked batch (t from 1). */
        double newWeight(long t) {
            switch (kind) {
                case PYTORCH:
                    return value;
                case CUMULATIVE:
                    return 1.0 / t;
                default:
                    return 1 - value;
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Momentum && ((Momentum) o).kind == kind
                    && Double.compare(((Momentum) o).value, value) == 0;
        }

        @Override
        public int hashCode() {
            return kind.hashCode() * 31 + Double.hashCode(value);
        }

        /**
         * What {@code toString()} of the layer prints after {@code momentum=}: PyTorch's
         * {@code 0.1} or {@code None}, else {@code d2l(0.9)} or {@code keras(0.99)}.
         */
        @Override
        public String toString() {
            switch (kind) {
                case PYTORCH:
                    return Repr.pyFloat(value);
                case CUMULATIVE:
                    return "None";
                default:
                    return kind.name().toLowerCase(java.util.Locale.ROOT) + "(" + Repr.pyFloat(value) + ")";
            }
        }
    }
}
