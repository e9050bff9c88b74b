package org.grad4j.core;

import org.grad4j.core.kernels.PoolKernels;

/** Max and average pooling over square windows, floor mode, with PyTorch's argument checks. */
final class Pooling {
    private Pooling() {
    }

    static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        String op = "maxPool2d";
        int[] geo = check(op, x, kernel, stride, padding);
        int planes = geo[0];
        int h = geo[1];
        int w = geo[2];
        int oh = geo[3];
        int ow = geo[4];
        float[] y = new float[planes * oh * ow];
        // The argmax is only needed by backward: skip it when nothing records.
        int[] argmax = Tape.recorderFor(x) == null ? null : new int[y.length];
        PoolKernels.maxForward(x.data, planes, h, w, kernel, stride, padding, oh, ow, y, argmax);
        Tensor out = Tensor.fresh(y, Shape.of(x.dim(0), x.dim(1), oh, ow));
        return Tape.record(op, out, (g, gi) -> PoolKernels.maxBackward(g, argmax, gi[0], planes, oh * ow), x);
    }

    static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        String op = "avgPool2d";
        int[] geo = check(op, x, kernel, stride, padding);
        int planes = geo[0];
        int h = geo[1];
        int w = geo[2];
        int oh = geo[3];
        int ow = geo[4];
        float[] y = new float[planes * oh * ow];
        PoolKernels.avgForward(x.data, planes, h, w, kernel, stride, padding, oh, ow, y);
        Tensor out = Tensor.fresh(y, Shape.of(x.dim(0), x.dim(1), oh, ow));
        return Tape.record(op, out,
                (g, gi) -> PoolKernels.avgBackward(g, planes, h, w, kernel, stride, padding, oh, ow, gi[0]), x);
    }

    /** Validates the arguments; returns {@code {planes, H, W, OH, OW}}. */
    private static int[] check(String op, Tensor x, int kernel, int stride, int padding) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected a 4-D input [N, C, H, W], got " + x.shape);
        }
        if (kernel < 1) {
            throw new IllegalArgumentException(op + ": kernel size must be positive, got " + kernel);
        }
        if (stride < 1) {
            throw new IllegalArgumentException(op + ": stride must be positive, got " + stride);
        }
        if (padding < 0) {
            throw new IllegalArgumentException(op + ": padding must be non-negative, got " + padding);
        }
        if (padding > kernel / 2) {
            throw new IllegalArgumentException(op + ": pad should be at most half of kernel size, but got padding = "
                    + padding + " and kernel = " + kernel + " (input " + x.shape + ")");
        }
        int h = x.dim(2);
        int w = x.dim(3);
        long oh = ((long) h + 2L * padding - kernel) / stride + 1;
        long ow = ((long) w + 2L * padding - kernel) / stride + 1;
        if ((long) h + 2L * padding < kernel || (long) w + 2L * padding < kernel) {
            throw new IllegalArgumentException(op + ": input " + x.shape + " padded by " + padding + " is "
                    + (h + 2L * padding) + "x" + (w + 2L * padding) + ", smaller than the kernel " + kernel + "x"
                    + kernel);
        }
        return new int[] {x.dim(0) * x.dim(1), h, w, (int) oh, (int) ow};
    }
}
