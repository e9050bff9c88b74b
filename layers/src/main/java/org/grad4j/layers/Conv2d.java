package org.grad4j.layers;

import java.util.Arrays;
import java.util.Objects;
import java.util.Random;
import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * A 2-D convolution (cross-correlation), PyTorch's {@code nn.Conv2d} with zero padding and one
 * group. Kernel size, stride and padding are given either as one number for both directions
 * ({@code new Conv2d(1, 6, 5)}) or per direction, as PyTorch's tuple forms
 * ({@code nn.Conv2d(4, 5, kernel_size=(3, 5))} is {@code new Conv2d(4, 5, new int[] {3, 5},
 * new int[] {1, 1}, new int[] {0, 0}, true)}), always height first; dilation per direction
 * ({@code nn.Conv2d(3, 4, 3, dilation=(2, 1))} is {@code new Conv2d(3, 4, new int[] {3, 3},
 * new int[] {1, 1}, new int[] {0, 0}, new int[] {2, 1}, true)}).
 *
 * <p>Shapes: x {@code [N, C, H, W]}, weight {@code [F, C, kh, kw]}, bias {@code [F]}, y
 * {@code [N, F, H', W']} with {@code H' = (H + 2*ph - dh*(kh - 1) - 1) / sh + 1} and
 * {@code W' = (W + 2*pw - dw*(kw - 1) - 1) / sw + 1} (rounded down; {@code dh = dw = 1} without
 * dilation). Parameters {@code weight} and {@code bias} (absent without bias). Initialisation is
 * PyTorch's default ({@link Init}) with {@code fan_in = C*kh*kw}: weight and bias
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 */
public final class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int[] kernelSize;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
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
     * A layer with a square kernel, the same stride and padding in both directions, initialised from
     * {@code rng} (weight first, then bias).
     *
     * @throws IllegalArgumentException if a channel count, the kernel size or the stride is not
     *     positive, or the padding is negative
     */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, boolean bias,
            Random rng) {
        this(inChannels, outChannels, new int[] {kernelSize, kernelSize}, new int[] {stride, stride},
                new int[] {padding, padding}, bias, rng);
    }

    /** A layer with per-direction geometry, initialised from {@link Init#defaultRandom()}. */
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, boolean bias) {
        this(inChannels, outChannels, kernelSize, stride, padding, bias, Init.defaultRandom());
    }

    /** A layer with per-direction geometry, no dilation, initialised from {@code rng}. */
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, boolean bias,
            Random rng) {
        this(inChannels, outChannels, kernelSize, stride, padding, new int[] {1, 1}, bias, rng);
    }

    /** A layer with per-direction geometry and dilation, initialised from {@link Init#defaultRandom()}. */
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
            boolean bias) {
        this(inChannels, outChannels, kernelSize, stride, padding, dilation, bias, Init.defaultRandom());
    }

    /**
     * A layer with per-direction geometry, PyTorch's tuple forms, initialised from {@code rng}
     * (weight first, then bias).
     *
     * @param kernelSize {@code {kh, kw}}
     * @param stride {@code {sh, sw}}
     * @param padding {@code {ph, pw}}, zeros added above and below, left and right
     * @param dilation {@code {dh, dw}}, the step between the kernel's rows and columns ({@code {1, 1}}
     *     for adjacent taps)
     * @throws IllegalArgumentException if a tuple does not have 2 entries, a channel count, kernel
     *     size, stride or dilation is not positive, or a padding is negative; the arrays are copied
     * @throws NullPointerException if a tuple is null
     */
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
            boolean bias, Random rng) {
        this.kernelSize = pair("kernel_size", kernelSize);
        this.stride = pair("stride", stride);
        this.padding = pair("padding", padding);
        this.dilation = pair("dilation", dilation);
        if (inChannels < 1 || outChannels < 1 || Math.min(this.kernelSize[0], this.kernelSize[1]) < 1
                || Math.min(this.stride[0], this.stride[1]) < 1 || Math.min(this.padding[0], this.padding[1]) < 0
                || Math.min(this.dilation[0], this.dilation[1]) < 1) {
            throw new IllegalArgumentException("Conv2d: expected positive channels, kernel_size, stride and "
                    + "dilation and non-negative padding, got in_channels=" + inChannels + ", out_channels="
                    + outChannels + ", kernel_size=" + spell(this.kernelSize) + ", stride=" + spell(this.stride)
                    + ", padding=" + spell(this.padding) + ", dilation=" + spell(this.dilation));
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        Tensor w = Tensor.zeros(outChannels, inChannels, this.kernelSize[0], this.kernelSize[1]);
        Tensor b = bias ? Tensor.zeros(outChannels) : null;
        Init.defaultLinearInit(w, b, rng);
        this.weight = parameter("weight", w);
        this.bias = bias ? parameter("bias", b) : null;
    }

    private static int[] pair(String name, int[] values) {
        Objects.requireNonNull(values, () -> "Conv2d: " + name + " is null");
        if (values.length != 2) {
            throw new IllegalArgumentException("Conv2d: " + name + " must have 2 entries (height, width), got "
                    + Arrays.toString(values));
        }
        return values.clone();
    }

    /** {@code 5} for a square pair, {@code (3, 5)} otherwise: as the layer was most likely written. */
    private static String spell(int[] pair) {
        return pair[0] == pair[1] ? String.valueOf(pair[0]) : Repr.tuple(pair);
    }

    /**
     * The convolution of {@code x [N, C, H, W]}.
     *
     * @throws IllegalArgumentException if {@code x} is not 4-D, has another channel count, or is
     *     smaller (after padding) than the (dilated) kernel; the message names the layer and both
     *     shapes
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
        // The dilated kernel spans d (k - 1) + 1 rows and columns.
        Pooling.checkWindow(label(), x, dilation[0] * (kernelSize[0] - 1) + 1, dilation[1] * (kernelSize[1] - 1) + 1,
                padding[0], padding[1]);
        return Functional.conv2d(x, weight, bias, stride[0], stride[1], padding[0], padding[1], dilation[0],
                dilation[1]);
    }

    private String label() {
        String d = dilation[0] == 1 && dilation[1] == 1 ? "" : ", dilation=" + spell(dilation);
        return "Conv2d(in=" + inChannels + ", out=" + outChannels + ", kernel=" + spell(kernelSize) + d + ")";
    }

    /** The weight {@code [out, in, kh, kw]}, a parameter. */
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

    /** The kernel's height and width, {@code {kh, kw}} (a copy). */
    public int[] kernelSize() {
        return kernelSize.clone();
    }

    /** The step between windows, {@code {sh, sw}} (a copy). */
    public int[] stride() {
        return stride.clone();
    }

    /** The zeros added on each side, {@code {ph, pw}} (a copy). */
    public int[] padding() {
        return padding.clone();
    }

    /** The step between the kernel's rows and columns, {@code {dh, dw}} (a copy; {@code {1, 1}} without dilation). */
    public int[] dilation() {
        return dilation.clone();
    }

    @Override
    protected String extraRepr() {
        String s = inChannels + ", " + outChannels + ", kernel_size=" + Repr.tuple(kernelSize)
                + ", stride=" + Repr.tuple(stride);
        if (padding[0] != 0 || padding[1] != 0) {
            s += ", padding=" + Repr.tuple(padding);
        }
        if (dilation[0] != 1 || dilation[1] != 1) {
            s += ", dilation=" + Repr.tuple(dilation);
        }
        if (bias == null) {
            s += ", bias=False";
        }
        return s;
    }
}
