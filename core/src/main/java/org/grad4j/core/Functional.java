package org.grad4j.core;

import java.util.Objects;
import java.util.Random;

/**
 * The fused neural-network ops: each computes its forward result in one pass over arrays and
 * records one tape entry whose backward is written in closed form, where the same op composed
 * from {@link Tensor}'s primitives would record several entries and keep their intermediates.
 * Semantics, shapes and numbers follow PyTorch's {@code torch.nn.functional} (the tests check
 * them against PyTorch's values), and every op agrees with its composed version.
 *
 * <p>None of these ops changes its inputs; each returns a new tensor. Ops are recorded for
 * autograd under the usual rule (a {@link Tape} records, grad mode is on, an input requires a
 * gradient); what only backward needs (max pooling's argmax, cross-entropy's probabilities) is
 * not computed when nothing records. Module concerns (parameters, running statistics, training
 * mode) are the {@code layers} module's: these functions take everything as arguments.
 *
 * <pre>{@code
 * Tensor h = Functional.conv2d(x, w1, b1, 1, 2);                 // [N, 6, 28, 28]
 * h = Functional.batchNormTraining(h, gamma, beta, 1e-5).output().sigmoid();
 * h = Functional.maxPool2d(h, 2, 2, 0);                        // [N, 6, 14, 14]
 * Tensor loss = Functional.crossEntropy(Functional.linear(h.flatten(1), w2, b2), labels);
 * }</pre>
 */
public final class Functional {
    private Functional() {
    }

    /** How a per-sample loss is reduced over the batch, as PyTorch's {@code reduction}. */
    public enum Reduction {
        /** The mean over the batch, a scalar (PyTorch's default). */
        MEAN,
        /** The sum over the batch, a scalar. */
        SUM,
        /** No reduction: one loss per sample, shape {@code [N]}. */
        NONE
    }

    /**
     * What {@link #batchNormTraining} and {@link #groupNorm} return: the normalised output and the
     * statistics it used, which a BatchNorm (or a tracking InstanceNorm) module folds into its
     * running statistics.
     *
     * @param output the normalised tensor, same shape as the input; recorded for autograd
     * @param mean the mean of each normalised set: per channel {@code [C]} for batch norm, per
     *     image and group {@code [N, G]} for group norm; a plain tensor, not recorded
     * @param variance the BIASED variance of each set, shaped as {@code mean} (divided by
     *     {@code m}, the number of values per set); a plain tensor, not recorded. PyTorch's
     *     running variance stores the unbiased one: multiply by {@code m / (m - 1)}.
     */
    public record BatchNormResult(Tensor output, Tensor mean, Tensor variance) {
    }

    // ---------------------------------------------------------------- linear

