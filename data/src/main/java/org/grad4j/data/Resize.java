package org.grad4j.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.stream.IntStream;
import org.grad4j.core.Tensor;

/**
 * Bilinear image resize with PyTorch's semantics: {@code F.interpolate(x, size, mode="bilinear",
 * align_corners=False)}, no antialias.
 *
 * <p>For each axis with input size {@code in} and output size {@code out}, output index
 * {@code d} reads the source coordinate
 * <pre>
 *   src = max(0, (d + 0.5) * in / out - 0.5)
 *   i0 = floor(src), i1 = min(i0 + 1, in - 1), l1 = src - i0, l0 = 1 - l1
 * </pre>
 * (so edge pixels are clamped, never mixed with zeros) and
 * {@code y[d_y, d_x] = ly0 * (lx0 * x[i0y, i0x] + lx1 * x[i0y, i1x]) + ly1 * (lx0 * x[i1y, i0x] + lx1 * x[i1y, i1x])}.
 * When upscaling this equals PIL's bilinear resize before PIL rounds to 8 bits, which is why it
 * stays within 1/255 of torchvision's {@code Resize} on PIL images (the d2l chapter's path).
 * When downscaling it does not average (no antialias), as PyTorch's tensor path.
 */
public final class Resize {
    private Resize() {
    }

    /**
     * Resizes the last two dims of a tensor.
     *
     * @param x {@code [..., H, W]}, rank at least 2, for example images {@code [N, C, H, W]}
     * @param height the output height, at least 1
     * @param width the output width, at least 1
     * @return a new tensor {@code [..., height, width]}; {@code x} is not modified
     * @throws IllegalArgumentException if {@code x} has rank below 2, a size is below 1 or the result
     *     does not fit one Java array
     */
    public static Tensor bilinear(Tensor x, int height, int width) {
        Objects.requireNonNull(x, "x");
        int[] dims = x.shape().dims();
        if (dims.length < 2) {
            throw new IllegalArgumentException("resize: input " + Arrays.toString(dims)
                    + " has rank " + dims.length + ", expected at least 2 ([..., H, W])");
        }
        int h = dims[dims.length - 2];
        int w = dims[dims.length - 1];
        int planes = 1;
        for (int i = 0; i < dims.length - 2; i++) {
            planes *= dims[i];
        }
        float[] out = bilinear(x.toArray(), planes, h, w, height, width);
        int[] outDims = dims.clone();
        outDims[dims.length - 2] = height;
        outDims[dims.length - 1] = width;
        return Tensor.wrap(out, outDims);
    }

    /**
     * Resizes {@code planes} row-major images of {@code h x w} floats stored one after another, in
     * parallel over planes (the result does not depend on the number of threads).
     *
     * @param src {@code planes * h * w} floats, not modified
     * @param planes the number of images (times channels)
     * @param h the input height, at least 1
     * @param w the input width, at least 1
     * @param height the output height, at least 1
     * @param width the output width, at least 1
     * @return {@code planes * height * width} new floats
     * @throws IllegalArgumentException if a size is below 1, {@code src} does not hold
     *     {@code planes * h * w} floats or the result does not fit one Java array
     */
    public static float[] bilinear(float[] src, int planes, int h, int w, int height, int width) {
        Objects.requireNonNull(src, "src");
        if (planes < 0) {
            throw new IllegalArgumentException("resize: planes: actual " + planes + ", expected >= 0");
        }
        checkSize("input", h, w);
        checkSize("output", height, width);
        long inPlane = (long) h * w;
        if (src.length != planes * inPlane) {
            throw new IllegalArgumentException("resize: src holds " + src.length + " floats, expected "
                    + planes + " x " + h + " x " + w + " = " + planes * inPlane);
        }
        long outPlane = (long) height * width;
        if (planes * outPlane > Idx.MAX_BYTES) {
            throw new IllegalArgumentException("resize: " + planes + " x " + height + " x " + width + " = "
                    + planes * outPlane + " floats, more than a Java array holds (" + Idx.MAX_BYTES + ")");
        }
        Axis ys = new Axis(h, height);
        Axis xs = new Axis(w, width);
        float[] dst = new float[(int) (planes * outPlane)];
        int in = (int) inPlane;
        int out = (int) outPlane;
        IntStream.range(0, planes).parallel().forEach(p -> plane(src, p * in, w, ys, xs, dst, p * out));
        return dst;
    }

    private static void checkSize(String which, int height, int width) {
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("resize: " + which + " size " + height + "x" + width
                    + ", expected at least 1x1");
        }
    }

    private static void plane(float[] src, int srcOff, int w, Axis ys, Axis xs, float[] dst, int dstOff) {
        int o = dstOff;
        int[] x0 = xs.i0;
        int[] x1 = xs.i1;
        float[] lx0 = xs.l0;
        float[] lx1 = xs.l1;
        for (int oy = 0; oy < ys.i0.length; oy++) {
            int r0 = srcOff + ys.i0[oy] * w;
            int r1 = srcOff + ys.i1[oy] * w;
            float ly0 = ys.l0[oy];
            float ly1 = ys.l1[oy];
            for (int ox = 0; ox < x0.length; ox++) {
                float top = lx0[ox] * src[r0 + x0[ox]] + lx1[ox] * src[r0 + x1[ox]];
                float bottom = lx0[ox] * src[r1 + x0[ox]] + lx1[ox] * src[r1 + x1[ox]];
                dst[o++] = ly0 * top + ly1 * bottom;
            }
        }
    }

    /** Source indices and weights along one axis, computed once per resize. */
    private static final class Axis {
        final int[] i0;
        final int[] i1;
        final float[] l0;
        final float[] l1;

        Axis(int in, int out) {
            i0 = new int[out];
            i1 = new int[out];
            l0 = new float[out];
            l1 = new float[out];
            // As PyTorch for float tensors: the scale is a float, the source coordinate is
            // computed in double (the 0.5 literals promote it) and stored as a float.
            float scale = (float) in / out;
            for (int d = 0; d < out; d++) {
                float src = Math.max(0f, (float) (scale * (d + 0.5) - 0.5));
                int lo = Math.min((int) src, in - 1);
                float lambda = Math.min(Math.max(src - lo, 0f), 1f);
                i0[d] = lo;
                i1[d] = lo < in - 1 ? lo + 1 : lo;
                l1[d] = lambda;
                l0[d] = 1f - lambda;
            }
        }
    }
}
