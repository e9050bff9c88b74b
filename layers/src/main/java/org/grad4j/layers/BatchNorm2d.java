package org.grad4j.layers;

/**
 * Batch normalisation over {@code [N, C, H, W]}, PyTorch's {@code nn.BatchNorm2d}: statistics per
 * channel C over N, H and W. Semantics, parameters and buffers: {@link BatchNorm}. The chapter puts
 * it after each convolution of BN-LeNet: {@code new BatchNorm2d(6)}.
 */
public final class BatchNorm2d extends BatchNorm {
    /** {@code BatchNorm2d(numFeatures, 1e-5, 0.1, true, true)}: PyTorch's defaults. */
    public BatchNorm2d(int numFeatures) {
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
    public BatchNorm2d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        super("BatchNorm2d", numFeatures, eps, momentum, affine, trackRunningStats);
    }

    /**
     * A layer with running statistics that follow another framework's momentum convention, for a
     * model ported from the d2l chapter's code or from Keras ({@link BatchNorm.Momentum}):
     * {@code new BatchNorm2d(64, 1e-3, BatchNorm.Momentum.KERAS, true)}.
     *
     * @param numFeatures the number of channels C
     * @param eps added to the variance inside the square root (Keras' default is 1e-3)
     * @param momentum the convention and its value
     * @param affine whether there are a learnable weight (gamma) and bias (beta)
     * @throws IllegalArgumentException if numFeatures is not positive or eps is negative or not finite
     * @throws NullPointerException if momentum is null
     */
    public BatchNorm2d(int numFeatures, double eps, BatchNorm.Momentum momentum, boolean affine) {
        this(numFeatures, eps, momentum, affine, Variant.FULL);
    }

    /**
     * A mean-only or scale-only layer ({@link BatchNorm.Variant}) with PyTorch's defaults otherwise
     * (eps 1e-5, momentum 0.1, affine, running statistics): {@code new BatchNorm2d(6, BatchNorm.Variant.MEAN_ONLY)}.
     *
     * @throws IllegalArgumentException if numFeatures is not positive
     * @throws NullPointerException if variant is null
     */
    public BatchNorm2d(int numFeatures, BatchNorm.Variant variant) {
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
    public BatchNorm2d(int numFeatures, double eps, BatchNorm.Momentum momentum, boolean affine, BatchNorm.Variant variant) {
        super("BatchNorm2d", numFeatures, eps, momentum, affine, true, variant);
    }

    @Override
    boolean acceptsRank(int rank) {
        return rank == 4;
    }

    @Override
    String expectedShapes() {
        return "4 ([N, C, H, W])";
    }
}
