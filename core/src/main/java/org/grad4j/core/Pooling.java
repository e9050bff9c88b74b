package org.grad4j.core;

import org.grad4j.core.kernels.PoolKernels;

/**
 * Max and average pooling over square windows, floor mode, with PyTorch's argument checks, and
 * adaptive average pooling to a given output size.
 */
final class Pooling {
    private Pooling() {
    }

    static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        String op = "maxPool2d";
        Window win = check(op, x, kernel, stride, padding);
        float[] y = new float[win.planes() * win.oh() * win.ow()];
        boolean recording = Tape.willRecord(x);
        if (kernel == 2 && stride == 2 && padding == 0) {
            // The common case has its own kernels; the chosen element is saved as its window
            // offset, and only when backward will need it.
            float[] where = recording ? new float[y.length] : null;
            PoolKernels.maxForward2x2(x.data, win.planes(), win.h(), win.w(), y, where);
            return Tape.recordAssigningOp(op, win.output(x, y), (g, gi, assign) -> PoolKernels.maxBackward2x2(g, where,
                    win.planes(), win.h(), win.w(), gi[0], assign), x);
        }
        // The argmax is only needed by backward: skip it when nothing records.
        int[] argmax = recording ? new int[y.length] : null;
        PoolKernels.maxForward(x.data, win.planes(), win.h(), win.w(), kernel, stride, padding, win.oh(), win.ow(),
                y, argmax);
        return Tape.recordOp(op, win.output(x, y),
                (g, gi) -> PoolKernels.maxBackward(g, argmax, gi[0], win.planes(), win.oh() * win.ow()), x);
    }

    static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        String op = "avgPool2d";
        Window win = check(op, x, kernel, stride, padding);
        float[] y = new float[win.planes() * win.oh() * win.ow()];
        PoolKernels.avgForward(x.data, win.planes(), win.h(), win.w(), kernel, stride, padding, win.oh(), win.ow(),
                y);
        return Tape.recordOp(op, win.output(x, y), (g, gi) -> PoolKernels.avgBackward(g, win.planes(), win.h(),
                win.w(), kernel, stride, padding, win.oh(), win.ow(), gi[0]), x);
    }

    static Tensor adaptiveAvgPool2d(Tensor x, int outH, int outW) {
        String op = "adaptiveAvgPool2d";
        if (x.rank() != 4) {
            throw new IllegalArgumentException(op + ": expected a 4-D input [N, C, H, W], got " + x.shape);
        }
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException(op + ": output size must be positive, got " + outH + "x" + outW);
        }
        if (x.dim(2) == 0 || x.dim(3) == 0) {
            throw new IllegalArgumentException(op + ": input " + x.shape + " has an empty plane, expected H and W of"
                    + " at least 1");
        }
        Window win = new Window(x.dim(0) * x.dim(1), x.dim(2), x.dim(3), outH, outW);
        float[] y = new float[win.planes() * outH * outW];
        PoolKernels.adaptiveAvgForward(x.data, win.planes(), win.h(), win.w(), outH, outW, y);
        return Tape.recordOp(op, win.output(x, y), (g, gi) -> PoolKernels.adaptiveAvgBackward(g, win.planes(),
                win.h(), win.w(), outH, outW, gi[0]), x);
    }

    /** The sizes a pooling op works with: {@code N*C} planes of {@code h x w}, pooled to {@code oh x ow}. */
    private record Window(int planes, int h, int w, int oh, int ow) {
        /** The pooled values of {@code x [N, C, H, W]} as a tensor {@code [N, C, OH, OW]}. */
        Tensor output(Tensor x, float[] y) {
            return Tensor.fresh(y, Shape.of(x.dim(0), x.dim(1), oh, ow));
        }
    }

    /** Validates the arguments and returns the sizes. */
    private static Window check(String op, Tensor x, int kernel, int stride, int padding) {
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
        return new Window(x.dim(0) * x.dim(1), h, w, (int) oh, (int) ow);
    }
}
