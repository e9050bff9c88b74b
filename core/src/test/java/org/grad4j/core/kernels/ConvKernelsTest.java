package org.grad4j.core.kernels;

import static org.grad4j.core.kernels.ThreadCounts.sameAtEveryThreadCount;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The chunked convolution kernels against a naive double-precision oracle, over batches that cut
 * into several chunks with a shorter last one, and bit-identical at 1, 2 and 3 threads. The suite
 * runs with and without the Vector API module, so both GEMM paths are covered.
 */
class ConvKernelsTest {
    private final int savedThreads = Kernels.threads();

    @AfterEach
    void restoreThreads() {
        Kernels.setThreads(savedThreads);
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * 2f - 1f;
        }
        return a;
    }

    private static void assertClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            assertTrue(Math.abs(e - actual[i]) <= tol * (1 + Math.abs(e)),
                    what + " element " + i + ": expected " + e + ", got " + actual[i]);
        }
    }

    /** The value of {@code x[n, c, ih, iw]}, 0 in the padding. */
    private static double at(float[] x, Im2col.Geometry g, int n, int c, int ih, int iw) {
        if (ih < 0 || ih >= g.height() || iw < 0 || iw >= g.width()) {
            return 0;
        }
        return x[((n * g.channels() + c) * g.height() + ih) * g.width() + iw];
    }

    // n, c, h, w, kh, kw, sh, sw, ph, pw, filters, and optionally dh, dw (else 1, 1)
    private static final int[][] CASES = {
        {1, 1, 5, 5, 3, 3, 1, 1, 0, 0, 2},
        {19, 3, 9, 11, 3, 3, 1, 1, 1, 1, 4},     // 2 images per chunk, the last chunk 1 image
        {17, 1, 28, 28, 5, 5, 1, 1, 0, 0, 6},    // conv1 of BN-LeNet, a short batch
        {33, 6, 12, 12, 5, 5, 1, 1, 0, 0, 16},   // conv2 of BN-LeNet at 28x28
        {10, 2, 13, 8, 3, 2, 2, 3, 1, 1, 3},     // strides and padding
        {2, 2, 40, 40, 5, 5, 1, 1, 2, 2, 5},     // one image per chunk, two chunks
        // The direct kernel (SIMD): rows of 33 (an overlapping last vector), 16 and 32 (none);
        // 18 taps (blocks of five and single taps); 7 and 16 filters (a partial block of three).
        {5, 2, 20, 35, 3, 3, 1, 1, 0, 0, 7},
        {3, 1, 20, 20, 5, 5, 1, 1, 0, 0, 16},
        {4, 1, 36, 36, 5, 5, 1, 1, 0, 0, 2},
        {9, 1, 96, 96, 5, 5, 1, 1, 0, 0, 6},     // conv1 at 96x96
        {3, 1, 21, 20, 5, 5, 1, 1, 0, 0, 4},     // an odd number of output rows (the last one alone)
        // Dilated: geometries that would take the direct kernel or the wide layout without it.
        {5, 2, 20, 35, 3, 3, 1, 1, 0, 0, 7, 2, 3},
        {33, 6, 16, 16, 5, 5, 1, 1, 0, 0, 16, 2, 2},
        {10, 2, 13, 9, 3, 2, 2, 1, 2, 1, 3, 2, 3},
    };

    @Test
    void forwardAndBackwardMatchTheNaiveOracleAndAreThreadCountIndependent() {
        Random r = new Random(345);
        for (int[] d : CASES) {
            int dh = d.length > 11 ? d[11] : 1;
            int dw = d.length > 11 ? d[12] : 1;
            Im2col.Geometry g = new Im2col.Geometry(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], dh,
                    dw);
            int n = d[0];
            int ch = d[1];
            int f = d[10];
            int oh = g.outH();
            int ow = g.outW();
            int ck = g.rows();
            float[] x = random(r, n * ch * d[2] * d[3]);
            float[] w = random(r, f * ck);
            float[] bias = random(r, f);
            float[] gy = random(r, n * f * oh * ow);
            double[] y = new double[gy.length];
            double[] gx = new double[x.length];
            double[] gw = new double[w.length];
            double[] gb = new double[f];
            for (int b = 0; b < n; b++) {
                for (int k = 0; k < f; k++) {
                    for (int a = 0; a < oh; a++) {
                        for (int e = 0; e < ow; e++) {
                            int o = ((b * f + k) * oh + a) * ow + e;
                            double s = bias[k];
                            for (int c = 0; c < ch; c++) {
                                for (int i = 0; i < d[4]; i++) {
                                    for (int j = 0; j < d[5]; j++) {
                                        int ih = a * d[6] - d[8] + i * dh;
                                        int iw = e * d[7] - d[9] + j * dw;
                                        int wi = (k * ch + c) * d[4] * d[5] + i * d[5] + j;
                                        s += w[wi] * at(x, g, b, c, ih, iw);
                                        gw[wi] += gy[o] * at(x, g, b, c, ih, iw);
                                        if (ih >= 0 && ih < d[2] && iw >= 0 && iw < d[3]) {
                                            gx[((b * ch + c) * d[2] + ih) * d[3] + iw] += gy[o] * w[wi];
                                        }
                                    }
                                }
                            }
                            y[o] = s;
                            gb[k] += gy[o];
                        }
                    }
                }
            }
            String what = g + " with " + f + " filters";
            assertClose(y, sameAtEveryThreadCount(() -> {
                float[] out = new float[gy.length];
                Arrays.fill(out, Float.NaN); // every element must be written
                ConvKernels.forward(x, g, f, w, bias, out);
                return out;
            }), 1e-5, what + " y");
            float[] start = random(r, x.length + w.length + f); // gradients add to what is there
            float[] grads = sameAtEveryThreadCount(() -> {
                float[] gxOut = Arrays.copyOfRange(start, 0, x.length);
                float[] gwOut = Arrays.copyOfRange(start, x.length, x.length + w.length);
                float[] gbOut = Arrays.copyOfRange(start, x.length + w.length, start.length);
                ConvKernels.backward(x, g, f, w, gy, gxOut, gwOut, gbOut);
                float[] all = new float[start.length];
                System.arraycopy(gxOut, 0, all, 0, x.length);
                System.arraycopy(gwOut, 0, all, x.length, w.length);
                System.arraycopy(gbOut, 0, all, x.length + w.length, f);
                return all;
            });
            double[] expected = new double[start.length];
            for (int i = 0; i < start.length; i++) {
                expected[i] = start[i] + (i < x.length ? gx[i]
                        : i < x.length + w.length ? gw[i - x.length] : gb[i - x.length - w.length]);
            }
            assertClose(expected, grads, 1e-4, what + " gradients");
        }
    }

    @Test
    void backwardComputesOnlyTheGradientsAsked() {
        Random r = new Random(7);
        Im2col.Geometry g = new Im2col.Geometry(19, 3, 9, 11, 3, 3, 1, 1, 1, 1);
        int f = 4;
        float[] x = random(r, 19 * 3 * 9 * 11);
        float[] w = random(r, f * g.rows());
        float[] gy = random(r, 19 * f * g.outH() * g.outW());
        float[] gx = new float[x.length];
        float[] gw = new float[w.length];
        float[] gb = new float[f];
        ConvKernels.backward(x, g, f, w, gy, gx, gw, gb);
        float[] gwOnly = new float[w.length];
        ConvKernels.backward(x, g, f, w, gy, null, gwOnly, null);
        float[] gxOnly = new float[x.length];
        ConvKernels.backward(x, g, f, w, gy, gxOnly, null, null);
        assertEquals(Arrays.toString(gw), Arrays.toString(gwOnly));
        assertEquals(Arrays.toString(gx), Arrays.toString(gxOnly));
    }

    @Test
    void theDirectKernelServesFewTapsAtStrideOneWithoutPaddingOnTheSimdPath() {
        assertEquals(Kernels.simd(), ConvKernels.direct(new Im2col.Geometry(256, 1, 28, 28, 5, 5, 1, 1, 0, 0)));
        assertEquals(Kernels.simd(), ConvKernels.direct(new Im2col.Geometry(5, 2, 20, 35, 3, 3, 1, 1, 0, 0)));
        assertEquals(false, ConvKernels.direct(new Im2col.Geometry(256, 6, 12, 12, 5, 5, 1, 1, 0, 0)), "150 taps");
        assertEquals(false, ConvKernels.direct(new Im2col.Geometry(8, 1, 28, 28, 5, 5, 1, 1, 2, 2)), "padding");
        assertEquals(false, ConvKernels.direct(new Im2col.Geometry(8, 1, 28, 28, 5, 5, 2, 2, 0, 0)), "stride");
        assertEquals(false, ConvKernels.direct(new Im2col.Geometry(8, 1, 7, 7, 5, 5, 1, 1, 0, 0)), "rows of 3");
        assertEquals(false, ConvKernels.direct(new Im2col.Geometry(256, 1, 28, 28, 5, 5, 1, 1, 0, 0, 1, 2)),
                "dilation");
    }

    @Test
    void chunksFitTheCacheAndShareOutTheBatch() {
        // BN-LeNet: conv1 at 28x28, batch 256 (25 x 576 floats per image) fits 9 images in 2^17 floats.
        assertEquals(9, ConvKernels.chunkImages(new Im2col.Geometry(256, 1, 28, 28, 5, 5, 1, 1, 0, 0)));
        // conv2 at 28x28 (150 x 64 per image): 13 fit.
        assertEquals(13, ConvKernels.chunkImages(new Im2col.Geometry(256, 6, 12, 12, 5, 5, 1, 1, 0, 0)));
        // conv2 at 96x96 (150 x 1764 per image) is larger than the target: one image per chunk.
        assertEquals(1, ConvKernels.chunkImages(new Im2col.Geometry(32, 6, 46, 46, 5, 5, 1, 1, 0, 0)));
        // A small batch still makes MIN_CHUNKS chunks when it can...
        assertEquals(2, ConvKernels.chunkImages(new Im2col.Geometry(19, 3, 9, 11, 3, 3, 1, 1, 1, 1)));
        // ...and a batch of 1 is one chunk.
        assertEquals(1, ConvKernels.chunkImages(new Im2col.Geometry(1, 6, 12, 12, 5, 5, 1, 1, 0, 0)));
    }

    @Test
    void aSubBatchUnfoldsToItsColumnsOfTheWholeBatch() {
        Random r = new Random(11);
        Im2col.Geometry g = new Im2col.Geometry(7, 3, 10, 9, 3, 3, 2, 1, 1, 0);
        int plane = g.outH() * g.outW();
        int rows = g.rows();
        float[] x = random(r, 7 * 3 * 10 * 9);
        float[] all = new float[rows * 7 * plane];
        Im2col.im2col(x, g, 0, 7, all);
        float[] part = new float[rows * 3 * plane];
        Im2col.im2col(x, g, 2, 3, part);
        for (int row = 0; row < rows; row++) {
            for (int col = 0; col < 3 * plane; col++) {
                assertEquals(all[row * 7 * plane + 2 * plane + col], part[row * 3 * plane + col], "row " + row);
            }
        }
        float[] gx = new float[x.length];
        Im2col.col2im(part, g, 2, 3, gx);
        int image = 3 * 10 * 9;
        for (int i = 0; i < x.length; i++) {
            if (i < 2 * image || i >= 5 * image) {
                assertEquals(0f, gx[i], "element " + i + " is outside the sub-batch");
            }
        }
    }

    @Test
    void theWideLayoutHoldsTheSameColumnsAndFoldsBackTheSame() {
        Random r = new Random(13);
        // conv2 of BN-LeNet at 28x28 (rows of 8 in planes of 12) and a rectangular case.
        for (Im2col.Geometry g : new Im2col.Geometry[] {
            new Im2col.Geometry(5, 6, 12, 12, 5, 5, 1, 1, 0, 0),
            new Im2col.Geometry(4, 2, 9, 17, 3, 4, 1, 1, 0, 0),
        }) {
            assertTrue(Im2col.wide(g), g.toString());
            int oh = g.outH();
            int ow = g.outW();
            int w = g.width();
            int rows = g.rows();
            int first = 1;
            int count = g.batch() - 2;
            float[] x = random(r, g.batch() * g.channels() * g.height() * w);
            float[] compact = new float[rows * count * oh * ow];
            Im2col.im2col(x, g, first, count, compact);
            float[] wide = new float[rows * count * oh * w];
            Arrays.fill(wide, Float.NaN); // every entry must be written
            Im2col.im2colWide(x, g, first, count, wide);
            float[] dWide = new float[wide.length];
            float[] dCompact = random(r, compact.length);
            for (int row = 0; row < rows; row++) {
                for (int n = 0; n < count; n++) {
                    for (int a = 0; a < oh; a++) {
                        for (int q = 0; q < w; q++) {
                            int wi = row * count * oh * w + (n * oh + a) * w + q;
                            assertTrue(!Float.isNaN(wide[wi]), g + " entry " + wi + " not written");
                            if (q < ow) {
                                int ci = row * count * oh * ow + (n * oh + a) * ow + q;
                                assertEquals(compact[ci], wide[wi], g + " row " + row);
                                dWide[wi] = dCompact[ci];
                            }
                        }
                    }
                }
            }
            float[] gxCompact = new float[x.length];
            Im2col.col2im(dCompact, g, first, count, gxCompact);
            float[] gxWide = new float[x.length];
            Im2col.col2imWide(dWide, g, first, count, gxWide);
            // The same additions in the same order per element, plus zeros.
            assertEquals(Arrays.toString(gxCompact), Arrays.toString(gxWide), g.toString());
        }
    }

    @Test
    void convolutionsUseTheWideLayoutOnlyOnTheSimdPath() {
        Im2col.Geometry conv2 = new Im2col.Geometry(256, 6, 12, 12, 5, 5, 1, 1, 0, 0);
        assertEquals(Kernels.simd(), Im2col.preferWide(conv2));
    }

    @Test
    void theWideLayoutRefusesOtherGeometries() {
        Im2col.Geometry padded = new Im2col.Geometry(2, 1, 12, 12, 5, 5, 1, 1, 2, 2);
        assertEquals(false, Im2col.wide(padded));
        assertEquals(false, Im2col.wide(new Im2col.Geometry(2, 1, 12, 12, 5, 5, 2, 2, 0, 0)), "stride 2");
        assertEquals(false, Im2col.wide(new Im2col.Geometry(2, 1, 30, 30, 5, 5, 1, 1, 0, 0, 2, 1)), "dilation");
        assertEquals(false, Im2col.wide(new Im2col.Geometry(2, 1, 5, 5, 3, 3, 1, 1, 0, 0)), "rows of 3 in 5");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Im2col.im2colWide(new float[288], padded, 0, 2, new float[10000]));
        assertEquals("im2col: the wide layout needs stride 1, no padding, no dilation and output rows of at least "
                + "2/3 of the width, got " + padded, e.getMessage());
    }

    @Test
    void aSubBatchOutsideTheBatchIsRefused() {
        Im2col.Geometry g = new Im2col.Geometry(4, 1, 5, 5, 3, 3, 1, 1, 0, 0);
        float[] x = new float[100];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Im2col.im2col(x, g, 3, 2, new float[100]));
        assertEquals("im2col: images [3, 5) are not within the batch of 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Im2col.col2im(new float[100], g, -1, 1, x));
        assertEquals("im2col: images [-1, 0) are not within the batch of 4", e.getMessage());
    }
}