    /**
     * The fully connected layer {@code y = x W^T + b}, as {@code torch.nn.functional.linear}: one
     * GEMM forward, two in backward ({@code dx = dy W}, {@code dW = dy^T x}, {@code db = sum dy}
     * over rows), one tape entry.
     *
     * @param x the input {@code [N, in]} (more generally {@code [*, in]}: leading dimensions are
     *     batch dimensions)
     * @param weight {@code [out, in]}, PyTorch's layout
     * @param bias {@code [out]}, or {@code null} for none
     * @return {@code y [N, out]} ({@code [*, out]})
     * @throws IllegalArgumentException if the weight is not 2-D, the last dimension of {@code x}
     *     is not {@code in} ({@code linear: input [32, 256] does not match in_features 7056}), or
     *     the bias is not {@code [out]}
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Objects.requireNonNull(x, "linear: x is null");
        Objects.requireNonNull(weight, "linear: weight is null");
        return Dense.linear(x, weight, bias);
    }

    // ---------------------------------------------------------------- convolution

    /**
     * 2-D convolution with the same stride and zero padding in both directions; see
     * {@link #conv2d(Tensor, Tensor, Tensor, int, int, int, int)}.
     *
     * @throws IllegalArgumentException as the general form
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(x, weight, bias, stride, stride, padding, padding);
    }

    /**
     * 2-D convolution without dilation; see
     * {@link #conv2d(Tensor, Tensor, Tensor, int, int, int, int, int, int)}.
     *
     * @throws IllegalArgumentException as the general form
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padH,
                                int padW) {
        return conv2d(x, weight, bias, strideH, strideW, padH, padW, 1, 1);
    }

    /**
     * 2-D convolution (cross-correlation, as {@code torch.nn.functional.conv2d} with one group):
     * {@code y[n, f, i, j] = b[f] + sum_{c, u, v} W[f, c, u, v] * xp[n, c, i*sh + u*dh, j*sw + v*dw]},
     * where {@code xp} is {@code x} with {@code padH} rows of zeros above and below and {@code padW}
     * columns left and right, and {@code dh, dw} the dilation (the taps' spacing; 1 for adjacent
     * taps). Output size {@code OH = floor((H + 2 padH - dh (kh - 1) - 1) / strideH) + 1}, likewise
     * {@code OW}. Dilated convolutions take the general im2col path (the fast layouts of
     * undilated stride-1 layers do not apply). Computed as im2col + one GEMM over the whole batch; backward
     * {@code dW = dY cols^T}, {@code dX = col2im(W^T dY)}, {@code db = sum dY} (PyTorch's CPU
     * convolution), one tape entry. The column matrices live in a per-thread workspace that grows
     * to the largest convolution seen and is reused.
     *
     * @param x the input {@code [N, C, H, W]}
     * @param weight the filters {@code [F, C, kh, kw]}
     * @param bias {@code [F]}, or {@code null} for none
     * @param strideH vertical stride, at least 1
     * @param strideW horizontal stride, at least 1
     * @param padH zero rows added above and below, at least 0
     * @param padW zero columns added left and right, at least 0
     * @param dilationH the step between the kernel's rows, at least 1
     * @param dilationW the step between the kernel's columns, at least 1
     * @return {@code y [N, F, OH, OW]}
     * @throws IllegalArgumentException if {@code x} or the weight is not 4-D, the channels differ
     *     ({@code conv2d: input [2, 3, 9, 9] has 3 channels, expected 4 (weight [4, 4, 5, 5])}), the
     *     bias is not {@code [F]}, a stride or dilation is below 1 or a padding below 0, or the
     *     padded input is smaller than the dilated kernel
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int strideH, int strideW, int padH,
                                int padW, int dilationH, int dilationW) {
        Objects.requireNonNull(x, "conv2d: x is null");
        Objects.requireNonNull(weight, "conv2d: weight is null");
        return Convolution.conv2d(x, weight, bias, strideH, strideW, padH, padW, dilationH, dilationW);
    }

    // ---------------------------------------------------------------- pooling

    /**
     * Max pooling over {@code kernel x kernel} windows, as {@code torch.nn.functional.max_pool2d}
     * with dilation 1 and {@code ceil_mode=False}: {@code y[n, c, i, j]} is the maximum of
     * {@code x[n, c, i*stride - padding + u, j*stride - padding + v]} over {@code 0 <= u, v < kernel},
     * where padding counts as {@code -inf}. Output size
     * {@code floor((H + 2 padding - kernel) / stride) + 1}. NaN wins (propagates); on ties the first
     * element in row-major window order wins and gets the whole gradient. The argmax is saved for
     * backward ({@code dx[argmax] += dy}) when the op is recorded.
     *
     * @param x the input {@code [N, C, H, W]}
     * @param kernel the window side, at least 1
     * @param stride the step between windows, at least 1 (PyTorch's default is {@code kernel})
     * @param padding the {@code -inf} border, between 0 and {@code kernel / 2}
     * @return {@code y [N, C, OH, OW]}
     * @throws IllegalArgumentException if {@code x} is not 4-D, kernel or stride is below 1,
     *     padding is negative or above {@code kernel / 2} (PyTorch's rule: {@code maxPool2d: pad
     *     should be at most half of kernel size, but got padding = 2 and kernel = 3 (input [..])}),
     *     or the padded input is smaller than the kernel
     */
    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        Objects.requireNonNull(x, "maxPool2d: x is null");
        return Pooling.maxPool2d(x, kernel, stride, padding);
    }

    /**
     * Average pooling over {@code kernel x kernel} windows, as
     * {@code torch.nn.functional.avg_pool2d} with {@code ceil_mode=False} and
     * {@code count_include_pad=True}: {@code y[n, c, i, j] = sum(window) / kernel^2}, the zero
     * padding counted in the divisor. Backward spreads {@code dy / kernel^2} over each window.
     *
     * @param x the input {@code [N, C, H, W]}
     * @param kernel the window side, at least 1
     * @param stride the step between windows, at least 1
     * @param padding the zero border, between 0 and {@code kernel / 2}
     * @return {@code y [N, C, OH, OW]}, {@code OH = floor((H + 2 padding - kernel) / stride) + 1}
     * @throws IllegalArgumentException as {@link #maxPool2d} (with {@code avgPool2d} in the message)
     */
    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        Objects.requireNonNull(x, "avgPool2d: x is null");
        return Pooling.avgPool2d(x, kernel, stride, padding);
    }

    /**
     * Adaptive average pooling to {@code outH x outW}, as
     * {@code torch.nn.functional.adaptive_avg_pool2d}: {@code y[n, c, i, j]} is the mean of
     * {@code x[n, c, h0:h1, w0:w1]} with {@code h0 = floor(i H / outH)},
     * {@code h1 = ceil((i + 1) H / outH)} and the columns alike; windows cover the input, may
     * overlap and differ in size when {@code outH} does not divide {@code H}, and an output larger
     * than the input repeats input elements. {@code (1, 1)} is global average pooling. Backward
     * spreads {@code dy / window size} over each window.
     *
     * @param x the input {@code [N, C, H, W]}, {@code H, W >= 1}
     * @return {@code y [N, C, outH, outW]}
     * @throws IllegalArgumentException if {@code x} is not 4-D or has an empty plane, or an output
     *     size is below 1
     */
    public static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        Objects.requireNonNull(x, "adaptiveAvgPool2d: x is null");
        return Pooling.adaptiveAvgPool2d(x, outH, outW);
    }

    // ---------------------------------------------------------------- normalisation

    /**
     * Batch normalisation with the statistics of this batch, as PyTorch's BatchNorm in training
     * mode (Ioffe and Szegedy 2015, <a href="https://arxiv.org/abs/1502.03167">arXiv:1502.03167</a>;
     * <a href="https://d2l.ai/chapter_convolutional-modern/batch-norm.html">d2l, Batch Normalization</a>):
     * per channel {@code c}, over the {@code m = N*H*W} values of that channel,
     * <pre>
     * mean = sum(x) / m,   var = sum((x - mean)^2) / m   (biased)
     * y    = (x - mean) / sqrt(var + eps) * gamma + beta
     * </pre>
     * with sums accumulated in double. One tape entry with PyTorch's closed-form backward: with
     * {@code xhat = (x - mean) / sqrt(var + eps)},
     * {@code dx = gamma / sqrt(var + eps) / m * (m dy - sum(dy) - xhat sum(dy xhat))},
     * {@code dgamma = sum(dy xhat)}, {@code dbeta = sum(dy)}. The running statistics are not
     * touched: the caller updates them from the returned mean and (biased) variance.
     *
     * @param x {@code [N, C]}, {@code [N, C, L]} or {@code [N, C, H, W]} (any {@code [N, C, *]})
     * @param gamma the scale {@code [C]}, or {@code null} for none (PyTorch's {@code affine=False})
     * @param beta the shift {@code [C]}, or {@code null} for none
     * @param eps added to the variance inside the square root (PyTorch's default 1e-5), at least 0
     * @return the output (shape of {@code x}) and the batch mean and biased variance {@code [C]}
     * @throws IllegalArgumentException if {@code x} has fewer than 2 dimensions, gamma or beta is
     *     not {@code [C]}, eps is negative or not finite, or a channel has a single value
     *     ({@code Expected more than 1 value per channel when training, got input size [1, 120]},
     *     PyTorch's text)
     */
    public static BatchNormResult batchNormTraining(Tensor x, Tensor gamma, Tensor beta, double eps) {
        Objects.requireNonNull(x, "batchNormTraining: x is null");
        return Normalization.batchNormTraining(x, gamma, beta, eps);
    }

    /**
     * Batch normalisation with given (running) statistics, as PyTorch's BatchNorm in eval mode:
     * {@code y = (x - mean[c]) / sqrt(var[c] + eps) * gamma[c] + beta[c]}. Differentiable with
     * respect to {@code x} ({@code dx = dy gamma / sqrt(var + eps)}), {@code gamma}
     * ({@code sum(dy xhat)}) and {@code beta} ({@code sum(dy)}); the statistics are constants.
     *
     * @param x {@code [N, C, *]} as in {@link #batchNormTraining}
     * @param runningMean {@code [C]}
     * @param runningVar {@code [C]}
     * @param gamma the scale {@code [C]}, or {@code null} for none
     * @param beta the shift {@code [C]}, or {@code null} for none
     * @param eps added to the variance inside the square root, at least 0
     * @return {@code y}, the shape of {@code x}
     * @throws IllegalArgumentException if {@code x} has fewer than 2 dimensions, a statistic is
     *     missing, a per-channel tensor is not {@code [C]}, or eps is negative or not finite
     */
    public static Tensor batchNormInference(Tensor x, Tensor runningMean, Tensor runningVar, Tensor gamma,
                                            Tensor beta, double eps) {
        Objects.requireNonNull(x, "batchNormInference: x is null");
        return Normalization.batchNormInference(x, runningMean, runningVar, gamma, beta, eps);
    }

    /**
     * Mean-only batch normalisation with the statistics of this batch (Salimans and Kingma 2016,
     * <a href="https://arxiv.org/abs/1602.07868">arXiv:1602.07868</a>, section 3): per channel, over
     * its {@code m = N*H*W} values, {@code y = x - mean + beta}, with no division by the standard
     * deviation and no scale. PyTorch has no such op. One tape entry:
     * {@code dx = dy - sum(dy) / m} (the gradient minus its channel mean), {@code dbeta = sum(dy)}.
     * One value per channel is allowed: the output is then {@code beta} and {@code dx} is 0.
     *
     * @param x {@code [N, C, *]} as in {@link #batchNormTraining}
     * @param beta the shift {@code [C]}, or {@code null} for none
     * @return the output (shape of {@code x}), the batch mean and the biased batch variance
     *     {@code [C]} (computed for the caller, not used by the output)
     * @throws IllegalArgumentException if {@code x} has fewer than 2 dimensions or beta is not {@code [C]}
     */
    public static BatchNormResult meanOnlyBatchNormTraining(Tensor x, Tensor beta) {
        Objects.requireNonNull(x, "meanOnlyBatchNormTraining: x is null");
        return Normalization.meanOnlyBatchNormTraining(x, beta);
    }

    /**
     * Mean-only batch normalisation with a given (running) mean: {@code y = x - runningMean[c] + beta[c]}.
     * Differentiable with respect to {@code x} ({@code dx = dy}) and {@code beta} ({@code sum(dy)});
     * the mean is a constant.
     *
     * @param x {@code [N, C, *]}
     * @param runningMean {@code [C]}
     * @param beta the shift {@code [C]}, or {@code null} for none
     * @return {@code y}, the shape of {@code x}
     * @throws IllegalArgumentException if {@code x} has fewer than 2 dimensions, the mean is missing,
     *     or a per-channel tensor is not {@code [C]}
     */
    public static Tensor meanOnlyBatchNormInference(Tensor x, Tensor runningMean, Tensor beta) {
        Objects.requireNonNull(x, "meanOnlyBatchNormInference: x is null");
        return Normalization.meanOnlyBatchNormInference(x, runningMean, beta);
    }

    /**
     * Scale-only batch normalisation with the statistics of this batch: per channel, over its
     * {@code m = N*H*W} values,
     * <pre>
     * mean = sum(x) / m,   var = sum((x - mean)^2) / m   (biased: the spread around the batch mean)
     * y    = x / sqrt(var + eps) * gamma
     * </pre>
     * The input is divided by its standard deviation but NOT centred: {@code y}'s channel mean is
     * {@code gamma * mean / sqrt(var + eps)}, not 0. PyTorch has no such op. One tape entry with the
     * closed-form backward: with {@code xhat = x / sqrt(var + eps)},
     * {@code dx = gamma / sqrt(var + eps) * (dy - (x - mean) / sqrt(var + eps) * sum(dy xhat) / m)}
     * (only the variance depends on the other values of the channel), {@code dgamma = sum(dy xhat)}.
     *
     * @param x {@code [N, C, *]} as in {@link #batchNormTraining}
     * @param gamma the scale {@code [C]}, or {@code null} for none
     * @param eps added to the variance inside the square root, at least 0
     * @return the output (shape of {@code x}), the batch mean and the biased batch variance {@code [C]}
     * @throws IllegalArgumentException if {@code x} has fewer than 2 dimensions, gamma is not
     *     {@code [C]}, eps is negative or not finite, or a channel has a single value (its
     *     variance is undefined: {@code Expected more than 1 value per channel when training, got
     *     input size [1, 120]}, as {@link #batchNormTraining})
     */
    public static BatchNormResult scaleOnlyBatchNormTraining(Tensor x, Tensor gamma, double eps) {
        Objects.requireNonNull(x, "scaleOnlyBatchNormTraining: x is null");
        return Normalization.scaleOnlyBatchNormTraining(x, gamma, eps);
    }

    /**
     * Scale-only batch normalisation with a given (running) variance:
     * {@code y = x / sqrt(runningVar[c] + eps) * gamma[c]}. Differentiable with respect to {@code x}
     * ({@code dx = dy gamma / sqrt(var + eps)}) and {@code gamma} ({@code sum(dy xhat)}); the
     * variance is a constant.
     *
     * @param x {@code [N, C, *]}
     * @param runningVar {@code [C]}
     * @param gamma the scale {@code [C]}, or {@code null} for none
     * @param eps added to the variance inside the square root, at least 0
     * @return {@code y}, the shape of {@code x}
     * @throws IllegalArgumentException if {@code x} has fewer than 2 dimensions, the variance is
     *     missing, a per-channel tensor is not {@code [C]}, or eps is negative or not finite
     */
    public static Tensor scaleOnlyBatchNormInference(Tensor x, Tensor runningVar, Tensor gamma, double eps) {
        Objects.requireNonNull(x, "scaleOnlyBatchNormInference: x is null");
        return Normalization.scaleOnlyBatchNormInference(x, runningVar, gamma, eps);
    }

    /**
     * Group normalisation, as {@code torch.nn.functional.group_norm} (Wu and He 2018,
     * <a href="https://arxiv.org/abs/1803.08494">arXiv:1803.08494</a>): the {@code C} channels are
     * cut into {@code G} groups of {@code C/G} consecutive channels, and each image's group is
     * normalised with its own statistics over its {@code m = (C/G) * S} values ({@code S} the
     * product of the spatial dimensions):
     * <pre>
     * mean = sum(x) / m,   var = sum((x - mean)^2) / m   (biased, per image and group)
     * y    = (x - mean) / sqrt(var + eps) * weight[c] + bias[c]
     * </pre>
     * Batch normalisation's math on another grouping, with its kernels: sums in double,
     * bit-identical at every thread count. One tape entry with the closed-form backward: with
     * {@code g = dy * weight[c]}, {@code dx = invstd (g - sum(g)/m - xhat sum(g xhat)/m)} per image
     * and group, {@code dweight[c] = sum(dy xhat)}, {@code dbias[c] = sum(dy)} over images and
     * positions. Instance normalisation is {@code G = C}.
     *
     * @param x {@code [N, C, *]}
     * @param groups G, which divides C
     * @param weight the per-channel scale {@code [C]}, or {@code null} for none
     * @param bias the per-channel shift {@code [C]}, or {@code null} for none
     * @param eps added to the variance inside the square root (PyTorch's default 1e-5), at least 0
     * @return the output (shape of {@code x}) and the mean and biased variance {@code [N, G]}
     * @throws IllegalArgumentException if {@code x} has fewer than 2 dimensions, G does not divide
     *     C ({@code groupNorm: num_channels must be divisible by num_groups, got 6 channels (input
     *     [2, 6, 4, 4]) and 4 groups}), weight or bias is not {@code [C]}, or eps is negative or not
     *     finite
     */
    public static BatchNormResult groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        Objects.requireNonNull(x, "groupNorm: x is null");
        return Normalization.groupNorm(x, groups, weight, bias, eps);
    }

    /**
     * Layer normalisation, as {@code torch.nn.functional.layer_norm} (Ba, Kiros and Hinton 2016):
     * over the trailing dimensions given by {@code normalizedShape}, each slice of
     * {@code D = prod(normalizedShape)} values is normalised with its own mean and biased variance,
     * {@code y = (x - mean) / sqrt(var + eps) * weight + bias}, weight and bias element-wise over
     * the slice. One tape entry; backward {@code dx = rstd (g - mean(g) - xhat mean(g xhat))} with
     * {@code g = dy * weight}, {@code dweight = sum dy xhat}, {@code dbias = sum dy} over slices.
     *
     * @param x {@code [*, normalizedShape]}
     * @param normalizedShape the trailing dimensions to normalise over, at least one
     * @param weight shape {@code normalizedShape}, or {@code null} for none
     * @param bias shape {@code normalizedShape}, or {@code null} for none
     * @param eps added to the variance inside the square root (PyTorch's default 1e-5), at least 0
     * @return {@code y}, the shape of {@code x}
     * @throws IllegalArgumentException if {@code normalizedShape} is empty or is not the trailing
     *     shape of {@code x}, weight or bias has another shape, or eps is negative or not finite
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        Objects.requireNonNull(x, "layerNorm: x is null");
        return Normalization.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    // ---------------------------------------------------------------- dropout

    /**
     * Inverted dropout, as {@code torch.nn.functional.dropout} in training mode: each element is
     * kept with probability {@code 1 - p} and scaled by {@code 1 / (1 - p)}, or set to 0, so the
     * expectation is unchanged; backward applies the same mask. The mask takes one
     * {@code rng.nextDouble()} per element in row-major order (kept when it is below
     * {@code 1 - p}), so a seeded {@code rng} repeats it. {@code p == 0} returns {@code x} itself
     * and draws nothing; {@code p == 1} returns zeros (zero gradient) and draws nothing, as PyTorch
     * does. Evaluation mode (no dropout) is the caller's business: do not call this.
     *
     * @param x any shape
     * @param p the probability of dropping an element, in {@code [0, 1]}
     * @param rng the source of the mask; advanced by {@code x.size()} draws when {@code 0 < p < 1}
     * @return a tensor of the shape of {@code x}
     * @throws IllegalArgumentException if {@code p} is outside {@code [0, 1]} or NaN
     *     ({@code dropout: probability has to be between 0 and 1, but got 1.5}), or {@code rng} is null
     */
    public static Tensor dropout(Tensor x, double p, Random rng) {
        Objects.requireNonNull(x, "dropout: x is null");
        return Regularization.dropout(x, p, rng);
    }

    // ---------------------------------------------------------------- losses

    /**
     * The mean cross-entropy of logits against class labels, as
     * {@code torch.nn.functional.cross_entropy(logits, labels)}; see
     * {@link #crossEntropy(Tensor, int[], Reduction, double)}.
     *
     * @throws IllegalArgumentException as the general form
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels) {
        return crossEntropy(logits, labels, Reduction.MEAN, 0.0);
    }

    /**
     * Cross-entropy from raw logits, as {@code torch.nn.functional.cross_entropy} with class-index
     * targets: per sample {@code i},
     * {@code loss_i = -sum_j t_ij log softmax(z_i)_j} with the target
     * {@code t_i = (1 - eps) onehot(labels[i]) + eps / C} (PyTorch's label smoothing; with
     * {@code eps = 0} it is {@code logsumexp(z_i) - z_i[labels[i]]}). The log-sum-exp subtracts the
     * row maximum first, so logits of {@code +-1000} give a finite loss. One tape entry; backward
     * {@code dz_i = (softmax(z_i) - t_i) * dy} (divided by {@code N} for the mean), using the
     * probabilities saved by the forward pass.
     *
     * @param logits {@code [N, C]}
     * @param labels {@code N} class indices in {@code [0, C)}; copied
     * @param reduction {@link Reduction#MEAN} and {@link Reduction#SUM} give a scalar
     *     (shape {@code []}), {@link Reduction#NONE} gives {@code [N]}
     * @param labelSmoothing {@code eps} in {@code [0, 1]}
     * @return the loss
     * @throws IllegalArgumentException if the logits are not 2-D, the number of labels is not
     *     {@code N}, a label is outside {@code [0, C)}
     *     ({@code crossEntropy: labels[3] = 7 is out of range [0, 5) for logits [4, 5]}), labels or
     *     reduction is null, or the smoothing is outside {@code [0, 1]}
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels, Reduction reduction, double labelSmoothing) {
        Objects.requireNonNull(logits, "crossEntropy: logits is null");
        return Losses.crossEntropy(logits, labels, null, Losses.NO_IGNORE, reduction, labelSmoothing);
    }

    /**
     * Cross-entropy from raw logits with class weights and an ignore index, as
     * {@code torch.nn.functional.cross_entropy(logits, labels, weight, ignore_index=..., reduction=...,
     * label_smoothing=...)} in PyTorch 1.13. With {@code y = labels[i]}, {@code w} the weights (all
     * 1 when {@code weight} is null) and {@code lse = logsumexp(z_i)}:
     * {@code loss_i = (1 - eps) w_y (lse - z_iy) + (eps / C) sum_j w_j (lse - z_ij)}, and
     * {@code loss_i = 0} when {@code y == ignoreIndex}. The mean is PyTorch's weighted mean:
     * {@code sum_i loss_i / sum_i w_y} over the rows not ignored (NaN when every row is ignored).
     * One tape entry with a closed-form backward; the weights are constants (not differentiated).
     *
     * @param logits {@code [N, C]}
     * @param labels {@code N} class indices in {@code [0, C)} or equal to {@code ignoreIndex}; copied
     * @param weight the class weights {@code [C]}, or {@code null} for none; copied
     * @param ignoreIndex the label whose rows are left out; PyTorch's default is {@code -100}
     * @param reduction {@link Reduction#MEAN} (weighted, as above) and {@link Reduction#SUM} give a
     *     scalar, {@link Reduction#NONE} gives {@code [N]}
     * @param labelSmoothing {@code eps} in {@code [0, 1]}
     * @return the loss
     * @throws IllegalArgumentException as {@link #crossEntropy(Tensor, int[], Reduction, double)},
     *     and if the weight is not {@code [C]}
     *     ({@code crossEntropy: weight [4] does not match the 5 classes of logits [3, 5] (expected [5])})
     */
    public static Tensor crossEntropy(Tensor logits, int[] labels, Tensor weight, int ignoreIndex,
                                      Reduction reduction, double labelSmoothing) {
        Objects.requireNonNull(logits, "crossEntropy: logits is null");
        return Losses.crossEntropy(logits, labels, weight, ignoreIndex, reduction, labelSmoothing);
    }

    /**
     * The negative log-likelihood of log-probabilities, as
     * {@code torch.nn.functional.nll_loss(logProbs, labels, weight, ignore_index=..., reduction=...)}:
     * {@code loss_i = -w_y x_iy} with {@code y = labels[i]} ({@code w} all 1 when {@code weight}
     * is null), 0 for rows labelled {@code ignoreIndex}; the mean divides by {@code sum_i w_y} over
     * the rows not ignored. {@code nllLoss(logSoftmax(z, 1), labels, ...)} is
     * {@link #crossEntropy(Tensor, int[], Tensor, int, Reduction, double) crossEntropy} without
     * smoothing. Backward: {@code -w_y} (times the upstream gradient, over the denominator for the
     * mean) at each label, 0 elsewhere.
     *
     * @param logProbs {@code [N, C]}, usually {@link #logSoftmax} of logits
     * @param labels {@code N} class indices in {@code [0, C)} or equal to {@code ignoreIndex}; copied
     * @param weight the class weights {@code [C]}, or {@code null}; copied, not differentiated
     * @param ignoreIndex the label whose rows are left out; PyTorch's default is {@code -100}
     * @param reduction as for cross-entropy: a scalar, or {@code [N]} for {@link Reduction#NONE}
     * @return the loss
     * @throws IllegalArgumentException if the input is not 2-D, labels or reduction is null, the
     *     number of labels is not {@code N}, a label is out of range and not the ignore index
     *     ({@code nllLoss: labels[1] = 9 is out of range [0, 3) for input [2, 3] and is not the ignore
     *     index -100}), or the weight is not {@code [C]}
     */
    public static Tensor nllLoss(Tensor logProbs, int[] labels, Tensor weight, int ignoreIndex, Reduction reduction) {
        Objects.requireNonNull(logProbs, "nllLoss: logProbs is null");
        return Losses.nllLoss(logProbs, labels, weight, ignoreIndex, reduction);
    }

    /**
     * The mean squared error, as {@code torch.nn.functional.mse_loss}: {@code loss = (x - y)^2}
     * element-wise, then reduced (the mean over all elements). Backward {@code dx = 2 (x - y)},
     * {@code dy = -dx}, scaled by the reduction; the target gets a gradient too when it requires one.
     *
     * @param input any shape
     * @param target the shape of {@code input} (no broadcasting: PyTorch's warned-about
     *     {@code [N, 1]} against {@code [N]} is refused)
     * @param reduction {@link Reduction#MEAN} over all elements or {@link Reduction#SUM}: a scalar;
     *     {@link Reduction#NONE}: the shape of {@code input}
     * @return the loss
     * @throws IllegalArgumentException if an argument is null or the shapes differ
     *     ({@code mseLoss: target [3] does not match input [3, 1] (expected the same shape)})
     */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        return Losses.mseLoss(input, target, reduction);
    }

    /**
     * The mean absolute error, as {@code torch.nn.functional.l1_loss}: {@code loss = |x - y|}
     * element-wise, reduced as {@link #mseLoss}. Backward {@code dx = sign(x - y)} (0 where
     * {@code x = y}, as PyTorch), {@code dy = -dx}.
     *
     * @throws IllegalArgumentException as {@link #mseLoss}
     */
    public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
        return Losses.l1Loss(input, target, reduction);
    }

    /**
     * The smooth L1 (Huber-like) loss, as {@code torch.nn.functional.smooth_l1_loss}: with
     * {@code d = x - y}, {@code loss = 0.5 d^2 / beta} where {@code |d| < beta} and
     * {@code |d| - 0.5 beta} elsewhere; {@code beta = 0} is {@link #l1Loss}. Backward
     * {@code dx = d / beta} or {@code sign(d)}, {@code dy = -dx}. Reduced as {@link #mseLoss}.
     *
     * @param beta the threshold, {@code >= 0} (PyTorch's default is 1.0)
     * @throws IllegalArgumentException as {@link #mseLoss}, and if {@code beta} is negative or not finite
     */
    public static Tensor smoothL1Loss(Tensor input, Tensor target, Reduction reduction, double beta) {
        return Losses.smoothL1Loss(input, target, reduction, beta);
    }

    /**
     * Binary cross-entropy of logits, as {@code torch.nn.functional.binary_cross_entropy_with_logits}
     * without weights: {@code loss = -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))}; see
     * {@link #binaryCrossEntropyWithLogits(Tensor, Tensor, Tensor, Reduction)}.
     *
     * @throws IllegalArgumentException as {@link #mseLoss}
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction) {
        return Losses.binaryCrossEntropyWithLogits(logits, target, null, reduction);
    }

    /**
     * Binary cross-entropy of logits with a weight of the positive term per class, as
     * {@code torch.nn.functional.binary_cross_entropy_with_logits(x, y, pos_weight=p)}:
     * {@code loss = -(p y log sigmoid(x) + (1 - y) log sigmoid(-x))}, computed as
     * {@code (1 - y) x + (1 + (p - 1) y) softplus(-x)} with
     * {@code softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0)}, so that it is finite for any finite
     * logit. Targets are usually in {@code [0, 1]}. Backward
     * {@code dx = (1 - y) - (1 + (p - 1) y) sigmoid(-x)} ({@code sigmoid(x) - y} for {@code p = 1}),
     * {@code dy = -x + (p - 1) softplus(-x)}; {@code p} is a constant. Reduced as {@link #mseLoss}.
     *
     * @param posWeight {@code [C]}, C the last dimension of the input (one weight per class of a
     *     multi-label output), or {@code null} for 1
     * @throws IllegalArgumentException as {@link #mseLoss}, and if {@code posWeight} is not {@code [C]}
     *     ({@code binaryCrossEntropyWithLogits: posWeight [2] does not match the last dimension of input
     *     [4, 3] (expected [3])})
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target, Tensor posWeight,
                                                      Reduction reduction) {
        return Losses.binaryCrossEntropyWithLogits(logits, target, posWeight, reduction);
    }

    /**
     * Softmax along {@code dim}, as {@code torch.softmax}: {@code y = exp(x) / sum(exp(x))} along
     * that dimension, computed as {@code exp(logSoftmax(x))} so that it is finite for any finite
     * input and each slice sums to 1. Backward {@code dx = y * (dy - sum(dy * y))} along the
     * dimension.
     *
     * @param x any shape
     * @param dim the dimension; negative counts from the end
     * @return {@code y}, the shape of {@code x}
     * @throws IllegalArgumentException if {@code dim} is out of range
     */
    public static Tensor softmax(Tensor x, int dim) {
        Objects.requireNonNull(x, "softmax: x is null");
        return Losses.softmax(x, dim);
    }

    /**
     * Log-softmax along {@code dim}, as {@code torch.log_softmax}:
     * {@code y = x - logsumexp(x)} along that dimension, computed as
     * {@code x - max - log(sum(exp(x - max)))} so that it is finite for any finite input. Backward
     * {@code dx = dy - softmax * sum(dy)} along the dimension, with {@code softmax = exp(y)}.
     *
     * @param x any shape
     * @param dim the dimension; negative counts from the end
     * @return {@code y}, the shape of {@code x}
     * @throws IllegalArgumentException if {@code dim} is out of range
     */
    public static Tensor logSoftmax(Tensor x, int dim) {
        Objects.requireNonNull(x, "logSoftmax: x is null");
        return Losses.logSoftmax(x, dim);
    }
}
