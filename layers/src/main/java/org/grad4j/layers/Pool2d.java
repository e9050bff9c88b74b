package org.grad4j.layers;

import org.grad4j.core.Tensor;

/**
 * What the 2-D pooling layers share: a square {@code kernel x kernel} window moved by
 * {@code stride} over {@code x [N, C, H, W]} zero-or-more padded, output
 * {@code H' = (H + 2*padding - kernel) / stride + 1} (rounded down), no parameters. The subclasses
 * say what a window reduces to.
 */
abstract class Pool2d extends Module {
    private final int kernelSize;
    private final int stride;
    private final int padding;

    /**
     * @throws IllegalArgumentException if kernel or stride is not positive, padding is negative, or
     *     padding exceeds half the kernel (PyTorch's rule)
     */
    Pool2d(int kernelSize, int stride, int padding) {
        Pooling.checkOptions(typeName(), kernelSize, stride, padding);
        this.kernelSize = kernelSize;
        this.stride = stride;
        this.padding = padding;
    }

    /** The pooling itself, on an input that passed the checks. */
    abstract Tensor pool(Tensor x, int kernelSize, int stride, int padding);

    /**
     * The pooled {@code x [N, C, H, W]}.
     *
     * @throws IllegalArgumentException if {@code x} is not 4-D or smaller (after padding) than the window
     */
    @Override
    public final Tensor forward(Tensor x) {
        String label = typeName() + "(kernel=" + kernelSize + ", stride=" + stride + ")";
        Pooling.checkRank4(label, x);
        Pooling.checkWindow(label, x, kernelSize, padding);
        return pool(x, kernelSize, stride, padding);
    }

    /** The window's height and width. */
    public final int kernelSize() {
        return kernelSize;
    }

    /** The step between windows. */
    public final int stride() {
        return stride;
    }

    /** The padding on each side. */
    public final int padding() {
        return padding;
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + kernelSize + ", stride=" + stride + ", padding=" + padding;
    }
}
