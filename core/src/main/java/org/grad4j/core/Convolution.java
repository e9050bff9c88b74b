package org.grad4j.core;

import org.grad4j.core.kernels.ConvKernels;
import org.grad4j.core.kernels.Im2col;

/**
 * 2-D convolution (cross-correlation, as every deep-learning library) by im2col + GEMM, the
 * math of PyTorch's CPU convolution.
 *
 * <p>Forward: {@code cols = im2col(x)} is {@code [C*kh*kw, N*OH*OW]}, then
 * {@code Y' = W [F, C*kh*kw] . cols} is {@code [F, N*OH*OW]}, permuted to {@code [N, F, OH, OW]}
 * and shifted by the bias. Backward, with {@code dY'} the output gradient permuted back to
 * {@code [F, N*OH*OW]}: since {@code Y' = W cols}, {@code dW = dY' . cols^T},
 * {@code dcols = W^T . dY'} and {@code dX = col2im(dcols)} (the adjoint of the unfolding);
 * {@code db[f]} is the sum of {@code dY} over batch and positions. {@link ConvKernels} does this a
 * chunk of images at a time so that the matrices stay in cache; backward unfolds {@code x} again
 * rather than keeping a column matrix per recorded convolution (a batch-sized matrix of memory per
 * layer).
 */
final class Convolution {
    private Convolution() {
    }

    static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int sh, int sw, int ph, int pw, int dh, int dw) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("conv2d: expected a 4-D input [N, C, H, W], got " + x.shape);
        }
        if (weight.rank() != 4) {
            throw new IllegalArgumentException("conv2d: expected a 4-D weight [F, C, kh, kw], got " + weight.shape);
        }
        if (sh < 1 || sw < 1) {
            throw new IllegalArgumentException("conv2d: stride must be positive, got [" + sh + ", " + sw + "]");
        }
        if (ph < 0 || pw < 0) {
            throw new IllegalArgumentException("conv2d: padding must be non-negative, got [" + ph + ", " + pw + "]");
        }
        if (dh < 1 || dw < 1) {
            throw new IllegalArgumentException("conv2d: dilation must be positive, got [" + dh + ", " + dw + "]");
        }
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int f = weight.dim(0);
        int kh = weight.dim(2);
        int kw = weight.dim(3);
        if (weight.dim(1) != c) {
            throw new IllegalArgumentException("conv2d: input " + x.shape + " has " + c + " channels, expected "
                    + weight.dim(1) + " (weight " + weight.shape + ")");
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != f)) {
            throw new IllegalArgumentException("conv2d: bias " + bias.shape + " does not match " + f
                    + " output channels (weight " + weight.shape + ")");
        }
        // The dilated kernel spans dh (kh - 1) + 1 rows and dw (kw - 1) + 1 columns.
        long spanH = (long) dh * (kh - 1) + 1;
        long spanW = (long) dw * (kw - 1) + 1;
        if ((long) h + 2L * ph < spanH || (long) w + 2L * pw < spanW) {
            throw new IllegalArgumentException("conv2d: input " + x.shape + " padded by [" + ph + ", " + pw
                    + "] is " + (h + 2L * ph) + "x" + (w + 2L * pw) + ", smaller than the kernel " + kh + "x" + kw
                    + (dh == 1 && dw == 1 ? "" : " dilated by [" + dh + ", " + dw + "] (" + spanH + "x" + spanW + ")")
                    + " (weight " + weight.shape + ")");
        }
        Im2col.Geometry g = new Im2col.Geometry(n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw);
        int oh = g.outH();
        int ow = g.outW();
        long plane = (long) oh * ow;
        long colsPerImage = g.rows() * plane;
        if (colsPerImage > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("conv2d: input " + x.shape + " and weight " + weight.shape
                    + " need a column matrix of " + colsPerImage
                    + " values per image, more than a Java array holds");
        }
        long outSize = (long) n * f * plane;
        if (outSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("conv2d: input " + x.shape + " and weight " + weight.shape
                    + " give an output of " + outSize + " values, more than a Java array holds; split the batch");
        }
        float[] y = new float[n * f * oh * ow];
        ConvKernels.forward(x.data, g, f, weight.data, bias == null ? null : bias.data, y);
        Tensor out = Tensor.fresh(y, Shape.of(n, f, oh, ow));
        Tape.Backward backward = (gy, gi) -> ConvKernels.backward(x.data, g, f, weight.data, gy, gi[0], gi[1],
                bias == null ? null : gi[2]);
        return bias == null
                ? Tape.recordOp("conv2d", out, backward, x, weight)
                : Tape.recordOp("conv2d", out, backward, x, weight, bias);
    }
}
