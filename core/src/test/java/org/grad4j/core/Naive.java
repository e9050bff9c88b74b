package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;

/** Slow, obviously-correct double-precision oracles for the tests, and a closeness assertion. */
final class Naive {
    private Naive() {
    }

    /** The flat positions of channel {@code ch}'s {@code n*s} values in {@code x [N, C, S]}, image by image. */
    static int[] channel(int n, int c, int s, int ch) {
        int[] idx = new int[n * s];
        for (int b = 0, k = 0; b < n; b++) {
            for (int i = 0; i < s; i++) {
                idx[k++] = (b * c + ch) * s + i;
            }
        }
        return idx;
    }

    /** {mean, biased variance} of {@code x} at positions {@code idx}, in double by two passes. */
    static double[] moments(float[] x, int[] idx) {
        double mu = 0;
        for (int i : idx) {
            mu += x[i];
        }
        mu /= idx.length;
        double v = 0;
        for (int i : idx) {
            v += (x[i] - mu) * (x[i] - mu);
        }
        return new double[] {mu, v / idx.length};
    }

    /** The multi-index of flat position {@code flat} in {@code dims}. */
    static int[] unravel(int flat, int[] dims) {
        int[] idx = new int[dims.length];
        for (int d = dims.length - 1; d >= 0; d--) {
            idx[d] = flat % dims[d];
            flat /= dims[d];
        }
        return idx;
    }

    /** The flat position of the element of {@code dims} that {@code outIdx} reads under broadcasting. */
    static int broadcastOffset(int[] outIdx, int[] dims) {
        int off = 0;
        int shift = outIdx.length - dims.length;
        for (int d = 0; d < dims.length; d++) {
            int i = dims[d] == 1 ? 0 : outIdx[d + shift];
            off = off * dims[d] + i;
        }
        return off;
    }

    static double[] binary(Tensor a, Tensor b, int[] outDims, DoubleBinaryOperator f) {
        int n = Arrays.stream(outDims).reduce(1, (x, y) -> x * y);
        double[] out = new double[n];
        int[] ad = a.shape().dims();
        int[] bd = b.shape().dims();
        for (int i = 0; i < n; i++) {
            int[] idx = unravel(i, outDims);
            out[i] = f.applyAsDouble(a.get(unravelOrScalar(broadcastOffset(idx, ad), ad)),
                    b.get(unravelOrScalar(broadcastOffset(idx, bd), bd)));
        }
        return out;
    }

    private static int[] unravelOrScalar(int flat, int[] dims) {
        return dims.length == 0 ? new int[0] : unravel(flat, dims);
    }

    /** Sum over the dimensions marked in {@code reduce}, keepdim layout, in double. */
    static double[] sum(Tensor x, boolean[] reduce) {
        int[] dims = x.shape().dims();
        int[] kd = dims.clone();
        for (int d = 0; d < dims.length; d++) {
            if (reduce[d]) {
                kd[d] = 1;
            }
        }
        double[] out = new double[Arrays.stream(kd).reduce(1, (p, q) -> p * q)];
        float[] v = x.toArray();
        for (int i = 0; i < v.length; i++) {
            out[broadcastOffset(unravel(i, dims), kd)] += v[i];
        }
        return out;
    }

    /** C = A B in double. */
    static double[] matmul(float[] a, float[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    /** Fails unless every element satisfies |actual - expected| <= atol + rtol * |expected|. */
    static void assertClose(double[] expected, Tensor actual, double atol, double rtol) {
        assertClose(expected, actual.toArray(), atol, rtol, "");
    }

    static void assertClose(double[] expected, float[] actual, double atol, double rtol, String what) {
        if (expected.length != actual.length) {
            fail(what + " length " + actual.length + ", expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double diff = Math.abs(actual[i] - e);
            boolean bothNaN = Double.isNaN(e) && Float.isNaN(actual[i]);
            if (!bothNaN && !(diff <= atol + rtol * Math.abs(e)) && !(e == actual[i])) {
                fail(what + " element " + i + ": actual " + actual[i] + ", expected " + e + " (diff " + diff + ")");
            }
        }
    }

    static void assertClose(Tensor expected, Tensor actual, double atol, double rtol, String what) {
        if (!expected.shape().equals(actual.shape())) {
            fail(what + ": shape " + actual.shape() + ", expected " + expected.shape());
        }
        float[] e = expected.toArray();
        double[] ed = new double[e.length];
        for (int i = 0; i < e.length; i++) {
            ed[i] = e[i];
        }
        assertClose(ed, actual.toArray(), atol, rtol, what);
    }
}
