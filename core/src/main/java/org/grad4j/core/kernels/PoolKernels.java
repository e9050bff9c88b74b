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
        int o = 0;
        for (int p = 0; p < planes; p++) {
            int base = p * h * w;
            for (int r = 0; r < outH; r++) {
                int h0 = r * stride - pad;
                int h1 = Math.min(h0 + kernel, h);
                h0 = Math.max(h0, 0);
                for (int c = 0; c < outW; c++, o++) {
                    int w0 = c * stride - pad;
                    int w1 = Math.min(w0 + kernel, w);
                    w0 = Math.max(w0, 0);
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
                    y[o] = bv;
                    if (argmax != null) {
                        argmax[o] = best;
                    }
                }
            }
        }
    }

    /**
     * {@code gx[argmax[o]] += gy[o]}: only the chosen element of each window influenced the output.
     * Only {@code gx} is modified.
     */
    public static void maxBackward(float[] gy, int[] argmax, float[] gx) {
        for (int o = 0; o < gy.length; o++) {
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
}
