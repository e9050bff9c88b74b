package org.grad4j.core.kernels;

/**
 * A 2-D convolution and its gradients by im2col + GEMM, a chunk of images at a time.
 *
 * <p>A batch is cut into chunks of {@link #chunkImages} consecutive images. For each chunk the
 * column matrix {@code cols [C*kh*kw, G*OH*OW]} ({@link Im2col}) and the GEMM's output
 * {@code [F, G*OH*OW]} are small enough to stay in the core's L2 cache, so the unfolding, the
 * product and the copy into {@code [N, F, OH, OW]} layout all work on cached data; unfolding the
 * whole batch at once made every step stream matrices of up to 34 MB through memory (conv2 at
 * 96x96, batch 32), which cost more than the products themselves. Chunks run in parallel
 * ({@link Parallel#forRange}), each with its thread's {@link Workspace} buffers.
 *
 * <p>On the SIMD path two variants take over where they pay: layers with few taps at stride 1 and
 * no padding or dilation run on a direct kernel without any column matrix ({@link #direct}), and
 * other such layers use the wide column layout ({@link Im2col#preferWide}), whose rows are copied
 * and folded back in one piece per tap and image. Dilated layers take the general im2col path.
 *
 * <p>Determinism: the chunking depends only on the shapes, never on the thread count; every output
 * element is computed within one chunk; and the weight and bias gradients are summed per chunk,
 * then over the chunks in chunk order. So results are bit-identical at every thread count.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class ConvKernels {
    /**
     * Target size of one chunk's column matrix in floats (512 KB): with the GEMM's output and its
     * packed blocks it stays in a 2 MB L2 cache.
     */
    static final int CHUNK_FLOATS = 1 << 17;
    /** A batch of at least this many images is cut into at least this many chunks, to share out. */
    static final int MIN_CHUNKS = 8;

    /**
     * The direct kernel serves layers with at most this many taps ({@code C*kh*kw}); beyond, a
     * GEMM's register blocking beats it. BN-LeNet's conv1 has 25 taps, conv2 150.
     */
    static final int DIRECT_MAX_TAPS = 64;

    private ConvKernels() {
    }

    /**
     * Whether {@code g} runs on the direct kernel ({@link VectorConv}) instead of im2col + GEMM:
     * with the Vector API, stride 1, no padding, no dilation, rows of at least one vector and few taps. For
     * conv1 of BN-LeNet (1 input channel) im2col writes 25 copies of the input to read them once:
     * the direct kernel reads the input where it lies.
     */
    static boolean direct(Im2col.Geometry g) {
        return Kernels.SIMD && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0
                && g.undilated() && g.rows() <= DIRECT_MAX_TAPS && g.outW() >= VectorConv.L;
    }

    /**
     * The number of images per chunk for {@code g}: as many as fit {@link #CHUNK_FLOATS} (at least
     * one), and few enough that a batch of at least {@link #MIN_CHUNKS} images makes that many chunks.
     */
    public static int chunkImages(Im2col.Geometry g) {
        long perImage = Math.max(1L, (long) g.rows() * g.outH() * g.outW());
        long byCache = Math.max(1L, CHUNK_FLOATS / perImage);
        long byBalance = Math.max(1L, g.batch() / MIN_CHUNKS);
        return (int) Math.max(1L, Math.min(g.batch(), Math.min(byCache, byBalance)));
    }

    /**
     * {@code y [N, F, OH, OW] = conv(x, w) + bias}: {@code x} is {@code [N, C, H, W]} as described by
     * {@code g}, {@code w} is {@code [F, C*kh*kw]}, {@code bias} is {@code [F]} or null. Every
     * element of {@code y} is written. Only {@code y} is modified.
     */
    public static void forward(float[] x, Im2col.Geometry g, int f, float[] w, float[] bias, float[] y) {
        int per = chunkImages(g);
        int chunks = chunks(g.batch(), per);
        if (chunks == 1) {
            // On the calling thread, so that the GEMM itself may use every thread.
            forwardChunk(x, g, f, w, bias, y, 0, g.batch());
            return;
        }
        Parallel.forRange(chunks, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                int first = c * per;
                forwardChunk(x, g, f, w, bias, y, first, Math.min(per, g.batch() - first));
            }
        });
    }

    private static void forwardChunk(float[] x, Im2col.Geometry g, int f, float[] w, float[] bias, float[] y,
                                     int first, int count) {
        if (direct(g)) {
            VectorConv.forward(x, g, f, w, bias, y, first, count);
            return;
        }
        int ow = g.outW();
        int plane = g.outH() * ow;
        boolean wide = Im2col.preferWide(g);
        int rs = wide ? g.width() : ow;
        int span = g.outH() * rs;
        int len = count * span;
        int ck = g.rows();
        float[] cols = Workspace.get(Workspace.COLS, ck * len);
        if (wide) {
            Im2col.im2colWide(x, g, first, count, cols);
        } else {
            Im2col.im2col(x, g, first, count, cols);
        }
        float[] rows = Workspace.get(Workspace.ROWS, f * len);
        Gemm.gemm(false, false, f, len, ck, w, cols, rows, false);
        // [F, count*span] -> y[first + j, k, :], shifted by the bias; the wide layout's rows are
        // rs apart, of which the first OW are outputs.
        int pieces = wide ? g.outH() : 1;
        int piece = wide ? ow : plane;
        for (int j = 0; j < count; j++) {
            for (int k = 0; k < f; k++) {
                float b = bias == null ? 0f : bias[k];
                for (int r = 0; r < pieces; r++) {
                    int src = k * len + j * span + r * rs;
                    int dst = ((first + j) * f + k) * plane + r * ow;
                    if (bias == null) {
                        System.arraycopy(rows, src, y, dst, piece);
                    } else {
                        for (int i = 0; i < piece; i++) {
                            y[dst + i] = rows[src + i] + b;
                        }
                    }
                }
            }
        }
    }

    /**
     * The gradients of {@link #forward} for the output gradient {@code gy [N, F, OH, OW]}, each
     * added to its array when that is not null: {@code gx [N, C, H, W]}, {@code gw [F, C*kh*kw]}
     * and {@code gb [F]}. Since {@code Y' = W cols} per chunk ({@code Y'} being the chunk's output
     * in GEMM layout {@code [F, G*OH*OW]}): {@code dW = sum over chunks of dY' cols^T},
     * {@code dX = col2im(W^T dY')} and {@code db[f]} the sum of {@code dY'}'s row {@code f}. Only
     * {@code gx}, {@code gw} and {@code gb} are modified.
     */
    public static void backward(float[] x, Im2col.Geometry g, int f, float[] w, float[] gy,
                                float[] gx, float[] gw, float[] gb) {
        int per = chunkImages(g);
        int chunks = chunks(g.batch(), per);
        int ck = g.rows();
        // Per-chunk sums, added over the chunks in a fixed order below.
        float[][] partW = gw == null ? null : new float[chunks][];
        double[] partB = gb == null ? null : new double[chunks * f];
        if (chunks == 1) {
            backwardChunk(x, g, f, w, gy, gx, partW, partB, 0, 0, g.batch());
        } else {
            Parallel.forRange(chunks, (c0, c1) -> {
                for (int c = c0; c < c1; c++) {
                    int first = c * per;
                    backwardChunk(x, g, f, w, gy, gx, partW, partB, c, first, Math.min(per, g.batch() - first));
                }
            });
        }
        if (gw != null) {
            for (int i = 0; i < f * ck; i++) {
                float s = partW[0][i];
                for (int c = 1; c < chunks; c++) {
                    s += partW[c][i];
                }
                gw[i] += s;
            }
        }
        if (gb != null) {
            for (int k = 0; k < f; k++) {
                double s = 0;
                for (int c = 0; c < chunks; c++) {
                    s += partB[c * f + k];
                }
                gb[k] += (float) s;
            }
        }
    }

    private static void backwardChunk(float[] x, Im2col.Geometry g, int f, float[] w, float[] gy, float[] gx,
                                      float[][] partW, double[] partB, int chunk, int first, int count) {
        int plane = g.outH() * g.outW();
        int ck = g.rows();
        boolean direct = direct(g);
        if (direct) {
            // The weight and bias gradients straight from gy; only dX goes through the columns.
            if (partB != null) {
                for (int k = 0; k < f; k++) {
                    double s = 0;
                    for (int j = first; j < first + count; j++) {
                        s += VectorConv.sum(gy, (j * f + k) * plane, plane);
                    }
                    partB[chunk * f + k] = s;
                }
            }
            if (partW != null) {
                float[] dw = new float[f * ck];
                VectorConv.weightGrad(x, g, f, gy, first, count, dw);
                partW[chunk] = dw;
            }
            if (gx == null) {
                return;
            }
        }
        // dY' [F, count*span] from gy[first + j, k, :]; zero in the wide layout's padding columns.
        boolean wide = Im2col.preferWide(g);
        int ow = g.outW();
        int rs = wide ? g.width() : ow;
        int span = g.outH() * rs;
        int wlen = count * span;
        float[] rows = Workspace.get(Workspace.ROWS, f * wlen);
        if (wide) {
            java.util.Arrays.fill(rows, 0, f * wlen, 0f);
        }
        int pieces = wide ? g.outH() : 1;
        int piece = wide ? ow : plane;
        for (int j = 0; j < count; j++) {
            for (int k = 0; k < f; k++) {
                for (int r = 0; r < pieces; r++) {
                    System.arraycopy(gy, ((first + j) * f + k) * plane + r * ow, rows, k * wlen + j * span + r * rs,
                            piece);
                }
            }
        }
        if (partB != null && !direct) {
            for (int k = 0; k < f; k++) {
                partB[chunk * f + k] = Kernels.SIMD ? VectorConv.sum(rows, k * wlen, wlen) : sum(rows, k * wlen, wlen);
            }
        }
        if (partW != null && !direct) {
            float[] cols = Workspace.get(Workspace.COLS, ck * wlen);
            if (wide) {
                Im2col.im2colWide(x, g, first, count, cols);
            } else {
                Im2col.im2col(x, g, first, count, cols);
            }
            float[] dw = new float[f * ck];
            // dW_chunk [F, CK] = dY' [F, wlen] . cols^T [wlen, CK]
            Gemm.gemm(false, true, f, ck, wlen, rows, cols, dw, false);
            partW[chunk] = dw;
        }
        if (gx != null) {
            float[] dcols = Workspace.get(Workspace.COLS_GRAD, ck * wlen);
            // dcols [CK, wlen] = W^T [CK, F] . dY' [F, wlen]
            Gemm.gemm(true, false, ck, wlen, f, w, rows, dcols, false);
            if (wide) {
                Im2col.col2imWide(dcols, g, first, count, gx);
            } else {
                Im2col.col2im(dcols, g, first, count, gx);
            }
        }
    }

    /** {@code a[from .. from+len)} summed in double, four interleaved accumulators added in a fixed order. */
    private static double sum(float[] a, int from, int len) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        int end = from + len;
        for (; i + 3 < end; i += 4) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
        }
        for (; i < end; i++) {
            s0 += a[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static int chunks(int batch, int per) {
        return Math.max(1, (batch + per - 1) / per);
    }
}
