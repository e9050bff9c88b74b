package org.grad4j.core;

import org.grad4j.core.kernels.ConvKernels;
import org.grad4j.core.kernels.Gemm;
import org.grad4j.core.kernels.Im2col;
import org.grad4j.core.kernels.Workspace;

/**
 * 2-D convolution (cross-correlation, as every deep-learning library) by im2col + GEMM, the
 * math of PyTorch's CPU convolution.
 *
 * <p>Forward: {@code cols = im2col(x)} is {@code [C*kh*kw, N*OH*OW]} for the whole batch, then
 * {@code Y' = W [F, C*kh*kw] . cols} is {@code [F, N*OH*OW]}, permuted to {@code [N, F, OH, OW]}
 * and shifted by the bias. Backward, with {@code dY'} the output gradient permuted back to
 * {@code [F, N*OH*OW]}: since {@code Y' = W cols}, {@code dW = dY' . cols^T},
 * {@code dcols = W^T . dY'} and {@code dX = col2im(dcols)} (the adjoint of the unfolding);
 * {@code db[f]} is the sum of {@code dY} over batch and positions. The column matrices live in
 * the per-thread {@link Workspace}; backward recomputes {@code cols} rather than keeping one per
 * recorded convolution, which trades one cheap unfolding for a whole batch-sized matrix of memory
 * per layer, except when the workspace still holds this convolution's columns (tagged by the
 * forward pass and untouched since: the last convolution before the loss).
 */
final class Convolution {
    private Convolution() {
    }

    static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int sh, int sw, int ph, int pw) {
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
        if ((long) h + 2L * ph < kh || (long) w + 2L * pw < kw) {
            throw new IllegalArgumentException("conv2d: input " + x.shape + " padded by [" + ph + ", " + pw
                    + "] is " + (h + 2L * ph) + "x" + (w + 2L * pw) + ", smaller than the kernel " + kh + "x" + kw
                    + " (weight " + weight.shape + ")");
        }
        Im2col.Geometry g = new Im2col.Geometry(n, c, h, w, kh, kw, sh, sw, ph, pw);
        int oh = g.outH();
        int ow = g.outW();
        long colsSize = (long) g.rows() * n * oh * ow;
        long rowsSize = (long) f * n * oh * ow;
        if (colsSize > Integer.MAX_VALUE - 8 || rowsSize > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("conv2d: input " + x.shape + " and weight " + weight.shape
                    + " need a column matrix of " + Math.max(colsSize, rowsSize)
                    + " values, more than a Java array holds; split the batch");
        }
        int plane = oh * ow;
        int np = n * plane;
        int ck = g.rows();

        float[] cols = Workspace.get(Workspace.COLS, ck * np);
        Im2col.im2col(x.data, g, cols);
        // Backward reuses these columns if no other op takes the slot before it (the last
        // convolution of a forward pass is the first of the backward pass).
        Object colsOwner = new Object();
        Workspace.tag(Workspace.COLS, colsOwner);
        float[] y = new float[n * f * plane];
        if (n == 1) {
            // [F, 1*OH*OW] is already [1, F, OH, OW].
            Gemm.gemm(false, false, f, np, ck, weight.data, cols, y, false);
        } else {
            float[] rows = Workspace.get(Workspace.ROWS, f * np);
            Gemm.gemm(false, false, f, np, ck, weight.data, cols, rows, false);
            ConvKernels.permute(rows, f, n, plane, y);
        }
        if (bias != null) {
            ConvKernels.addBias(y, n, f, plane, bias.data);
        }
        Tensor out = Tensor.fresh(y, Shape.of(n, f, oh, ow));
        Tape.Backward backward = (gy, gi) -> {
            float[] gRows;
            if (n == 1) {
                gRows = gy;
            } else {
                gRows = Workspace.get(Workspace.ROWS, f * np);
                ConvKernels.permute(gy, n, f, plane, gRows);
            }
            if (bias != null && gi[2] != null) {
                ConvKernels.biasGrad(gRows, f, np, gi[2]);
            }
            if (gi[1] != null) {
                float[] cols2 = Workspace.tagged(Workspace.COLS, colsOwner, ck * np);
                if (cols2 == null) {
                    cols2 = Workspace.get(Workspace.COLS, ck * np);
                    Im2col.im2col(x.data, g, cols2);
                }
                // dW [F, CK] += dY' [F, NP] . cols^T [NP, CK]
                Gemm.gemm(false, true, f, ck, np, gRows, cols2, gi[1], true);
            }
            if (gi[0] != null) {
                float[] dcols = Workspace.get(Workspace.COLS_GRAD, ck * np);
                // dcols [CK, NP] = W^T [CK, F] . dY' [F, NP]
                Gemm.gemm(true, false, ck, np, f, weight.data, gRows, dcols, false);
                Im2col.col2im(dcols, g, gi[0]);
            }
        };
        return bias == null
                ? Tape.record("conv2d", out, backward, x, weight)
                : Tape.record("conv2d", out, backward, x, weight, bias);
    }
}
