package org.grad4j.layers;

import java.util.Random;
import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * A 2-D convolution (cross-correlation), PyTorch's {@code nn.Conv2d} with square kernel, stride
 * and zero padding, dilation 1 and one group.
 *
 * <p>Shapes: x {@code [N, C, H, W]}, weight {@code [F, C, k, k]}, bias {@code [F]}, y
 * {@code [N, F, H', W']} with {@code H' = (H + 2*padding - k) / stride + 1} (rounded down), the same
 * for W'. Parameters {@code weight} and {@code bias} (absent without bias). Initialisation is
 * PyTorch's default ({@link Init}) with {@code fan_in = C*k*k}: weight and bias
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 */
public final class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernelSize;
    private final int stride;
    private final int padding;
    private final Tensor weight;
    private final Tensor bias;

    /** {@code Conv2d(in, out, kernel, 1, 0, true)}. */
    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0, true);
    }

    /** {@code Conv2d(in, out, kernel, stride, padding, true)}. */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
        this(inChannels, outChannels, kernelSize, stride, padding, true);
    }

    /** A layer initialised from {@link Init#defaultRandom()}. */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, boolean bias) {
        this(inChannels, outChannels, kernelSize, stride, padding, bias, Init.defaultRandom());
    }

    /**
     * A layer initialised from {@code rng} (weight first, then bias).
     *
     * @throws IllegalArgumentException if a channel count, the kernel size or the stride is not
     *     positive, or the padding is negative
     */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, boolean bias,
            Random rng) {
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1 || stride < 1 || padding < 0) {
            throw new IllegalArgumentException("Conv2d: expected positive channels, kernel_size and stride and "
                    + "non-negative padding, got in_channels=" + inChannels + ", out_channels=" + outChannels
                    + ", kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
        Tensor w = Tensor.zeros(outChannels, inChannels, kernelSize, kernelSize);
        Tensor b = bias ? Tensor.zeros(outChannels) : null;
        Init.defaultLinearInit(w, b, rng);
        this.weight = parameter("weight", w);
        this.bias = bias ? parameter("bias", b) : null;
    }

    /**
     * The convolution of {@code x [N, C, H, W]}.
     *
     * @throws IllegalArgumentException if {@code x} is not 4-D, has another channel count, or is
     *     smaller (after padding) than the kernel; the message names the layer and both shapes
     */
    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(label() + ": input " + x.shape() + " has " + x.rank()
                    + " dimensions, expected 4 ([N, " + inChannels + ", H, W])");
        }
        if (x.dim(1) != inChannels) {
            throw new IllegalArgumentException(label() + ": input " + x.shape() + " has " + x.dim(1)
                    + " channels, expected " + inChannels);
        }
        Pooling.checkWindow(label(), x, kernelSize, padding);
        return Functional.conv2d(x, weight, bias, stride, padding);
    }

    private String label() {
        return "Conv2d(in=" + inChannels + ", out=" + outChannels + ", kernel=" + kernelSize + ")";
    }

    /** The weight {@code [out, in, k, k]}, a parameter. */
    public Tensor weight() {
        return weight;
    }

    /** The bias {@code [out]}, a parameter, or {@code null} for a layer without bias. */
    public Tensor bias() {
        return bias;
    }

    /** The number of input channels. */
    public int inChannels() {
        return inChannels;
    }

    /** The number of output channels (filters). */
    public int outChannels() {
        return outChannels;
    }

    /** The kernel's height and width. */
    public int kernelSize() {
        return kernelSize;
    }

    /** The step between windows, both directions. */
    public int stride() {
        return stride;
    }

    /** The zeros added on each side, both directions. */
    public int padding() {
        return padding;
    }

    @Override
    protected String extraRepr() {
        String s = inChannels + ", " + outChannels + ", kernel_size=" + Repr.tuple(kernelSize, kernelSize)
                + ", stride=" + Repr.tuple(stride, stride);
        if (padding != 0) {
            s += ", padding=" + Repr.tuple(padding, padding);
        }
        if (bias == null) {
            s += ", bias=False";
        }
        return s;
    }
}
