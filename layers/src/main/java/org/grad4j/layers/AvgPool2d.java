package org.grad4j.layers;

import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * 2-D average pooling, PyTorch's {@code nn.AvgPool2d} with square window, {@code ceil_mode=False}
 * and {@code count_include_pad=True}: each output is the mean of a {@code kernel x kernel} window,
 * padding counting as zeros and the divisor always {@code kernel * kernel}.
 *
 * <p>Shapes: x {@code [N, C, H, W]}, y {@code [N, C, H', W']} with
 * {@code H' = (H + 2*padding - kernel) / stride + 1} (rounded down). No parameters.
 */
public final class AvgPool2d extends Pool2d {
    /** A window of {@code kernelSize} moved by {@code kernelSize} (PyTorch's default stride), no padding. */
    public AvgPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    /** {@code AvgPool2d(kernel, stride, 0)}. */
    public AvgPool2d(int kernelSize, int stride) {
        this(kernelSize, stride, 0);
    }

    /**
     * A pooling layer.
     *
     * @throws IllegalArgumentException if kernel or stride is not positive, padding is negative, or
     *     padding exceeds half the kernel (PyTorch's rule)
     */
    public AvgPool2d(int kernelSize, int stride, int padding) {
        super(kernelSize, stride, padding);
    }

    @Override
    Tensor pool(Tensor x, int kernelSize, int stride, int padding) {
        return Functional.avgPool2d(x, kernelSize, stride, padding);
    }
}
