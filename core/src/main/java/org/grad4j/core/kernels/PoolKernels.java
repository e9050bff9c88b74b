package org.grad4j.core.kernels;

/**
 * Max and average pooling over square windows on {@code planes} contiguous {@code h x w} planes
 * (a tensor {@code [N, C, H, W]} is {@code N*C} planes). Window {@code (oh, ow)} covers rows
 * {@code oh*stride - pad .. + kernel} and the same for columns, clipped to the padded input; the
 * caller has computed {@code outH, outW} (floor mode) and checked {@code pad <= kernel / 2}, so
 * every window holds at least one real element.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class PoolKernels {
    /** Below this many input elements an op runs on the calling thread. */
    static final int PARALLEL_MIN = 1 << 15;

    private PoolKernels() {
    }

    /**
     * {@code y[p, oh, ow] = max} over the window; padding acts as {@code -inf} (it never wins).
     * NaN propagates, as in PyTorch. The first maximum in row-major window order wins ties. If
     * {@code argmax} is not null it receives, per output, the flat index into {@code x} of the
     * chosen element. Only {@code y} and {@code argmax} are modified.
     */
    public static void maxForward(float[] x, int planes, int h, int w, int kernel, int stride, int pad,
                                  int outH, int outW, float[] y, int[] argmax) {
        if ((long) planes * h * w < PARALLEL_MIN) {
            maxForward(x, h, w, kernel, stride, pad, outH, outW, y, argmax, 0, planes);
        } else {
            Parallel.forRange(planes, (from, to) -> maxForward(x, h, w, kernel, stride, pad, outH, outW, y, argmax,
                    from, to));
        }
    }

    static void maxForward(float[] x, int h, int w, int kernel, int stride, int pad, int outH, int outW,
                           float[] y, int[] argmax, int from, int to) {
        int o = from * outH * outW;
        for (int p = from; p < to; p++) {
            int base = p * h * w;
            for (int r = 0; r < outH; r++) {
                int h0 = r * stride - pad;
                int h1 = Math.min(h0 + kernel, h);
                h0 = Math.max(h0, 0);
                for (int c = 0; c < outW; c++, o++) {
                    int w0 = c * stride - pad;
                    int w1 = Math.min(w0 + kernel, w);
                    w0 = Math.max(w0, 0);
                    int best = window(x, base, w, h0, h1, w0, w1);
                    y[o] = x[best];
                    if (argmax != null) {
                        argmax[o] = best;
                    }
                }
            }
        }
    }

    /**
     * The flat index of the window's maximum: the first maximum in row-major order, or the first
     * NaN (NaN propagates).
     */
    private static int window(float[] x, int base, int w, int h0, int h1, int w0, int w1) {
        int best = base + h0 * w + w0;
        float bv = x[best];
        for (int ih = h0; ih < h1 && bv == bv; ih++) {
            int row = base + ih * w;
            for (int iw = w0; iw < w1; iw++) {
                float v = x[row + iw];
                if (v > bv || v != v) {
                    bv = v;
                    best = row + iw;
                    if (v != v) {
                        break;
                    }
                }
            }
        }
        return best;
    }

    /**
     * Max pooling with 2x2 windows, stride 2 and no padding, the shape of nearly every CNN: the
     * same maxima as {@link #maxForward} over {@code planes} planes of {@code h x w} (at least 2x2)
     * into {@code y [planes, h/2, w/2]}, except that a NaN maximum comes out as {@link Float#NaN}
     * whatever its payload (the Vector API's Java fallback, which runs until C2 compiles the vector
     * code, does not keep payloads, and the result must not depend on that). If {@code where} is not null it receives, per
     * output, the chosen element's offset from the window's top-left corner, {@code 0, 1, w} or
     * {@code w + 1}, as the raw bits of a float ({@link Float#intBitsToFloat}): the vector path
     * blends it from constants and stores it with the float lanes, no second vector species needed,
     * and backward adds the corner's index without a multiply. Only {@code y} and {@code where} are
     * modified.
     */
    public static void maxForward2x2(float[] x, int planes, int h, int w, float[] y, float[] where) {
        if ((long) planes * h * w < PARALLEL_MIN) {
            maxForward2x2(x, h, w, y, where, 0, planes);
        } else {
            Parallel.forRange(planes, (from, to) -> maxForward2x2(x, h, w, y, where, from, to));
        }
    }

    private static void maxForward2x2(float[] x, int h, int w, float[] y, float[] where, int from, int to) {
        int oh = h / 2;
        int ow = w / 2;
        int oEnd = to * oh * ow;
        // VectorPool is only loaded (and L only read) on the vector path.
        int l = Kernels.SIMD ? VectorPool.L : 0;
        for (int p = from, o = from * oh * ow; p < to; p++) {
            for (int r = 0; r < oh; r++, o += ow) {
                int i = p * h * w + 2 * r * w;
                int c = 0;
                // A vector block may run past the row's end into later outputs of this range (they
                // are computed afterwards, so the wrong values get overwritten): a 12-wide row then
                // takes one block instead of 12 scalar windows. Blocks that would leave the range or
                // the input fall back to the scalar loop, which gives the same bits. (Differences,
                // not sums, so that nothing overflows near 2^31 elements.)
                for (; l > 0 && c < ow && (ow - c >= l || oEnd - (o + c) >= l && x.length - (i + 2 * c + w) >= 2 * l);
                     c += l) {
                    VectorPool.forward(x, i + 2 * c, w, y, where, o + c);
                }
                for (; c < ow; c++) {
                    int d = corner(x, i + 2 * c, w);
                    float v = x[i + 2 * c + d];
                    y[o + c] = v == v ? v : Float.NaN;
                    if (where != null) {
                        where[o + c] = Float.intBitsToFloat(d);
                    }
                }
            }
        }
    }

    /**
     * The offset ({@code 0, 1, w} or {@code w + 1}) from {@code x[i]} of the maximum of the 2x2
     * window whose top-left corner is {@code x[i]}: the first maximum in row-major order, or the
     * first NaN.
     */
    private static int corner(float[] x, int i, int w) {
        float v0 = x[i];
        float v1 = x[i + 1];
        float v2 = x[i + w];
        float v3 = x[i + w + 1];
        float sum = v0 + v1 + v2 + v3;
        if (sum != sum) {
            // A NaN, or infinities of both signs: rare, and the loop below is exact for them.
            return firstMax(x, i, w);
        }
        // C2 turns selects of ints on a float comparison into conditional moves, but a select of
        // floats (and a chain of Math.max) into a branch or a longer sequence; on random data a
        // branch mispredicts half the time. So the selects pick offsets and the compared values
        // are loaded again. A later element wins only if strictly greater: ties (-0 == +0
        // included) keep the first.
        int top = v1 > v0 ? 1 : 0;
        int bottom = v3 > v2 ? w + 1 : w;
        return x[i + bottom] > x[i + top] ? bottom : top;
    }

    /** {@link #corner} by a scan: a later element wins if greater, or NaN after a number. */
    private static int firstMax(float[] x, int i, int w) {
        int best = 0;
        for (int d : new int[] {1, w, w + 1}) {
            float b = x[i + best];
            float v = x[i + d];
            if (b == b && !(v <= b)) {
                best = d;
            }
        }
        return best;
    }

    /**
     * The backward pass of {@link #maxForward2x2}: {@code gy[o]} is added to the input element at
     * offset {@code where[o]} from the top-left corner of window {@code o}. Windows do not overlap,
     * so each element gets at most one addition and the result does not depend on the order or the
     * threads. A scatter: a dense vector pass that adds {@code -0f} (no change) to the elements not
     * chosen measured slower, its lane permutations cost more than the scattered adds. Only
     * {@code gx} is modified, by adding.
     */
    public static void maxBackward2x2(float[] gy, float[] where, int planes, int h, int w, float[] gx) {
        maxBackward2x2(gy, where, planes, h, w, gx, false);
    }

    /**
     * {@link #maxBackward2x2(float[], float[], int, int, int, float[])}, or with {@code assign}
     * writing {@code gx} instead of adding to it: its contents are ignored, as if they were zeros
     * (the tape's fresh gradient buffers). Each block of planes is zeroed right before its
     * scatter, while it is in cache, and on the block's thread.
     */
    public static void maxBackward2x2(float[] gy, float[] where, int planes, int h, int w, float[] gx,
                                      boolean assign) {
        if ((long) planes * h * w < PARALLEL_MIN) {
            maxBackward2x2(gy, where, h, w, gx, assign, 0, planes);
        } else {
            Parallel.forRange(planes, (from, to) -> maxBackward2x2(gy, where, h, w, gx, assign, from, to));
        }
    }

    /** With {@code assign}, zeroes and scatters blocks of about 16K floats, so each stays in cache. */
    private static void maxBackward2x2(float[] gy, float[] where, int h, int w, float[] gx, boolean assign,
                                       int from, int to) {
        if (!assign) {
            maxBackward2x2(gy, where, h, w, gx, from, to);
            return;
        }
        int block = Math.max(1, (1 << 14) / Math.max(1, h * w));
        for (int p = from; p < to; p += block) {
            int q = Math.min(to, p + block);
            java.util.Arrays.fill(gx, p * h * w, q * h * w, 0f);
            maxBackward2x2(gy, where, h, w, gx, p, q);
        }
    }

    private static void maxBackward2x2(float[] gy, float[] where, int h, int w, float[] gx, int from, int to) {
        int oh = h / 2;
        int ow = w / 2;
        // One flat loop over the outputs with the window's corner i kept up to date: nested loops
        // over rows of a few outputs (ow = 4 in LeNet's second pooling) spend more time in C2's
        // loop entry and exit code than in the adds.
        int i = from * h * w;
        for (int o = from * oh * ow, end = to * oh * ow, c = 0, r = 0; o < end; o++) {
            gx[i + Float.floatToRawIntBits(where[o])] += gy[o];
            i += 2;
            if (++c == ow) {
                c = 0;
                i += 2 * (w - ow); // to the next pair of rows; an odd width drops its last column
                if (++r == oh) {
                    r = 0;
                    i += (h - 2 * oh) * w; // an odd height drops the plane's last row
                }
            }
        }
    }

    /**
     * {@code gx[argmax[o]] += gy[o]}: only the chosen element of each window influenced the output.
     * Only {@code gx} is modified.
     */
    public static void maxBackward(float[] gy, int[] argmax, float[] gx) {
        maxBackwardRange(gy, argmax, gx, 0, gy.length);
    }

    /**
     * {@link #maxBackward(float[], int[], float[])} over {@code planes} planes of {@code outPlane}
     * outputs each, parallel over planes: every argmax of a plane points into that plane's input,
     * so the planes write disjoint parts of {@code gx} and each element's additions keep their order.
     */
    public static void maxBackward(float[] gy, int[] argmax, float[] gx, int planes, int outPlane) {
        if ((long) planes * outPlane < PARALLEL_MIN) {
            maxBackwardRange(gy, argmax, gx, 0, planes * outPlane);
        } else {
            Parallel.forRange(planes, (from, to) -> maxBackwardRange(gy, argmax, gx, from * outPlane, to * outPlane));
        }
    }

    private static void maxBackwardRange(float[] gy, int[] argmax, float[] gx, int from, int to) {
        for (int o = from; o < to; o++) {
            gx[argmax[o]] += gy[o];
        }
    }

    /**
     * {@code y = sum(window) / divisor}, where the divisor counts the padded window as PyTorch's
     * {@code count_include_pad=True}: {@code (min(h0 + k, H + pad) - h0) * (same for w)} with the
     * unclipped start {@code h0}; in floor mode that is {@code kernel^2}. Only {@code y} is
     * modified.
     */
    public static void avgForward(float[] x, int planes, int h, int w, int kernel, int stride, int pad,
                                  int outH, int outW, float[] y) {
        int o = 0;
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int r = 0; r < outH; r++) {
                int h0 = r * stride - pad;
                int hPad = Math.min(h0 + kernel, h + pad) - h0;
                int h1 = Math.min(h0 + kernel, h);
                h0 = Math.max(h0, 0);
                for (int c = 0; c < outW; c++, o++) {
                    int w0 = c * stride - pad;
                    int divisor = hPad * (Math.min(w0 + kernel, w + pad) - w0);
                    int w1 = Math.min(w0 + kernel, w);
                    w0 = Math.max(w0, 0);
                    float s = 0f;
                    for (int ih = h0; ih < h1; ih++) {
                        int row = base + ih * w;
                        for (int iw = w0; iw < w1; iw++) {
                            s += x[row + iw];
                        }
                    }
                    y[o] = s / divisor;
                }
            }
        }
    }

    /**
     * The adjoint of {@link #avgForward}: every element of a window gets {@code gy / divisor}.
     * Only {@code gx} is modified, by adding.
     */
    public static void avgBackward(float[] gy, int planes, int h, int w, int kernel, int stride, int pad,
                                   int outH, int outW, float[] gx) {
        int o = 0;
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int r = 0; r < outH; r++) {
                int h0 = r * stride - pad;
                int hPad = Math.min(h0 + kernel, h + pad) - h0;
                int h1 = Math.min(h0 + kernel, h);
                h0 = Math.max(h0, 0);
                for (int c = 0; c < outW; c++, o++) {
                    int w0 = c * stride - pad;
                    int divisor = hPad * (Math.min(w0 + kernel, w + pad) - w0);
                    int w1 = Math.min(w0 + kernel, w);
                    w0 = Math.max(w0, 0);
                    float g = gy[o] / divisor;
                    for (int ih = h0; ih < h1; ih++) {
                        int row = base + ih * w;
                        for (int iw = w0; iw < w1; iw++) {
                            gx[row + iw] += g;
                        }
                    }
                }
            }
        }
    }

    /**
     * Adaptive average pooling of {@code planes} planes of {@code h x w} to {@code outH x outW}, as
     * PyTorch's {@code adaptive_avg_pool2d}: output row {@code i} averages input rows
     * {@code floor(i*h/outH)} to {@code ceil((i+1)*h/outH)} (exclusive), columns alike, so the
     * windows cover the input and may overlap. Sums in float, row-major. Writes {@code y} only.
     */
    public static void adaptiveAvgForward(float[] x, int planes, int h, int w, int outH, int outW, float[] y) {
        int o = 0;
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int r = 0; r < outH; r++) {
                int h0 = adaptiveStart(r, h, outH);
                int h1 = adaptiveEnd(r, h, outH);
                for (int c = 0; c < outW; c++, o++) {
                    int w0 = adaptiveStart(c, w, outW);
                    int w1 = adaptiveEnd(c, w, outW);
                    float sum = 0;
                    for (int ih = h0; ih < h1; ih++) {
                        int row = base + ih * w;
                        for (int iw = w0; iw < w1; iw++) {
                            sum += x[row + iw];
                        }
                    }
                    y[o] = sum / ((h1 - h0) * (w1 - w0));
                }
            }
        }
    }

    /**
     * The adjoint of {@link #adaptiveAvgForward}: every element of a window gets
     * {@code gy / window size}. Only {@code gx} is modified, by adding.
     */
    public static void adaptiveAvgBackward(float[] gy, int planes, int h, int w, int outH, int outW, float[] gx) {
        int o = 0;
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int r = 0; r < outH; r++) {
                int h0 = adaptiveStart(r, h, outH);
                int h1 = adaptiveEnd(r, h, outH);
                for (int c = 0; c < outW; c++, o++) {
                    int w0 = adaptiveStart(c, w, outW);
                    int w1 = adaptiveEnd(c, w, outW);
                    float g = gy[o] / ((h1 - h0) * (w1 - w0));
                    for (int ih = h0; ih < h1; ih++) {
                        int row = base + ih * w;
                        for (int iw = w0; iw < w1; iw++) {
                            gx[row + iw] += g;
                        }
                    }
                }
            }
        }
    }

    /** {@code floor(i * size / out)}, in long so that large sizes do not overflow. */
    private static int adaptiveStart(int i, int size, int out) {
        return (int) ((long) i * size / out);
    }

    /** {@code ceil((i + 1) * size / out)}. */
    private static int adaptiveEnd(int i, int size, int out) {
        return (int) (((long) (i + 1) * size + out - 1) / out);
    }
}
