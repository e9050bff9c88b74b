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
public final class MaxPool2d extends Pool2d {
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
        super(kernelSize, stride, padding);
    }

    @Override
    Tensor pool(Tensor x, int kernelSize, int stride, int padding) {
        return Functional.maxPool2d(x, kernelSize, stride, padding);
    }

    @Override
    protected String extraRepr() {
        return super.extraRepr() + ", dilation=1, ceil_mode=False";
    }
}
