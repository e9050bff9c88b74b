package org.grad4j.layers;

import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * The d2l chapter's from-scratch batch normalisation
 * (<a href="https://d2l.ai/chapter_convolutional-modern/batch-norm.html">Batch Normalization</a>,
 * "Implementation from Scratch"), written with core tensor ops exactly as the chapter's
 * {@code batch_norm} function, with the chapter's conventions. It can replace {@link BatchNorm2d}
 * and {@link BatchNorm1d} in the chapter's network: {@code new ScratchBatchNorm(6, 4)},
 * {@code new ScratchBatchNorm(120, 2)}.
 *
 * <p>With {@code mean} and {@code var} over dimension 0 ({@code numDims = 2}, x {@code [N, C]}) or
 * over (0, 2, 3) with keepdim ({@code numDims = 4}, x {@code [N, C, H, W]}):
 * <ul>
 *   <li><b>Training</b>: {@code x_hat = (x - mean) / sqrt(var + eps)} with the biased variance
 *       {@code mean((x - mean)^2)}; then
 *       {@code moving_mean = momentum * moving_mean + (1 - momentum) * mean} and
 *       {@code moving_var = momentum * moving_var + (1 - momentum) * var}, with
 *       {@code momentum = 0.9}: the weight of the OLD value (PyTorch's {@code momentum = 0.1} is the
 *       weight of the new one), and the BIASED variance (PyTorch keeps the unbiased one).
 *   <li><b>Evaluation</b>: {@code x_hat = (x - moving_mean) / sqrt(moving_var + eps)}.
 *   <li>Both: {@code y = gamma * x_hat + beta}, {@code eps = 1e-5}.
 * </ul>
 * {@code gamma} (ones) and {@code beta} (zeros) are parameters and {@code moving_mean},
 * {@code moving_var} buffers, all of shape {@code [1, C]} ({@code numDims = 2}) or
 * {@code [1, C, 1, 1]} ({@code numDims = 4}). Both moving statistics start at 0, as in the
 * chapter's code (later editions start the variance at 1): evaluating before any training step
 * divides by {@code sqrt(eps)}. Unlike the chapter, the moving statistics are registered buffers,
 * so they are in the state dict: keys {@code gamma}, {@code beta}, {@code moving_mean},
 * {@code moving_var}.
 *
 * <p>The mode is this module's {@linkplain #isTraining() training flag}. The chapter tests
 * {@code torch.is_grad_enabled()} instead, which ties two independent switches together: with it,
 * evaluating a network in training mode without recording gradients, or computing gradients in
 * evaluation mode (saliency, adversarial inputs), is impossible, and forgetting {@code no_grad}
 * during evaluation silently uses batch statistics. {@code docs/semantics.md} has the details.
 */
public final class ScratchBatchNorm extends Module {
    /** The chapter's {@code eps}. */
    public static final double EPS = 1e-5;
    /** The chapter's {@code momentum}: the weight of the OLD moving value. */
    public static final double MOMENTUM = 0.9;

    private final int numFeatures;
    private final int numDims;
    private final int[] reduceDims;
    private final Tensor gamma;
    private final Tensor beta;
    private final Tensor movingMean;
    private final Tensor movingVar;

    /**
     * The chapter's {@code BatchNorm(num_features, num_dims)}.
     *
     * @param numFeatures the number of channels C (outputs of a fully connected layer, or channels
     *     of a convolution)
     * @param numDims 2 for {@code [N, C]} inputs, 4 for {@code [N, C, H, W]}
     * @throws IllegalArgumentException if numFeatures is not positive or numDims is not 2 or 4
     */
    public ScratchBatchNorm(int numFeatures, int numDims) {
        if (numFeatures < 1 || (numDims != 2 && numDims != 4)) {
            throw new IllegalArgumentException("ScratchBatchNorm: expected positive num_features and num_dims 2 or 4, "
                    + "got " + numFeatures + " and " + numDims);
        }
        this.numFeatures = numFeatures;
        this.numDims = numDims;
        int[] shape = numDims == 2 ? new int[] {1, numFeatures} : new int[] {1, numFeatures, 1, 1};
        this.reduceDims = numDims == 2 ? new int[] {0} : new int[] {0, 2, 3};
        this.gamma = parameter("gamma", Tensor.ones(shape));
        this.beta = parameter("beta", Tensor.zeros(shape));
        this.movingMean = buffer("moving_mean", Tensor.zeros(shape));
        this.movingVar = buffer("moving_var", Tensor.zeros(shape));
    }

    /**
     * The chapter's {@code batch_norm}: batch statistics and a moving-average update in training
     * mode, moving statistics in evaluation mode.
     *
     * @throws IllegalArgumentException if {@code x} does not have {@code numDims} dimensions or has
     *     another channel count
     */
    @Override
    public Tensor forward(Tensor x) {
        String label = "ScratchBatchNorm(" + numFeatures + ", num_dims=" + numDims + ")";
        if (x.rank() != numDims) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.rank()
                    + " dimensions, expected " + numDims);
        }
        if (x.dim(1) != numFeatures) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.dim(1)
                    + " channels, expected " + numFeatures);
        }
        Tensor xHat;
        if (!isTraining()) {
            xHat = x.sub(movingMean).div(movingVar.add((float) EPS).sqrt());
        } else {
            Tensor mean = x.mean(reduceDims, true);
            Tensor var = x.sub(mean).square().mean(reduceDims, true);
            xHat = x.sub(mean).div(var.add((float) EPS).sqrt());
            try (Tape.NoGrad off = Tape.noGrad()) {
                movingMean.mulInPlace((float) MOMENTUM).addInPlace((float) (1 - MOMENTUM), mean.detach());
                movingVar.mulInPlace((float) MOMENTUM).addInPlace((float) (1 - MOMENTUM), var.detach());
            }
        }
        return gamma.mul(xHat).add(beta);
    }

    /** The scale, a parameter of shape {@code [1, C]} or {@code [1, C, 1, 1]}. */
    public Tensor gamma() {
        return gamma;
    }

    /** The shift, a parameter of shape {@code [1, C]} or {@code [1, C, 1, 1]}. */
    public Tensor beta() {
        return beta;
    }

    /** The moving mean, a buffer. */
    public Tensor movingMean() {
        return movingMean;
    }

    /** The moving (biased) variance, a buffer. */
    public Tensor movingVar() {
        return movingVar;
    }

    @Override
    protected String extraRepr() {
        return "num_features=" + numFeatures + ", num_dims=" + numDims;
    }
}
