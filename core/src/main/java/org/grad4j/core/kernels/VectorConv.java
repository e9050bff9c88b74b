package org.grad4j.core.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector-api parts of the convolution, behind {@link Im2col} and {@link ConvKernels}; like
 * {@link VectorGemm} it references {@code jdk.incubator.vector} and is loaded only when
 * {@link Kernels#simd()} is true, and its vector code lives in small methods that C2 compiles
 * whole.
 */
final class VectorConv {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector. */
    static final int L = S.length();

    private VectorConv() {
    }

    /**
     * {@code dst[d + q] += src[s + q]} for {@code q < len}: col2im's rows. Each element gets one
     * addition, so the result is the same as the scalar loop's.
     */
    static void addRow(float[] src, int s, float[] dst, int d, int len) {
        int q = 0;
        for (; q + L <= len; q += L) {
            add(src, s + q, dst, d + q);
        }
        // A masked tail runs several times slower on JDK 17 than these few scalar additions.
        for (; q < len; q++) {
            dst[d + q] += src[s + q];
        }
    }

    private static void add(float[] src, int s, float[] dst, int d) {
        FloatVector.fromArray(S, dst, d).add(FloatVector.fromArray(S, src, s)).intoArray(dst, d);
    }

    /**
     * The direct convolution's forward pass for images {@code [first, first + count)}, stride 1, no
     * padding, {@code OW >= L} (see {@link ConvKernels#direct}): {@code y[n, f, r, o] = bias[f] +
     * sum over taps t = (c, i, j) of w[f, t] x[n, c, r + i, o + j]}, each output an fma chain over
     * the taps in order, starting from the bias. Vectors run along {@code o}; the last vector of a
     * row starts at {@code OW - L} and overlaps the one before, recomputing (identically) the
     * outputs they share. Three filters at a time share each load of {@code x}.
     */
    static void forward(float[] x, Im2col.Geometry g, int f, float[] w, float[] bias, float[] y,
                        int first, int count) {
        int taps = g.rows();
        int[] off = tapOffsets(g);
        int blocks = (f + 2) / 3;
        // Weights packed [block][tap][3], zero for the missing filters of the last block.
        float[] wp = new float[blocks * taps * 3];
        for (int k = 0; k < f; k++) {
            for (int t = 0; t < taps; t++) {
                wp[((k / 3) * taps + t) * 3 + k % 3] = w[k * taps + t];
            }
        }
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int image = g.channels() * g.height() * g.width();
        int[] starts = rowStarts(ow);
        for (int n = first; n < first + count; n++) {
            for (int b = 0; b < blocks; b++) {
                int f0 = 3 * b;
                int nf = Math.min(3, f - f0);
                float b0 = bias == null ? 0f : bias[f0];
                float b1 = bias == null || nf < 2 ? 0f : bias[f0 + 1];
                float b2 = bias == null || nf < 3 ? 0f : bias[f0 + 2];
                int yb = (n * f + f0) * plane;
                int r = 0;
                for (; r + 1 < oh; r += 2) {
                    for (int o : starts) {
                        out3x2(x, n * image + r * g.width() + o, g.width(), off, wp, b * taps * 3, taps, b0, b1, b2,
                                y, yb + r * ow + o, ow, plane, nf);
                    }
                }
                for (; r < oh; r++) {
                    for (int o : starts) {
                        out3(x, n * image + r * g.width() + o, off, wp, b * taps * 3, taps, b0, b1, b2,
                                y, yb + r * ow + o, plane, nf);
                    }
                }
            }
        }
    }

    /**
     * {@link #out3} for two consecutive output rows: each broadcast weight feeds two fmas, so the
     * loads per fma drop from 4/3 to 5/6.
     */
    private static void out3x2(float[] x, int xb, int w, int[] off, float[] wp, int wb, int taps, float b0, float b1,
                               float b2, float[] y, int y0, int ow, int plane, int nf) {
        FloatVector a0 = FloatVector.broadcast(S, b0);
        FloatVector a1 = FloatVector.broadcast(S, b1);
        FloatVector a2 = FloatVector.broadcast(S, b2);
        FloatVector c0 = a0;
        FloatVector c1 = a1;
        FloatVector c2 = a2;
        for (int t = 0; t < taps; t++) {
            int xi = xb + off[t];
            FloatVector u = FloatVector.fromArray(S, x, xi);
            FloatVector v = FloatVector.fromArray(S, x, xi + w);
            int q = wb + 3 * t;
            FloatVector k0 = FloatVector.broadcast(S, wp[q]);
            FloatVector k1 = FloatVector.broadcast(S, wp[q + 1]);
            FloatVector k2 = FloatVector.broadcast(S, wp[q + 2]);
            a0 = k0.fma(u, a0);
            a1 = k1.fma(u, a1);
            a2 = k2.fma(u, a2);
            c0 = k0.fma(v, c0);
            c1 = k1.fma(v, c1);
            c2 = k2.fma(v, c2);
        }
        a0.intoArray(y, y0);
        c0.intoArray(y, y0 + ow);
        if (nf > 1) {
            a1.intoArray(y, y0 + plane);
            c1.intoArray(y, y0 + plane + ow);
        }
        if (nf > 2) {
            a2.intoArray(y, y0 + 2 * plane);
            c2.intoArray(y, y0 + 2 * plane + ow);
        }
    }

    private static void out3(float[] x, int xb, int[] off, float[] wp, int wb, int taps, float b0, float b1,
                             float b2, float[] y, int y0, int plane, int nf) {
        FloatVector a0 = FloatVector.broadcast(S, b0);
        FloatVector a1 = FloatVector.broadcast(S, b1);
        FloatVector a2 = FloatVector.broadcast(S, b2);
        for (int t = 0; t < taps; t++) {
            FloatVector v = FloatVector.fromArray(S, x, xb + off[t]);
            int q = wb + 3 * t;
            a0 = FloatVector.broadcast(S, wp[q]).fma(v, a0);
            a1 = FloatVector.broadcast(S, wp[q + 1]).fma(v, a1);
            a2 = FloatVector.broadcast(S, wp[q + 2]).fma(v, a2);
        }
        a0.intoArray(y, y0);
        if (nf > 1) {
            a1.intoArray(y, y0 + plane);
        }
        if (nf > 2) {
            a2.intoArray(y, y0 + 2 * plane);
        }
    }

    /**
     * The direct convolution's weight gradient over images {@code [first, first + count)}, written
     * to {@code dw [F, taps]}: {@code dw[f, t] = sum over n, r, o of gy[n, f, r, o] x[n, c, r + i,
     * o + j]}. Per output a vector of partial sums runs along {@code o} over the images and rows in
     * order (the overlapping last vector of a row has the lanes it shares with the one before
     * zeroed), then its lanes are added in a fixed order. A block of three filters and five taps
     * keeps 15 vectors of sums, so that each load feeds three or five fmas.
     */
    static void weightGrad(float[] x, Im2col.Geometry g, int f, float[] gy, int first, int count, float[] dw) {
        int taps = g.rows();
        int[] off = tapOffsets(g);
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int image = g.channels() * g.height() * g.width();
        int[] starts = rowStarts(ow);
        int positions = count * oh * starts.length;
        int[] gyOff = new int[positions];
        int[] xOff = new int[positions];
        int[] keepOff = new int[positions];
        // keep[0 .. L) is all ones; keep[L .. 2L) zeroes the lanes an overlapping last vector shares.
        float[] keep = new float[2 * L];
        java.util.Arrays.fill(keep, 0, L, 1f);
        int shared = ow % L == 0 ? 0 : (ow / L) * L - (ow - L);
        java.util.Arrays.fill(keep, L + shared, 2 * L, 1f);
        int p = 0;
        for (int n = first; n < first + count; n++) {
            for (int r = 0; r < oh; r++) {
                for (int s = 0; s < starts.length; s++, p++) {
                    gyOff[p] = n * f * plane + r * ow + starts[s];
                    xOff[p] = n * image + r * g.width() + starts[s];
                    keepOff[p] = s == starts.length - 1 && shared > 0 ? L : 0;
                }
            }
        }
        float[] lanes = new float[L];
        int k = 0;
        for (; k + 3 <= f; k += 3) {
            int t = 0;
            for (; t + 5 <= taps; t += 5) {
                dot3x5(x, gy, gyOff, xOff, keepOff, keep, positions, k * plane, plane, off, t, lanes, dw,
                        k * taps + t, taps);
            }
            for (int q = k; q < k + 3; q++) {
                for (int u = t; u < taps; u++) {
                    dot1(x, gy, gyOff, xOff, keepOff, keep, positions, q * plane, off[u], lanes, dw, q * taps + u);
                }
            }
        }
        for (; k < f; k++) {
            int t = 0;
            for (; t + 5 <= taps; t += 5) {
                dot5(x, gy, gyOff, xOff, keepOff, keep, positions, k * plane, off, t, lanes, dw, k * taps + t);
            }
            for (; t < taps; t++) {
                dot1(x, gy, gyOff, xOff, keepOff, keep, positions, k * plane, off[t], lanes, dw, k * taps + t);
            }
        }
    }

    /** {@link #dot5} for three filters at once: per position 3 loads of gy and 5 of x feed 15 fmas. */
    private static void dot3x5(float[] x, float[] gy, int[] gyOff, int[] xOff, int[] keepOff, float[] keep,
                               int positions, int fOff, int plane, int[] off, int t, float[] lanes, float[] dw, int o,
                               int taps) {
        int t0 = off[t];
        int t1 = off[t + 1];
        int t2 = off[t + 2];
        int t3 = off[t + 3];
        int t4 = off[t + 4];
        FloatVector a00 = FloatVector.zero(S);
        FloatVector a01 = FloatVector.zero(S);
        FloatVector a02 = FloatVector.zero(S);
        FloatVector a03 = FloatVector.zero(S);
        FloatVector a04 = FloatVector.zero(S);
        FloatVector a10 = FloatVector.zero(S);
        FloatVector a11 = FloatVector.zero(S);
        FloatVector a12 = FloatVector.zero(S);
        FloatVector a13 = FloatVector.zero(S);
        FloatVector a14 = FloatVector.zero(S);
        FloatVector a20 = FloatVector.zero(S);
        FloatVector a21 = FloatVector.zero(S);
        FloatVector a22 = FloatVector.zero(S);
        FloatVector a23 = FloatVector.zero(S);
        FloatVector a24 = FloatVector.zero(S);
        for (int p = 0; p < positions; p++) {
            FloatVector m = FloatVector.fromArray(S, keep, keepOff[p]);
            int g0 = gyOff[p] + fOff;
            FloatVector d0 = FloatVector.fromArray(S, gy, g0).mul(m);
            FloatVector d1 = FloatVector.fromArray(S, gy, g0 + plane).mul(m);
            FloatVector d2 = FloatVector.fromArray(S, gy, g0 + 2 * plane).mul(m);
            int xb = xOff[p];
            FloatVector v = FloatVector.fromArray(S, x, xb + t0);
            a00 = d0.fma(v, a00);
            a10 = d1.fma(v, a10);
            a20 = d2.fma(v, a20);
            v = FloatVector.fromArray(S, x, xb + t1);
            a01 = d0.fma(v, a01);
            a11 = d1.fma(v, a11);
            a21 = d2.fma(v, a21);
            v = FloatVector.fromArray(S, x, xb + t2);
            a02 = d0.fma(v, a02);
            a12 = d1.fma(v, a12);
            a22 = d2.fma(v, a22);
            v = FloatVector.fromArray(S, x, xb + t3);
            a03 = d0.fma(v, a03);
            a13 = d1.fma(v, a13);
            a23 = d2.fma(v, a23);
            v = FloatVector.fromArray(S, x, xb + t4);
            a04 = d0.fma(v, a04);
            a14 = d1.fma(v, a14);
            a24 = d2.fma(v, a24);
        }
        dw[o] = sumLanes(a00, lanes);
        dw[o + 1] = sumLanes(a01, lanes);
        dw[o + 2] = sumLanes(a02, lanes);
        dw[o + 3] = sumLanes(a03, lanes);
        dw[o + 4] = sumLanes(a04, lanes);
        dw[o + taps] = sumLanes(a10, lanes);
        dw[o + taps + 1] = sumLanes(a11, lanes);
        dw[o + taps + 2] = sumLanes(a12, lanes);
        dw[o + taps + 3] = sumLanes(a13, lanes);
        dw[o + taps + 4] = sumLanes(a14, lanes);
        dw[o + 2 * taps] = sumLanes(a20, lanes);
        dw[o + 2 * taps + 1] = sumLanes(a21, lanes);
        dw[o + 2 * taps + 2] = sumLanes(a22, lanes);
        dw[o + 2 * taps + 3] = sumLanes(a23, lanes);
        dw[o + 2 * taps + 4] = sumLanes(a24, lanes);
    }

    private static void dot5(float[] x, float[] gy, int[] gyOff, int[] xOff, int[] keepOff, float[] keep,
                             int positions, int fOff, int[] off, int t, float[] lanes, float[] dw, int o) {
        int t0 = off[t];
        int t1 = off[t + 1];
        int t2 = off[t + 2];
        int t3 = off[t + 3];
        int t4 = off[t + 4];
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        FloatVector a4 = FloatVector.zero(S);
        for (int p = 0; p < positions; p++) {
            FloatVector d = FloatVector.fromArray(S, gy, gyOff[p] + fOff).mul(FloatVector.fromArray(S, keep, keepOff[p]));
            int xb = xOff[p];
            a0 = d.fma(FloatVector.fromArray(S, x, xb + t0), a0);
            a1 = d.fma(FloatVector.fromArray(S, x, xb + t1), a1);
            a2 = d.fma(FloatVector.fromArray(S, x, xb + t2), a2);
            a3 = d.fma(FloatVector.fromArray(S, x, xb + t3), a3);
            a4 = d.fma(FloatVector.fromArray(S, x, xb + t4), a4);
        }
        dw[o] = sumLanes(a0, lanes);
        dw[o + 1] = sumLanes(a1, lanes);
        dw[o + 2] = sumLanes(a2, lanes);
        dw[o + 3] = sumLanes(a3, lanes);
        dw[o + 4] = sumLanes(a4, lanes);
    }

    private static void dot1(float[] x, float[] gy, int[] gyOff, int[] xOff, int[] keepOff, float[] keep,
                             int positions, int fOff, int t0, float[] lanes, float[] dw, int o) {
        FloatVector a0 = FloatVector.zero(S);
        for (int p = 0; p < positions; p++) {
            FloatVector d = FloatVector.fromArray(S, gy, gyOff[p] + fOff).mul(FloatVector.fromArray(S, keep, keepOff[p]));
            a0 = d.fma(FloatVector.fromArray(S, x, xOff[p] + t0), a0);
        }
        dw[o] = sumLanes(a0, lanes);
    }

    /**
     * {@code a[from .. from + len)} summed: vectors of partial sums in float (a plane of a few
     * hundred to a few thousand values), their lanes and the tail added in double in a fixed order.
     */
    static double sum(float[] a, int from, int len) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i + L <= len; i += L) {
            acc = acc.add(FloatVector.fromArray(S, a, from + i));
        }
        float[] lanes = new float[L];
        acc.intoArray(lanes, 0);
        double s = 0;
        for (int q = 0; q < L; q++) {
            s += lanes[q];
        }
        for (; i < len; i++) {
            s += a[from + i];
        }
        return s;
    }

    /** The lanes added one after the other (not {@code reduceLanes}, whose order is unspecified). */
    private static float sumLanes(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = lanes[0];
        for (int i = 1; i < L; i++) {
            s += lanes[i];
        }
        return s;
    }

    /** The offset of tap {@code (c, i, j)} in an image: {@code (c*H + i)*W + j}, taps in weight order. */
    private static int[] tapOffsets(Im2col.Geometry g) {
        int kh = g.kernelH();
        int kw = g.kernelW();
        int[] off = new int[g.rows()];
        for (int c = 0, t = 0; c < g.channels(); c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++, t++) {
                    off[t] = (c * g.height() + i) * g.width() + j;
                }
            }
        }
        return off;
    }

    /** Where the vectors of an output row start: every {@code L}, the last one at {@code OW - L}. */
    private static int[] rowStarts(int ow) {
        int full = ow / L;
        int[] starts = new int[ow % L == 0 ? full : full + 1];
        for (int v = 0; v < full; v++) {
            starts[v] = v * L;
        }
        if (ow % L != 0) {
            starts[full] = ow - L;
        }
        return starts;
    }
}
