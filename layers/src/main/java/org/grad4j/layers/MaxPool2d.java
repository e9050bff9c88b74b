package org.grad4j.layers;

import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * 2-D max pooling, PyTorch's {@code nn.MaxPool2d} with square window, dilation 1 and
 * {@code ceil_mode=False}: each output is the maximum of a {@code kernel x kernel} window;
 * padding counts as minus infinity. The gradient goes to the position of each maximum.
 *
 * <p>Shapes: x {@code [N, C, H, W]}, y {@code [N, C, H', W']} with
 * {@code H' = (H + 2*padding - kernel) / stride + 1} (rounded down). No parameters.
 */
public final class MaxPool2d extends Module {
    private final int kernelSize;
    private final int stride;
    private final int padding;

    /** A window of {@code kernelSize} moved by {@code kernelSize} (PyTorch's default stride), no padding. */
    public MaxPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    /** {@code MaxPool2d(kernel, stride, 0)}. */
    public MaxPool2d(int kernelSize, int stride) {
        this(kernelSize, stride, 0);
    }

    /**
     * A pooling layer.
     *
     * @throws IllegalArgumentException if kernel or stride is not positive, padding is negative, or
     *     padding exceeds half the kernel (PyTorch's rule)
     */
    public MaxPool2d(int kernelSize, int stride, int padding) {
        Pooling.checkOptions("MaxPool2d", kernelSize, stride, padding);
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    /**
     * The pooled {@code x [N, C, H, W]}.
     *
     * @throws IllegalArgumentException if {@code x} is not 4-D or smaller (after padding) than the window
     */
    @Override
    public Tensor forward(Tensor x) {
        String label = "MaxPool2d(kernel=" + kernelSize + ", stride=" + stride + ")";
        Pooling.checkRank4(label, x);
        Pooling.checkWindow(label, x, kernelSize, padding);
        return Functional.maxPool2d(x, kernelSize, stride, padding);
    }

    /** The window's height and width. */
    public int kernelSize() {
        return kernelSize;
    }

    /** The step between windows. */
    public int stride() {
        return stride;
    }

    /** The padding on each side. */
    public int padding() {
        return padding;
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding
                + ", dilation=1, ceil_mode=False";
    }
}
