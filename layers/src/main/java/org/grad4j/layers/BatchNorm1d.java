package org.grad4j.layers;

import java.util.Optional;

/**
 * Batch normalisation over {@code [N, C]} or {@code [N, C, L]}, PyTorch's {@code nn.BatchNorm1d}:
 * statistics per channel C over N (and L). Semantics, parameters and buffers: {@link BatchNorm}.
 * The chapter puts it after the fully connected layers of BN-LeNet: {@code new BatchNorm1d(120)}.
 */
public final class BatchNorm1d extends BatchNorm {
    /** {@code BatchNorm1d(numFeatures, 1e-5, 0.1, true, true)}: PyTorch's defaults. */
    public BatchNorm1d(int numFeatures) {
        this(numFeatures, DEFAULT_EPS, DEFAULT_MOMENTUM, true, true);
    }

    /**
     * A layer with PyTorch's options.
     *
     * @param numFeatures the number of channels C
     * @param eps added to the variance inside the square root
     * @param momentum the weight of the new batch statistic in the running average; {@code null}
     *     for the cumulative average {@code 1 / num_batches_tracked}
     * @param affine whether there are a learnable weight (gamma) and bias (beta)
     * @param trackRunningStats whether running statistics are kept and used in evaluation mode
     * @throws IllegalArgumentException if numFeatures is not positive, eps is negative or not finite,
     *     or momentum is outside {@code [0, 1]}
     */
    public BatchNorm1d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        super("BatchNorm1d", numFeatures, eps, momentum, affine, trackRunningStats);
    }

    /**
     * A layer with running statistics that follow another framework's momentum convention, for a
     * model ported from the d2l chapter's code or from Keras ({@link BatchNorm.Momentum}):
     * {@code new BatchNorm1d(64, 1e-3, BatchNorm.Momentum.KERAS, true)}.
     *
     * @param numFeatures the number of channels C
     * @param eps added to the variance inside the square root (Keras' default is 1e-3)
     * @param momentum the convention and its value
     * @param affine whether there are a learnable weight (gamma) and bias (beta)
     * @throws IllegalArgumentException if numFeatures is not positive or eps is negative or not finite
     * @throws NullPointerException if momentum is null
     */
    public BatchNorm1d(int numFeatures, double eps, BatchNorm.Momentum momentum, boolean affine) {
        this(numFeatures, eps, momentum, affine, Variant.FULL);
    }

    /**
     * A mean-only or scale-only layer ({@link BatchNorm.Variant}) with PyTorch's defaults otherwise
     * (eps 1e-5, momentum 0.1, affine, running statistics): {@code new BatchNorm1d(120, BatchNorm.Variant.MEAN_ONLY)}.
     *
     * @throws IllegalArgumentException if numFeatures is not positive
     * @throws NullPointerException if variant is null
     */
    public BatchNorm1d(int numFeatures, BatchNorm.Variant variant) {
        this(numFeatures, DEFAULT_EPS, BatchNorm.Momentum.PYTORCH, true, variant);
    }

    /**
     * A layer of any {@link BatchNorm.Variant}, with running statistics in any momentum convention.
     *
     * @param numFeatures the number of channels C
     * @param eps added to the variance inside the square root (unused by {@code MEAN_ONLY})
     * @param momentum the convention and its value
     * @param affine whether there are the learnable parameters the variant has: weight (gamma)
     *     and bias (beta) for {@code FULL}, bias for {@code MEAN_ONLY}, weight for {@code SCALE_ONLY}
     * @param variant which statistics the layer normalises with
     * @throws IllegalArgumentException if numFeatures is not positive or eps is negative or not finite
     * @throws NullPointerException if momentum or variant is null
     */
    public BatchNorm1d(int numFeatures, double eps, BatchNorm.Momentum momentum, boolean affine, BatchNorm.Variant variant) {
        super("BatchNorm1d", numFeatures, eps, momentum, affine, true, variant);
    }

    /**
     * On its usual input {@code [N, C]} a batch (or a ghost chunk) of one has one value per
     * channel, which training cannot normalise: at least 2 examples, and a virtual batch size
     * other than 1. (An {@code [N, C, L]} input with {@code L > 1} would train on one example; the
     * layer cannot know in advance which it will get, and answers for the common case.) None when
     * {@linkplain #setFrozen frozen}: it then normalises with its running statistics; nor for
     * {@link BatchNorm.Variant#MEAN_ONLY}, whose mean of one value is defined.
     */
    @Override
    public Optional<String> trainingBatchProblem(int batchSize) {
        if (isFrozen()) {
            return Optional.empty();
        }
        if (variant() == Variant.MEAN_ONLY) {
            return super.trainingBatchProblem(batchSize);
        }
        if (batchSize < 2) {
            return Optional.of("needs at least 2 examples per training batch");
        }
        if (virtualBatchSize() == 1) {
            return Optional.of("cannot train with a virtual batch size of 1 (one value per channel), "
                    + "expected at least 2");
        }
        return super.trainingBatchProblem(batchSize);
    }

    @Override
    boolean acceptsRank(int rank) {
        return rank == 2 || rank == 3;
    }

    @Override
    String expectedShapes() {
        return "2 or 3 ([N, C] or [N, C, L])";
    }
}
