package org.grad4j.layers;

import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * Group normalisation (Wu and He 2018, <a href="https://arxiv.org/abs/1803.08494">arXiv:1803.08494</a>),
 * PyTorch's {@code nn.GroupNorm}: the C channels are cut into G groups of C/G consecutive channels,
 * and each sample's group is normalised with its own mean and biased variance over its
 * {@code (C/G) * S} values ({@code S = H*W}, {@code L} or 1), then scaled and shifted per channel:
 * {@code y = (x - mean[n, g]) / sqrt(var[n, g] + eps) * weight[c] + bias[c]} ({@link Functional#groupNorm}).
 *
 * <p>The statistics are per sample, so training and evaluation compute the same thing and there is
 * no running state. {@code G = 1} normalises each sample over all its values (LayerNorm over
 * {@code [C, H, W]} with a per-channel affine); {@code G = C} is instance normalisation
 * ({@link InstanceNorm2d} without running statistics). Shapes: x {@code [N, C, *]}, y the same;
 * parameters {@code weight} (ones) and {@code bias} (zeros) of shape {@code [C]}, absent without
 * {@code affine}.
 */
public final class GroupNorm extends Module {
    private final int numGroups;
    private final int numChannels;
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;

    /** {@code GroupNorm(numGroups, numChannels, 1e-5, true)}: PyTorch's defaults. */
    public GroupNorm(int numGroups, int numChannels) {
        this(numGroups, numChannels, BatchNorm.DEFAULT_EPS, true);
    }

    /**
     * A layer with PyTorch's options.
     *
     * @param numGroups G, which divides numChannels
     * @param numChannels C
     * @param eps added to the variance inside the square root
     * @param affine whether there are a learnable per-channel weight and bias
     * @throws IllegalArgumentException if a count is not positive, G does not divide C
     *     ({@code GroupNorm: num_channels must be divisible by num_groups, got num_channels=4 and
     *     num_groups=3}, PyTorch's words), or eps is negative or not finite
     */
    public GroupNorm(int numGroups, int numChannels, double eps, boolean affine) {
        if (numGroups < 1 || numChannels < 1) {
            throw new IllegalArgumentException("GroupNorm: num_groups and num_channels must be positive, got "
                    + "num_groups=" + numGroups + " and num_channels=" + numChannels);
        }
        if (numChannels % numGroups != 0) {
            throw new IllegalArgumentException("GroupNorm: num_channels must be divisible by num_groups, got "
                    + "num_channels=" + numChannels + " and num_groups=" + numGroups);
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("GroupNorm: eps must be finite and non-negative, got " + eps);
        }
        this.numGroups = numGroups;
        this.numChannels = numChannels;
        this.eps = eps;
        this.weight = affine ? parameter("weight", Tensor.ones(numChannels)) : null;
        this.bias = affine ? parameter("bias", Tensor.zeros(numChannels)) : null;
    }

    /**
     * The normalised {@code x}.
     *
     * @throws IllegalArgumentException if {@code x} has fewer than 2 dimensions or another channel
     *     count; the message names the layer and both shapes
     */
    @Override
    public Tensor forward(Tensor x) {
        String label = "GroupNorm(" + numGroups + ", " + numChannels + ")";
        if (x.rank() < 2) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.rank()
                    + " dimensions, expected at least 2 ([N, C, *])");
        }
        if (x.dim(1) != numChannels) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.dim(1)
                    + " channels, expected " + numChannels);
        }
        return Functional.groupNorm(x, numGroups, weight, bias, eps).output();
    }

    /** The number of groups G. */
    public int numGroups() {
        return numGroups;
    }

    /** The number of channels C. */
    public int numChannels() {
        return numChannels;
    }

    /** Added to the variance inside the square root. */
    public double eps() {
        return eps;
    }

    /** Whether there are a learnable weight and bias. */
    public boolean affine() {
        return weight != null;
    }

    /** The per-channel scale {@code [C]}, a parameter, or {@code null} without affine. */
    public Tensor weight() {
        return weight;
    }

    /** The per-channel shift {@code [C]}, a parameter, or {@code null} without affine. */
    public Tensor bias() {
        return bias;
    }

    @Override
    protected String extraRepr() {
        return numGroups + ", " + numChannels + ", eps=" + Repr.pyFloat(eps) + ", affine=" + Repr.bool(affine());
    }
}
