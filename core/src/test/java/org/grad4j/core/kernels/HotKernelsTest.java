package org.grad4j.core.kernels;

import static org.grad4j.core.kernels.ThreadCounts.sameAtEveryThreadCount;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The parallel kernels of a training step (batch norm, max pooling, sigmoid; and im2col/col2im)
 * against naive oracles over awkward sizes, and bit-identical at 1, 2 and 3 threads. The suite
 * runs with and without {@code --add-modules jdk.incubator.vector}, so both paths are covered.
 */
class HotKernelsTest {
    private static final int[] SIZES = {1, 7, 15, 17, 33};
    private final int savedThreads = Kernels.threads();

    @AfterEach
    void restoreThreads() {
        Kernels.setThreads(savedThreads);
    }

    private static float[] random(Random r, int n, float scale, float shift) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextFloat() * scale + shift;
        }
        return a;
    }

    private static void assertClose(double expected, double actual, double tol, String what) {
        assertTrue(Math.abs(expected - actual) <= tol * (1 + Math.abs(expected)),
                what + ": expected " + expected + ", got " + actual);
    }

    // ---- batch norm ----

    private static float[] batchNorm(float[] x, float[] gy, int n, int c, int s, float[] gamma, float[] beta,
                                     boolean training) {
        double[] mean = new double[c];
        double[] var = new double[c];
        NormKernels.channelStats(x, n, c, s, mean, var);
        double[] invstd = new double[c];
        for (int ch = 0; ch < c; ch++) {
            invstd[ch] = 1 / Math.sqrt(var[ch] + 1e-5);
        }
        float[] y = new float[x.length];
        NormKernels.normalize(x, n, c, s, mean, invstd, gamma, beta, y);
        float[] gx = new float[x.length];
        float[] gg = new float[c];
        float[] gb = new float[c];
        NormKernels.backward(x, gy, n, c, s, mean, invstd, gamma, training, gx, gg, gb);
        float[] all = new float[4 * c + 2 * x.length + 2 * c];
        int o = 0;
        for (int ch = 0; ch < c; ch++) {
            all[o++] = (float) mean[ch];
            all[o++] = (float) (mean[ch] - (float) mean[ch]) * 1e8f;
            all[o++] = (float) var[ch];
            all[o++] = (float) (var[ch] - (float) var[ch]) * 1e8f;
        }
        System.arraycopy(y, 0, all, o, y.length);
        o += y.length;
        System.arraycopy(gx, 0, all, o, gx.length);
        o += gx.length;
        System.arraycopy(gg, 0, all, o, c);
        System.arraycopy(gb, 0, all, o + c, c);
        return all;
    }

    @Test
    void batchNormMatchesTheNaiveOracleAndIsThreadCountIndependent() {
        Random r = new Random(1);
        int[][] shapes = {{1, 1, 7}, {7, 15, 1}, {17, 7, 33}, {33, 7, 17 * 17}, {15, 17, 15 * 15}, {2, 1, 33 * 33 * 33}};
        for (int[] sh : shapes) {
            int n = sh[0];
            int c = sh[1];
            int s = sh[2];
            int len = n * c * s;
            float[] x = random(r, len, 4f, 3f);
            float[] gy = random(r, len, 2f, -1f);
            float[] gamma = random(r, c, 1f, 0.5f);
            float[] beta = random(r, c, 1f, -0.5f);
            for (boolean training : new boolean[] {true, false}) {
                float[] got = sameAtEveryThreadCount(() -> batchNorm(x, gy, n, c, s, gamma, beta, training));
                checkAgainstOracle(got, x, gy, n, c, s, gamma, beta, training, false,
                        java.util.Arrays.toString(sh) + " training " + training);
            }
        }
    }

    /**
     * {@link NormKernels#trainingForward} then the backward pass, packed as {@link #batchNorm}
     * packs them; checks on the way that the fused forward pass gives the same bits as
     * {@code channelStats} then {@code normalize}.
     */
    private static float[] fusedBatchNorm(float[] x, float[] gy, int n, int c, int s, float[] gamma, float[] beta,
                                          boolean training) {
        double[] mean = new double[c];
        double[] var = new double[c];
        double[] invstd = new double[c];
        float[] y = new float[x.length];
        NormKernels.trainingForward(x, n, c, s, 1e-5, gamma, beta, mean, var, invstd, y);
        float[] separate = batchNorm(x, gy, n, c, s, gamma, beta, training);
        float[] gx = new float[x.length];
        float[] gg = new float[c];
        float[] gb = new float[c];
        NormKernels.backward(x, gy, n, c, s, mean, invstd, gamma, training, gx, gg, gb);
        float[] all = new float[4 * c + 2 * x.length + 2 * c];
        int o = 0;
        for (int ch = 0; ch < c; ch++) {
            assertEquals(1 / Math.sqrt(var[ch] + 1e-5), invstd[ch], 0.0, "invstd");
            all[o++] = (float) mean[ch];
            all[o++] = (float) (mean[ch] - (float) mean[ch]) * 1e8f;
            all[o++] = (float) var[ch];
            all[o++] = (float) (var[ch] - (float) var[ch]) * 1e8f;
        }
        System.arraycopy(y, 0, all, o, y.length);
        System.arraycopy(gx, 0, all, o + y.length, gx.length);
        System.arraycopy(gg, 0, all, o + 2 * y.length, c);
        System.arraycopy(gb, 0, all, o + 2 * y.length + c, c);
        assertArrayEquals(separate, all, "fused and separate forward passes differ");
        return all;
    }

    /**
     * The vector-api sums cut each plane into whole vectors (in blocks of {@code VectorNorm.BLOCK})
     * and a scalar tail, and planes of one value ([N, C]) run along the rows: planes of 1, 7, 15,
     * 17, 33 and 576 + 3 values, from 1 to 5 images, small enough for one thread and large enough
     * for several, both normalising paths, against sums in double. One case has a large mean (1000 + U(0, 1)), where a one-pass or plain float variance
     * would lose its digits.
     */
    @Test
    void batchNormMatchesTheDoubleOracleAtAwkwardPlaneSizes() {
        Random r = new Random(5);
        java.util.List<int[]> shapes = new java.util.ArrayList<>();
        for (int s : new int[] {1, 7, 15, 17, 33, 579}) {
            for (int n = 1; n <= 5; n++) {
                if (n * s > 1) {
                    shapes.add(new int[] {n, 3, s});
                }
            }
        }
        shapes.add(new int[] {5, 12, 579});
        shapes.add(new int[] {40, 2, 579});
        shapes.add(new int[] {30, 4, 17 * 17});
        shapes.add(new int[] {200, 3, 64});
        shapes.add(new int[] {300, 120, 1});
        for (int[] sh : shapes) {
            for (boolean largeMean : new boolean[] {false, true}) {
                int n = sh[0];
                int c = sh[1];
                int s = sh[2];
                int len = n * c * s;
                float[] x = largeMean ? random(r, len, 1f, 1000f) : random(r, len, 4f, -1f);
                float[] gy = random(r, len, 2f, -1f);
                float[] gamma = random(r, c, 1f, 0.5f);
                float[] beta = random(r, c, 1f, -0.5f);
                for (boolean training : new boolean[] {true, false}) {
                    float[] got = sameAtEveryThreadCount(() -> fusedBatchNorm(x, gy, n, c, s, gamma, beta, training));
                    checkAgainstOracle(got, x, gy, n, c, s, gamma, beta, training, largeMean,
                            java.util.Arrays.toString(sh) + (largeMean ? " mean 1000" : ""));
                }
            }
        }
    }

    private static void checkAgainstOracle(float[] got, float[] x, float[] gy, int n, int c, int s, float[] gamma,
                                           float[] beta, boolean training, boolean largeMean, String what) {
        double m = (double) n * s;
        int len = n * c * s;
        int yo = 4 * c;
        int gxo = yo + len;
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < s; i++) {
                    sum += x[(b * c + ch) * s + i];
                }
            }
            double mu = sum / m;
            double sq = 0;
            double sdy = 0;
            double sdxc = 0;
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < s; i++) {
                    int k = (b * c + ch) * s + i;
                    sq += (x[k] - mu) * (x[k] - mu);
                    sdy += gy[k];
                    sdxc += gy[k] * (x[k] - mu);
                }
            }
            double var = sq / m;
            double is = 1 / Math.sqrt(var + 1e-5);
            // The mean and variance in double (the float got[] holds them as a float plus the rest).
            double gotMean = got[4 * ch] + got[4 * ch + 1] / 1e8;
            double gotVar = got[4 * ch + 2] + got[4 * ch + 3] / 1e8;
            // The float partial sums are of deviations from a first estimate of the mean, so the
            // mean's error scales with the spread of the values, not with the mean: near 1000 it
            // stays far below float's resolution there (6e-5).
            double sd = Math.sqrt(var);
            assertTrue(Math.abs(gotMean - mu) <= 1e-7 * sd + 1e-11 * Math.abs(mu),
                    what + " mean " + gotMean + " vs " + mu);
            assertClose(var, gotVar, largeMean ? 1e-6 : 1e-7, what + " var");
            assertClose(sdxc * is, got[gxo + len + ch], 1e-5, what + " dgamma");
            assertClose(sdy, got[gxo + len + c + ch], 1e-5, what + " dbeta");
            for (int b = 0; b < n; b++) {
                for (int i = 0; i < s; i++) {
                    int k = (b * c + ch) * s + i;
                    double xhat = (x[k] - mu) * is;
                    // A large mean leaves x - mean only float's absolute precision near 1000.
                    assertClose(xhat * gamma[ch] + beta[ch], got[yo + k], largeMean ? 1e-3 : 1e-5, what + " y");
                    double gx = training
                            ? gamma[ch] * is * (gy[k] - sdy / m - xhat * sdxc * is / m)
                            : gamma[ch] * is * gy[k];
                    assertClose(gx, got[gxo + k], largeMean ? 1e-3 : 2e-5, what + " dx");
                }
            }
        }
    }

    // ---- max pooling ----

    private static float[] naiveMaxPool(float[] x, int planes, int h, int w, int k, int st, int pad, int oh, int ow,
                                        int[] argmax) {
        float[] y = new float[planes * oh * ow];
        int o = 0;
        for (int p = 0; p < planes; p++) {
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++, o++) {
                    float best = Float.NEGATIVE_INFINITY;
                    int bi = -1;
                    boolean nan = false;
                    for (int i = 0; i < k && !nan; i++) {
                        for (int j = 0; j < k && !nan; j++) {
                            int ih = r * st - pad + i;
                            int iw = c * st - pad + j;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) {
                                continue;
                            }
                            int idx = (p * h + ih) * w + iw;
                            float v = x[idx];
                            if (Float.isNaN(v)) {
                                best = v;
                                bi = idx;
                                nan = true;
                            } else if (bi < 0 || v > best) {
                                best = v;
                                bi = idx;
                            }
                        }
                    }
                    y[o] = best;
                    argmax[o] = bi;
                }
            }
        }
        return y;
    }

    @Test
    void maxPoolMatchesTheNaiveOracleAndIsThreadCountIndependent() {
        Random r = new Random(2);
        int[][] cases = {{2, 2, 0}, {3, 2, 1}, {3, 1, 0}, {2, 1, 1}};
        for (int planes : new int[] {1, 7, 33, 200}) {
            for (int size : SIZES) {
                for (int[] kc : cases) {
                    int k = kc[0];
                    int st = kc[1];
                    int pad = kc[2];
                    if (size + 2 * pad < k) {
                        continue;
                    }
                    int oh = (size + 2 * pad - k) / st + 1;
                    float[] x = random(r, planes * size * size, 2f, -1f);
                    // Ties, signed zeros and NaNs.
                    for (int i = 0; i < x.length; i += 5) {
                        x[i] = i % 3 == 0 ? 0.5f : i % 3 == 1 ? -0f : 0f;
                    }
                    if (x.length > 40) {
                        x[13] = Float.NaN;
                        x[x.length - 7] = Float.NaN;
                    }
                    int[] argmax = new int[planes * oh * oh];
                    float[] expected = naiveMaxPool(x, planes, size, size, k, st, pad, oh, oh, argmax);
                    float[] got = sameAtEveryThreadCount(() -> {
                        float[] y = new float[planes * oh * oh];
                        int[] am = new int[y.length];
                        PoolKernels.maxForward(x, planes, size, size, k, st, pad, oh, oh, y, am);
                        float[] both = new float[2 * y.length];
                        System.arraycopy(y, 0, both, 0, y.length);
                        for (int i = 0; i < am.length; i++) {
                            both[y.length + i] = am[i];
                        }
                        return both;
                    });
                    String what = planes + "x" + size + "x" + size + " k" + k + " s" + st + " p" + pad;
                    for (int i = 0; i < expected.length; i++) {
                        assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got[i]), what + " y " + i);
                        assertEquals(argmax[i], (int) got[expected.length + i], what + " argmax " + i);
                    }
                    float[] gy = random(r, expected.length, 2f, -1f);
                    float[] gxExpected = new float[x.length];
                    for (int i = 0; i < gy.length; i++) {
                        gxExpected[argmax[i]] += gy[i];
                    }
                    float[] gx = sameAtEveryThreadCount(() -> {
                        float[] g = new float[x.length];
                        PoolKernels.maxBackward(gy, argmax, g, planes, oh * oh);
                        return g;
                    });
                    assertArrayEquals(gxExpected, gx, what);
                }
            }
        }
    }

    /**
     * Values that stress the first-maximum rule: few distinct values (many ties), -0 and +0,
     * infinities, and NaNs with different payloads (the first NaN of a window must come out).
     */
    private static float[] awkward(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(40);
            x[i] = k == 0 ? -0f : k == 1 ? 0f : k == 2 ? Float.NEGATIVE_INFINITY : k == 3 ? Float.POSITIVE_INFINITY
                    : k == 4 ? Float.intBitsToFloat(0x7fc00000 | r.nextInt(1 << 20))
                    : k == 5 ? Float.intBitsToFloat(0xffc00000 | r.nextInt(1 << 20))
                    : k < 20 ? (r.nextInt(5) - 2) * 0.5f : r.nextFloat() * 4f - 2f;
        }
        return x;
    }

    /** Ties, -0, +0 and random values. */
    private static float[] finite(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(10);
            x[i] = k == 0 ? -0f : k == 1 ? 0f : k < 5 ? (r.nextInt(5) - 2) * 0.5f : r.nextFloat() * 4f - 2f;
        }
        return x;
    }

    @Test
    void maxPool2x2MatchesTheNaiveOracleOnEveryWidthAndIsThreadCountIndependent() {
        Random r = new Random(5);
        // Widths and heights around and between multiples of 16 lanes, odd ones drop the last column/row.
        int[] sizes = {2, 3, 5, 6, 14, 17, 18, 25, 33, 34, 46, 47};
        for (int planes : new int[] {1, 3, 40}) {
            for (int h : sizes) {
                for (int w : sizes) {
                    if (planes == 40 && (h + w) % 3 != 0) {
                        continue; // a subset of the large, parallel cases is enough
                    }
                    int oh = h / 2;
                    int ow = w / 2;
                    float[] x = awkward(r, planes * h * w);
                    int[] argmax = new int[planes * oh * ow];
                    float[] expected = naiveMaxPool(x, planes, h, w, 2, 2, 0, oh, ow, argmax);
                    float[] got = sameAtEveryThreadCount(() -> {
                        float[] y = new float[expected.length];
                        float[] where = new float[y.length];
                        PoolKernels.maxForward2x2(x, planes, h, w, y, where);
                        float[] both = new float[2 * y.length];
                        System.arraycopy(y, 0, both, 0, y.length);
                        System.arraycopy(where, 0, both, y.length, y.length);
                        return both;
                    });
                    float[] noWhere = sameAtEveryThreadCount(() -> {
                        float[] y = new float[expected.length];
                        PoolKernels.maxForward2x2(x, planes, h, w, y, null);
                        return y;
                    });
                    String what = planes + "x" + h + "x" + w;
                    for (int o = 0; o < expected.length; o++) {
                        int p = o / (oh * ow);
                        int topLeft = (p * h + o % (oh * ow) / ow * 2) * w + o % ow * 2;
                        // A NaN maximum comes out as Float.NaN, whatever its payload.
                        int bits = Float.floatToRawIntBits(Float.isNaN(expected[o]) ? Float.NaN : expected[o]);
                        assertEquals(bits, Float.floatToRawIntBits(got[o]), what + " y " + o);
                        assertEquals(bits, Float.floatToRawIntBits(noWhere[o]), what + " y without where " + o);
                        assertEquals(argmax[o], topLeft + Float.floatToRawIntBits(got[expected.length + o]),
                                what + " where " + o);
                    }
                    float[] where = new float[expected.length];
                    System.arraycopy(got, expected.length, where, 0, where.length);
                    // No NaN or infinity in the gradients: which NaN payload a sum of two NaNs
                    // keeps depends on how the JIT orders the operands.
                    float[] gy = finite(r, expected.length);
                    // gx starts non-zero (-0 included) and is added into: the untouched elements
                    // must keep their exact bits.
                    float[] gx0 = finite(r, x.length);
                    float[] gxExpected = gx0.clone();
                    for (int o = 0; o < gy.length; o++) {
                        gxExpected[argmax[o]] += gy[o];
                    }
                    float[] gx = sameAtEveryThreadCount(() -> {
                        float[] g = gx0.clone();
                        PoolKernels.maxBackward2x2(gy, where, planes, h, w, g);
                        return g;
                    });
                    for (int i = 0; i < gx.length; i++) {
                        assertEquals(Float.floatToRawIntBits(gxExpected[i]), Float.floatToRawIntBits(gx[i]),
                                what + " gx " + i);
                    }
                }
            }
        }
    }

    // ---- im2col / col2im ----

    @Test
    void im2colAndCol2imMatchTheNaiveOracle() {
        Random r = new Random(3);
        int[][] geos = {
            // n, c, h, w, kh, kw, sh, sw, ph, pw
            {1, 1, 1, 1, 1, 1, 1, 1, 0, 0},
            {7, 3, 15, 17, 5, 5, 1, 1, 0, 0},
            {33, 6, 12, 12, 5, 5, 1, 1, 2, 2},
            {17, 2, 33, 15, 3, 2, 2, 3, 1, 1},
            {300, 1, 28, 28, 5, 5, 1, 1, 2, 2},
        };
        for (int[] d : geos) {
            Im2col.Geometry g = new Im2col.Geometry(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9]);
            int rows = g.rows();
            int cols = g.cols();
            int oh = g.outH();
            int ow = g.outW();
            float[] x = random(r, d[0] * d[1] * d[2] * d[3], 2f, -1f);
            float[] expected = new float[rows * cols];
            float[] dcols = random(r, rows * cols, 2f, -1f);
            float[] gxExpected = new float[x.length];
            for (int c = 0; c < d[1]; c++) {
                for (int i = 0; i < d[4]; i++) {
                    for (int j = 0; j < d[5]; j++) {
                        int row = (c * d[4] + i) * d[5] + j;
                        for (int n = 0; n < d[0]; n++) {
                            for (int a = 0; a < oh; a++) {
                                for (int b = 0; b < ow; b++) {
                                    int ih = a * d[6] - d[8] + i;
                                    int iw = b * d[7] - d[9] + j;
                                    int col = (n * oh + a) * ow + b;
                                    if (ih >= 0 && ih < d[2] && iw >= 0 && iw < d[3]) {
                                        int xi = ((n * d[1] + c) * d[2] + ih) * d[3] + iw;
                                        expected[row * cols + col] = x[xi];
                                        gxExpected[xi] += dcols[row * cols + col];
                                    }
                                }
                            }
                        }
                    }
                }
            }
            float[] got = new float[rows * cols];
            java.util.Arrays.fill(got, Float.NaN); // every entry must be written
            Im2col.im2col(x, g, 0, d[0], got);
            assertArrayEquals(expected, got, g.toString());
            float[] gx = new float[x.length];
            Im2col.col2im(dcols, g, 0, d[0], gx);
            // Same additions in the same order per element as the oracle.
            assertArrayEquals(gxExpected, gx, g.toString());
        }
    }

    // ---- sigmoid ----

    @Test
    void sigmoidMatchesTheDoubleOracleAndIsThreadCountIndependent() {
        Random r = new Random(4);
        int[] lengths = {1, 7, 15, 17, 33, 100_003};
        for (int n : lengths) {
            float[] x = random(r, n, 40f, -20f);
            if (n > 20) {
                x[0] = Float.NaN;
                x[1] = Float.POSITIVE_INFINITY;
                x[2] = Float.NEGATIVE_INFINITY;
                x[3] = -0f;
                x[4] = 0f;
                x[5] = 200f;
                x[6] = -200f;
                x[7] = 1e-30f;
            }
            float[] y = sameAtEveryThreadCount(() -> {
                float[] out = new float[n];
                ElementwiseKernels.sigmoid(x, out, n);
                return out;
            });
            for (int i = 0; i < n; i++) {
                double e = 1 / (1 + Math.exp(-(double) x[i]));
                if (Float.isNaN(x[i])) {
                    assertTrue(Float.isNaN(y[i]), "sigmoid(NaN)");
                    continue;
                }
                // A few float ulps of the exact value, relative, and never outside [0, 1].
                assertTrue(Math.abs(y[i] - e) <= 4 * Math.ulp((float) e), "sigmoid(" + x[i] + ") = " + y[i] + ", expected " + e);
                assertTrue(y[i] >= 0f && y[i] <= 1f);
            }
            float[] g = random(r, n, 2f, -1f);
            float[] gx = sameAtEveryThreadCount(() -> {
                float[] out = new float[n];
                java.util.Arrays.fill(out, 0.25f);
                ElementwiseKernels.sigmoidBackward(y, g, out, n);
                return out;
            });
            for (int i = 0; i < n; i++) {
                assertEquals(0.25f + g[i] * y[i] * (1f - y[i]), gx[i], 0f);
            }
            for (int i = 0; i < n; i++) {
                float twin = Kernels.simd() ? FloatExp.sigmoid(x[i]) : ElementwiseKernels.sigmoid(x[i]);
                assertEquals(Float.floatToRawIntBits(twin), Float.floatToRawIntBits(y[i]));
            }
        }
    }

    // ---- writing a fresh gradient instead of adding ----

    @Test
    void assigningBackwardsGiveTheBitsOfAddingIntoZeros() {
        Random r = new Random(17);
        for (int[] d : new int[][] {{3, 2, 17}, {5, 6, 576 + 3}, {40, 3, 1}, {2, 4, 33}}) {
            int n = d[0];
            int c = d[1];
            int s = d[2];
            int size = n * c * s;
            float[] x = random(r, size, 4f, -2f);
            float[] gy = random(r, size, 2f, -1f);
            double[] mean = new double[c];
            double[] invstd = new double[c];
            for (int ch = 0; ch < c; ch++) {
                mean[ch] = r.nextGaussian();
                invstd[ch] = 0.5 + r.nextDouble();
            }
            float[] gamma = random(r, c, 2f, -1f);
            for (boolean training : new boolean[] {true, false}) {
                float[] added = new float[size];
                NormKernels.backward(x, gy, n, c, s, mean, invstd, gamma, training, added, null, null);
                float[] written = new float[size];
                java.util.Arrays.fill(written, Float.NaN); // garbage the kernel must not read
                NormKernels.backward(x, gy, n, c, s, mean, invstd, gamma, training, written, null, null, true);
                assertArrayEquals(added, written, "batch norm " + java.util.Arrays.toString(d) + " " + training);
            }
            if (s > 1) {
                // Max pooling 2x2 over n*c planes of 2 rows of s (an odd s drops the last column).
                int h = 2;
                int w = s;
                int planes = n * c;
                float[] pooled = new float[planes * (w / 2)];
                float[] where = new float[pooled.length];
                float[] xp = random(r, planes * h * w, 2f, -1f);
                PoolKernels.maxForward2x2(xp, planes, h, w, pooled, where);
                float[] gp = random(r, pooled.length, 2f, -1f);
                float[] pAdded = new float[xp.length];
                PoolKernels.maxBackward2x2(gp, where, planes, h, w, pAdded);
                float[] pWritten = new float[xp.length];
                java.util.Arrays.fill(pWritten, Float.NaN);
                PoolKernels.maxBackward2x2(gp, where, planes, h, w, pWritten, true);
                assertArrayEquals(pAdded, pWritten, "max pool " + planes + "x2x" + w);
            }
            float[] y = random(r, size, 1f, 0f);
            float[] added = new float[size];
            ElementwiseKernels.sigmoidBackward(y, gy, added, size);
            float[] written = new float[size];
            java.util.Arrays.fill(written, Float.NaN);
            ElementwiseKernels.sigmoidBackward(y, gy, written, size, true);
            assertArrayEquals(added, written, "sigmoid " + size);
        }
    }
}
