package org.grad4j.core.kernels;

import java.util.Arrays;

/**
 * The unfolding that turns a convolution into one matrix product, and its adjoint.
 *
 * <p>{@link #im2col} lays the receptive fields of a batch out as a matrix {@code cols} of
 * {@link Geometry#rows()} {@code = C*kh*kw} rows and {@link Geometry#cols()} {@code = N*OH*OW}
 * columns: row {@code (c*kh + i)*kw + j}, column {@code (n*OH + oh)*OW + ow} holds
 * {@code x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]} ({@code dh, dw} the dilation), or 0 where
 * that falls into the zero padding.
 * Then {@code W [F, C*kh*kw] x cols} is the convolution of those images in one GEMM, with the
 * images in the long dimension. {@link #col2im} is the adjoint
 * map: it adds every entry of a column matrix back onto the input position it was copied from,
 * which is how {@code dX = col2im(W^T dY)} sums the overlapping windows.
 *
 * <p>Both work on a sub-batch of consecutive images, whose column matrix is small enough to stay
 * in cache while the GEMM uses it; {@link ConvKernels} runs the chunks of a batch in parallel.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class Im2col {
    private Im2col() {
    }

    /**
     * The sizes of a 2-D convolution over {@code [batch, channels, height, width]} with a
     * {@code kernelH x kernelW} kernel, zero padding, strides and dilation (the kernel's taps
     * {@code dilationH} rows and {@code dilationW} columns apart, so it spans
     * {@code dilationH * (kernelH - 1) + 1} rows). The caller checks that the padded input is at
     * least as large as the dilated kernel and that strides and dilations are positive.
     *
     * @param batch N
     * @param channels C
     * @param height H
     * @param width W
     * @param kernelH kh
     * @param kernelW kw
     * @param strideH sh
     * @param strideW sw
     * @param padH ph, zeros added above and below
     * @param padW pw, zeros added left and right
     * @param dilationH dh, the step between the kernel's rows
     * @param dilationW dw, the step between the kernel's columns
     */
    public record Geometry(int batch, int channels, int height, int width, int kernelH, int kernelW,
                           int strideH, int strideW, int padH, int padW, int dilationH, int dilationW) {
        /** A geometry without dilation ({@code dh = dw = 1}). */
        public Geometry(int batch, int channels, int height, int width, int kernelH, int kernelW,
                        int strideH, int strideW, int padH, int padW) {
            this(batch, channels, height, width, kernelH, kernelW, strideH, strideW, padH, padW, 1, 1);
        }

        /** {@code OH = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1}. */
        public int outH() {
            return (height + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1;
        }

        /** {@code OW = floor((W + 2 pw - dw (kw - 1) - 1) / sw) + 1}. */
        public int outW() {
            return (width + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1;
        }

        /** Whether the taps are adjacent ({@code dh = dw = 1}), which the fast layouts need. */
        public boolean undilated() {
            return dilationH == 1 && dilationW == 1;
        }

        /** Rows of the column matrix: {@code C * kh * kw}. */
        public int rows() {
            return channels * kernelH * kernelW;
        }

        /** Columns of the column matrix: {@code N * OH * OW}. */
        public int cols() {
            return batch * outH() * outW();
        }
    }

    /**
     * Unfolds images {@code [first, first + count)} of {@code x [N, C, H, W]} into
     * {@code cols [C*kh*kw, count*OH*OW]}: the column matrix of that sub-batch, laid out as
     * described above for a batch of {@code count}. Every entry of that range is written (padding
     * as 0), so {@code cols} may hold garbage before. Runs on the calling thread (callers
     * parallelise over chunks of images). Only {@code cols} is modified.
     *
     * @throws IllegalArgumentException if the images are not within the batch
     */
    public static void im2col(float[] x, Geometry g, int first, int count, float[] cols) {
        checkImages(g, first, count);
        int h = g.height();
        int w = g.width();
        int kh = g.kernelH();
        int kw = g.kernelW();
        int sh = g.strideH();
        int sw = g.strideW();
        int ph = g.padH();
        int pw = g.padW();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int len = count * plane;
        int channels = g.channels();
        // Row by row of the column matrix, so that its rows are written in sequence.
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    // The tap's offset in the input: (i*dh, j*dw).
                    int di = i * g.dilationH();
                    int dj = j * g.dilationW();
                    // Output columns whose input column ow*sw - pw + dj lies inside [0, W).
                    int lo = firstInside(pw - dj, sw, ow);
                    int hi = Math.max(lo, Math.min(ow, Math.floorDiv(w - 1 + pw - dj, sw) + 1));
                    for (int n = 0; n < count; n++) {
                        int xBase = ((first + n) * channels + c) * h * w;
                        int dstBase = ((c * kh + i) * kw + j) * len + n * plane;
                        for (int r = 0; r < oh; r++) {
                            int ih = r * sh - ph + di;
                            int d = dstBase + r * ow;
                            if (ih < 0 || ih >= h) {
                                Arrays.fill(cols, d, d + ow, 0f);
                                continue;
                            }
                            if (lo > 0) {
                                Arrays.fill(cols, d, d + lo, 0f);
                            }
                            if (hi > lo) {
                                int src = xBase + ih * w + lo * sw - pw + dj;
                                if (sw == 1) {
                                    System.arraycopy(x, src, cols, d + lo, hi - lo);
                                } else {
                                    for (int q = lo; q < hi; q++, src += sw) {
                                        cols[d + q] = x[src];
                                    }
                                }
                            }
                            if (hi < ow) {
                                Arrays.fill(cols, d + hi, d + ow, 0f);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The adjoint of {@link #im2col}: for the column matrix {@code cols [C*kh*kw, count*OH*OW]} of
     * images {@code [first, first + count)}, {@code gx[first + n, c, ih, iw] += cols[row, col]} for
     * every entry that {@code im2col} copied from {@code (first + n, c, ih, iw)}; padding entries are
     * dropped. Each element receives its additions in {@code (c, i, j)} order. Runs on the calling
     * thread. Only {@code gx} is modified, by adding.
     *
     * @throws IllegalArgumentException if the images are not within the batch
     */
    public static void col2im(float[] cols, Geometry g, int first, int count, float[] gx) {
        checkImages(g, first, count);
        int h = g.height();
        int w = g.width();
        int kh = g.kernelH();
        int kw = g.kernelW();
        int sh = g.strideH();
        int sw = g.strideW();
        int ph = g.padH();
        int pw = g.padW();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int len = count * plane;
        int channels = g.channels();
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int di = i * g.dilationH();
                    int dj = j * g.dilationW();
                    int lo = firstInside(pw - dj, sw, ow);
                    int hi = Math.max(lo, Math.min(ow, Math.floorDiv(w - 1 + pw - dj, sw) + 1));
                    if (hi <= lo) {
                        continue;
                    }
                    for (int n = 0; n < count; n++) {
                        int xBase = ((first + n) * channels + c) * h * w;
                        int srcBase = ((c * kh + i) * kw + j) * len + n * plane;
                        for (int r = 0; r < oh; r++) {
                            int ih = r * sh - ph + di;
                            if (ih < 0 || ih >= h) {
                                continue;
                            }
                            int s = srcBase + r * ow;
                            int dst = xBase + ih * w + lo * sw - pw + dj;
                            if (sw == 1 && Kernels.SIMD) {
                                // C2 does not vectorise this loop itself (it cannot rule out that
                                // gx and cols are one array).
                                VectorConv.addRow(cols, s + lo, gx, dst, hi - lo);
                            } else if (sw == 1) {
                                for (int q = lo; q < hi; q++) {
                                    gx[dst + q - lo] += cols[s + q];
                                }
                            } else {
                                for (int q = lo; q < hi; q++, dst += sw) {
                                    gx[dst] += cols[s + q];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Whether {@code g} may use the wide layout ({@link #im2colWide}): stride 1, no padding, no
     * dilation, and output rows at least two thirds of the input's width (the layout computes the
     * rest, the {@code kw - 1} columns past each output row, as padding).
     */
    public static boolean wide(Geometry g) {
        return g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0 && g.undilated()
                && 2L * g.width() <= 3L * g.outW();
    }

    /**
     * Whether a convolution over {@code g} should use the wide layout: when it may, and the SIMD
     * GEMM runs the extra columns fast enough to win back the copies saved (EJML's GEMM does not:
     * the portable path trains 12% slower with it).
     */
    public static boolean preferWide(Geometry g) {
        return Kernels.SIMD && wide(g);
    }

    /**
     * {@link #im2col} in the wide layout, for {@link #wide} geometries: each image has
     * {@code OH * W} columns instead of {@code OH * OW}, output position {@code (r, q)} in column
     * {@code r * W + q}. Then the entries of row {@code (c, i, j)} for one image are the input plane
     * {@code c} read from {@code i * W + j} on, in one piece of {@code (OH - 1) * W + OW} values:
     * one copy instead of {@code OH} copies of {@code OW} values (8 of them at BN-LeNet's conv2,
     * where the copies' overhead cost more than the products). The columns {@code q >= OW} hold
     * input values of the next row (and zeros after the last row): a product with them is
     * meaningless, and a gradient that is zero there adds nothing. Every entry of
     * {@code cols [C*kh*kw, count*OH*W]} is written. Only {@code cols} is modified.
     *
     * @throws IllegalArgumentException if the images are not within the batch or {@code g} is not wide
     */
    public static void im2colWide(float[] x, Geometry g, int first, int count, float[] cols) {
        checkImages(g, first, count);
        checkWide(g);
        int h = g.height();
        int w = g.width();
        int kh = g.kernelH();
        int kw = g.kernelW();
        int span = g.outH() * w;
        int piece = (g.outH() - 1) * w + g.outW();
        int len = count * span;
        int channels = g.channels();
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = ((c * kh + i) * kw + j) * len;
                    for (int n = 0; n < count; n++) {
                        int d = row + n * span;
                        System.arraycopy(x, ((first + n) * channels + c) * h * w + i * w + j, cols, d, piece);
                        Arrays.fill(cols, d + piece, d + span, 0f);
                    }
                }
            }
        }
    }

    /**
     * The adjoint of {@link #im2colWide}: adds each row piece of {@code cols [C*kh*kw, count*OH*W]}
     * onto the input plane it was copied from. The columns {@code q >= OW} must hold zeros (a
     * gradient of the wide layout's padding), which leave {@code gx} as it is (but for turning
     * {@code -0.0} into {@code 0.0}). Each element receives its additions in {@code (c, i, j)}
     * order. Only {@code gx} is modified, by adding.
     *
     * @throws IllegalArgumentException if the images are not within the batch or {@code g} is not wide
     */
    public static void col2imWide(float[] cols, Geometry g, int first, int count, float[] gx) {
        checkImages(g, first, count);
        checkWide(g);
        int h = g.height();
        int w = g.width();
        int kh = g.kernelH();
        int kw = g.kernelW();
        int span = g.outH() * w;
        int piece = (g.outH() - 1) * w + g.outW();
        int len = count * span;
        int channels = g.channels();
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) {
                    int row = ((c * kh + i) * kw + j) * len;
                    for (int n = 0; n < count; n++) {
                        int dst = ((first + n) * channels + c) * h * w + i * w + j;
                        int src = row + n * span;
                        if (Kernels.SIMD) {
                            VectorConv.addRow(cols, src, gx, dst, piece);
                        } else {
                            for (int q = 0; q < piece; q++) {
                                gx[dst + q] += cols[src + q];
                            }
                        }
                    }
                }
            }
        }
    }

    private static void checkWide(Geometry g) {
        if (!wide(g)) {
            throw new IllegalArgumentException("im2col: the wide layout needs stride 1, no padding, no dilation and"
                    + " output rows of at least 2/3 of the width, got " + g);
        }
    }

    private static void checkImages(Geometry g, int first, int count) {
        if (first < 0 || count < 0 || (long) first + count > g.batch()) {
            throw new IllegalArgumentException("im2col: images [" + first + ", " + ((long) first + count)
                    + ") are not within the batch of " + g.batch());
        }
    }

    /** The smallest {@code q >= 0} with {@code q * stride >= offset}, at most {@code limit}. */
    private static int firstInside(int offset, int stride, int limit) {
        if (offset <= 0) {
            return 0;
        }
        return Math.min(limit, (offset + stride - 1) / stride);
    }
}
