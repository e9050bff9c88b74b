package org.grad4j.layers;

import org.grad4j.core.Tensor;

/** Input and option checks shared by the pooling layers and {@link Conv2d}. */
final class Pooling {
    private Pooling() {
    }

    /** Checks kernel, stride and padding as PyTorch does (padding at most half the kernel). */
    static void checkOptions(String layer, int kernel, int stride, int padding) {
        if (kernel < 1 || stride < 1 || padding < 0) {
            throw new IllegalArgumentException(layer + ": expected positive kernel_size and stride and non-negative "
                    + "padding, got kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding);
        }
        if (2 * padding > kernel) {
            throw new IllegalArgumentException(layer + ": padding should be at most half of kernel_size, got padding="
                    + padding + " and kernel_size=" + kernel);
        }
    }

    /** Requires {@code [N, C, H, W]}. */
    static void checkRank4(String label, Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(label + ": input " + x.shape() + " has " + x.rank()
                    + " dimensions, expected 4 ([N, C, H, W])");
        }
    }

    /** Requires the padded input to be at least as large as the square kernel, so the output is not empty. */
    static void checkWindow(String label, Tensor x, int kernel, int padding) {
        checkWindow(label, x, kernel, kernel, padding, padding);
    }

    /** Requires the padded input to be at least as large as the {@code kh x kw} kernel. */
    static void checkWindow(String label, Tensor x, int kh, int kw, int ph, int pw) {
        int h = x.dim(2);
        int w = x.dim(3);
        if ((long) h + 2L * ph < kh || (long) w + 2L * pw < kw) {
            String padded = ph == 0 && pw == 0 ? "" : " (" + (h + 2L * ph) + "x" + (w + 2L * pw) + " padded)";
            throw new IllegalArgumentException(label + ": input " + x.shape() + " is " + h + "x" + w + padded
                    + ", smaller than the kernel " + kh + "x" + kw);
        }
    }
}
