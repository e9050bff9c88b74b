package org.grad4j.layers;

import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * Batch normalisation with fixed statistics and affine transform, torchvision's
 * {@code torchvision.ops.misc.FrozenBatchNorm2d} (the normalisation of its detection backbones):
 * per channel, {@code scale = weight / sqrt(running_var + eps)}, {@code shift = bias - running_mean *
 * scale} and {@code y = x * scale + shift}, for x {@code [N, C, H, W]}, in both modes. All four
 * tensors are buffers, not parameters, so nothing is trained and {@link #train()} changes nothing:
 * state-dict keys {@code weight}, {@code bias}, {@code running_mean}, {@code running_var}, as
 * torchvision's (no {@code num_batches_tracked}: torchvision drops that key of a
 * {@code BatchNorm2d} state dict when loading; here load such a dict without it, or non-strictly).
 * Gradients flow to {@code x} only.
 *
 * <p>To freeze the batch norms of a model built from {@link BatchNorm2d} while keeping its
 * PyTorch state-dict keys, use {@link BatchNorms#freeze} instead.
 */
public final class FrozenBatchNorm2d extends Module {
    private final int numFeatures;
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;

    /** {@code FrozenBatchNorm2d(numFeatures, 1e-5)}: torchvision's default. */
    public FrozenBatchNorm2d(int numFeatures) {
        this(numFeatures, BatchNorm.DEFAULT_EPS);
    }

    /**
     * A layer with weight 1, bias 0, running mean 0 and running variance 1, as torchvision's.
     *
     * @throws IllegalArgumentException if numFeatures is not positive or eps is negative or not finite
     */
    public FrozenBatchNorm2d(int numFeatures, double eps) {
        if (numFeatures < 1) {
            throw new IllegalArgumentException("FrozenBatchNorm2d: num_features must be positive, got " + numFeatures);
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("FrozenBatchNorm2d: eps must be finite and non-negative, got " + eps);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.weight = buffer("weight", Tensor.ones(numFeatures));
        this.bias = buffer("bias", Tensor.zeros(numFeatures));
        this.runningMean = buffer("running_mean", Tensor.zeros(numFeatures));
        this.runningVar = buffer("running_var", Tensor.ones(numFeatures));
    }

    /**
     * A frozen copy of {@code bn}: its eps, weight and bias (1 and 0 without affine) and running
     * statistics, copied (later changes to {@code bn} do not show).
     *
     * @throws IllegalArgumentException if {@code bn} has no running statistics, or is a mean-only or
     *     scale-only layer (this layer always subtracts a mean and divides by a standard deviation;
     *     {@link BatchNorms#freeze} freezes those)
     */
    public static FrozenBatchNorm2d of(BatchNorm2d bn) {
        if (bn.variant() != BatchNorm.Variant.FULL) {
            throw new IllegalArgumentException("FrozenBatchNorm2d.of: BatchNorm2d(" + bn.numFeatures() + ") is "
                    + bn.variant() + ", expected FULL (FrozenBatchNorm2d normalises with a mean and a variance; "
                    + "BatchNorms.freeze freezes any variant)");
        }
        if (!bn.trackRunningStats()) {
            throw new IllegalArgumentException("FrozenBatchNorm2d.of: BatchNorm2d(" + bn.numFeatures()
                    + ") has no running statistics (track_running_stats=False) to freeze");
        }
        FrozenBatchNorm2d f = new FrozenBatchNorm2d(bn.numFeatures(), bn.eps());
        try (Tape.NoGrad off = Tape.noGrad()) {
            if (bn.affine()) {
                f.weight.copyFrom(bn.weight());
                f.bias.copyFrom(bn.bias());
            }
            f.runningMean.copyFrom(bn.runningMean());
            f.runningVar.copyFrom(bn.runningVar());
        }
        return f;
    }

    /**
     * {@code x * scale + shift} per channel.
     *
     * @throws IllegalArgumentException if {@code x} is not 4-D or has another channel count
     */
    @Override
    public Tensor forward(Tensor x) {
        String label = "FrozenBatchNorm2d(" + numFeatures + ")";
        if (x.rank() != 4) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.rank()
                    + " dimensions, expected 4 ([N, C, H, W])");
        }
        if (x.dim(1) != numFeatures) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.dim(1)
                    + " channels, expected " + numFeatures);
        }
        Tensor scale = weight.div(runningVar.add((float) eps).sqrt());
        Tensor shift = bias.sub(runningMean.mul(scale));
        return x.mul(scale.reshape(1, numFeatures, 1, 1)).add(shift.reshape(1, numFeatures, 1, 1));
    }

    /** The number of channels C. */
    public int numFeatures() {
        return numFeatures;
    }

    /** Added to the variance inside the square root. */
    public double eps() {
        return eps;
    }

    /** The scale (gamma) {@code [C]}, a buffer. */
    public Tensor weight() {
        return weight;
    }

    /** The shift (beta) {@code [C]}, a buffer. */
    public Tensor bias() {
        return bias;
    }

    /** The mean {@code [C]}, a buffer. */
    public Tensor runningMean() {
        return runningMean;
    }

    /** The variance {@code [C]}, a buffer. */
    public Tensor runningVar() {
        return runningVar;
    }

    /** torchvision's {@code __repr__}: {@code 64, eps=1e-05}. */
    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + Repr.pyFloat(eps);
    }
}
