package org.grad4j.core.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Gemm#gemm} on whichever path is active, and the vector-api algorithms directly (skipped when
 * the JVM runs without {@code --add-modules jdk.incubator.vector}), against two oracles: the naive
 * product in double, with the float error bound of a sum, and the float fma chain
 * {@code c = fma(a[i][p], b[p][j], c)}, which the panel algorithm reproduces bit for bit.
 */
class GemmTest {
    private static final int[] SIZES = {1, 7, 15, 16, 17, 33, 64, 65, 127};
    /** Padding after each matrix: NaN in a and b (a read past the matrix poisons the result), a sentinel in c. */
    private static final int PAD = 37;
    private static final float SENTINEL = 12345f;

    private final int savedThreads = Kernels.threads();

    @AfterEach
    void restoreThreads() {
        Kernels.setThreads(savedThreads);
    }

    private static boolean vectorModule() {
        return ModuleLayer.boot().findModule(Kernels.VECTOR_MODULE).isPresent();
    }

    @FunctionalInterface
    private interface Impl {
        void gemm(boolean ta, boolean tb, int m, int n, int k, float[] a, float[] b, float[] c, boolean acc);
    }

    /** A problem: op(A) [m, k], op(B) [k, n], C [m, n], each array padded. */
    private static final class Case {
        final boolean ta;
        final boolean tb;
        final int m;
        final int n;
        final int k;
        final boolean acc;
        final float[] a;
        final float[] b;
        final float[] c0;

        Case(Random rng, boolean ta, boolean tb, int m, int n, int k, boolean acc) {
            this.ta = ta;
            this.tb = tb;
            this.m = m;
            this.n = n;
            this.k = k;
            this.acc = acc;
            a = random(rng, m * k, Float.NaN);
            b = random(rng, k * n, Float.NaN);
            c0 = random(rng, m * n, SENTINEL);
        }

        float a(int i, int p) {
            return ta ? a[p * m + i] : a[i * k + p];
        }

        float b(int p, int j) {
            return tb ? b[j * k + p] : b[p * n + j];
        }

        float[] run(Impl impl) {
            float[] c = c0.clone();
            impl.gemm(ta, tb, m, n, k, a, b, c, acc);
            for (int i = m * n; i < c.length; i++) {
                if (c[i] != SENTINEL) {
                    fail(this + ": wrote c[" + i + "] past the matrix");
                }
            }
            return c;
        }

        /** What the panel algorithm computes: one fma chain per element, p ascending. */
        float[] fmaChain() {
            float[] c = new float[m * n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float s = acc ? c0[i * n + j] : 0f;
                    for (int p = 0; p < k; p++) {
                        s = Math.fma(a(i, p), b(p, j), s);
                    }
                    c[i * n + j] = s;
                }
            }
            return c;
        }

        /** Checks every element against the double product, within the error bound of a float sum of k + 1 terms. */
        void assertNear(float[] c, String what) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = acc ? c0[i * n + j] : 0;
                    double abs = Math.abs(s);
                    for (int p = 0; p < k; p++) {
                        double t = (double) a(i, p) * b(p, j);
                        s += t;
                        abs += Math.abs(t);
                    }
                    double tol = (k + 2) * 0x1p-23 * abs;
                    float x = c[i * n + j];
                    if (!(Math.abs(x - s) <= tol)) {
                        fail(what + " " + this + ": c[" + i + ", " + j + "] = " + x + ", expected " + s + " +- " + tol);
                    }
                }
            }
        }

        @Override
        public String toString() {
            return "gemm(transA=" + ta + ", transB=" + tb + ", m=" + m + ", n=" + n + ", k=" + k + ", accumulate=" + acc + ")";
        }
    }

    private static float[] random(Random rng, int size, float pad) {
        float[] x = new float[size + PAD];
        for (int i = 0; i < size; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        Arrays.fill(x, size, x.length, pad);
        return x;
    }

    private static void assertBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": index " + i + " is " + actual[i] + ", expected exactly " + expected[i]);
            }
        }
    }

    @Test
    void panelsEqualTheFmaChainBitForBit() {
        assumeTrue(vectorModule(), "needs --add-modules jdk.incubator.vector");
        Random rng = new Random(345);
        for (int variant = 0; variant < 8; variant++) {
            boolean ta = (variant & 1) != 0;
            boolean tb = (variant & 2) != 0;
            boolean acc = (variant & 4) != 0;
            for (int m : SIZES) {
                for (int n : SIZES) {
                    for (int k : SIZES) {
                        Case t = new Case(rng, ta, tb, m, n, k, acc);
                        assertBits(t.fmaChain(), t.run((xa, xb, xm, xn, xk, a, b, c, xacc)
                                -> VectorGemm.gemmPanels(xa, xb, xm, xn, xk, a, b, c, xacc)), "panels " + t);
                    }
                }
            }
        }
    }

    @Test
    void blockEdgesEqualTheFmaChain() {
        assumeTrue(vectorModule(), "needs --add-modules jdk.incubator.vector");
        Random rng = new Random(345);
        // Past the packing blocks (KC = 256 deep, MC = 256 rows, NC = 512 columns), and around the
        // switch between reading B in place (up to 16 rows) and packing it.
        int[][] shapes = {{257, 40, 30}, {20, 513, 30}, {20, 40, 257}, {16, 600, 300}, {17, 600, 300}, {9, 1100, 520},
            {260, 40, 600}};
        for (int variant = 0; variant < 8; variant++) {
            boolean ta = (variant & 1) != 0;
            boolean tb = (variant & 2) != 0;
            boolean acc = (variant & 4) != 0;
            for (int[] s : shapes) {
                Case t = new Case(rng, ta, tb, s[0], s[1], s[2], acc);
                assertBits(t.fmaChain(), t.run((xa, xb, xm, xn, xk, a, b, c, xacc)
                        -> VectorGemm.gemmPanels(xa, xb, xm, xn, xk, a, b, c, xacc)), "panels " + t);
            }
        }
    }

    @Test
    void dotMatchesNaiveProduct() {
        assumeTrue(vectorModule(), "needs --add-modules jdk.incubator.vector");
        Random rng = new Random(345);
        for (boolean acc : new boolean[] {false, true}) {
            for (int m : SIZES) {
                for (int n : SIZES) {
                    for (int k : SIZES) {
                        Case t = new Case(rng, false, true, m, n, k, acc);
                        t.assertNear(t.run((xa, xb, xm, xn, xk, a, b, c, xacc)
                                -> VectorGemm.gemmDot(xm, xn, xk, a, b, c, xacc)), "dot");
                    }
                }
            }
        }
    }

    @Test
    void activePathMatchesNaiveProductAndPortablePath() {
        Random rng = new Random(345);
        for (int variant = 0; variant < 8; variant++) {
            boolean ta = (variant & 1) != 0;
            boolean tb = (variant & 2) != 0;
            boolean acc = (variant & 4) != 0;
            for (int m : SIZES) {
                for (int k : SIZES) {
                    int n = SIZES[rng.nextInt(SIZES.length)];
                    Case t = new Case(rng, ta, tb, m, n, k, acc);
                    float[] active = t.run(Gemm::gemm);
                    t.assertNear(active, Kernels.simd() ? "vector-api" : "portable");
                    t.assertNear(t.run(Gemm::portable), "portable");
                }
            }
        }
    }

    @Test
    void longInnerDimensionsTakeTheDotPathAndStayAccurate() {
        assumeTrue(vectorModule(), "needs --add-modules jdk.incubator.vector");
        Random rng = new Random(345);
        // k past one pass of the dot algorithm, with a tail that is not a multiple of the vector length.
        for (int k : new int[] {VectorGemm.KD - 1, 2 * VectorGemm.KD + 17, 3000}) {
            Case t = new Case(rng, false, true, 6, 9, k, true);
            t.assertNear(t.run(Gemm::gemm), "gemm");
            t.assertNear(t.run((xa, xb, xm, xn, xk, a, b, c, xacc)
                    -> VectorGemm.gemmDot(xm, xn, xk, a, b, c, xacc)), "dot");
            assertBits(t.fmaChain(), t.run((xa, xb, xm, xn, xk, a, b, c, xacc)
                    -> VectorGemm.gemmPanels(xa, xb, xm, xn, xk, a, b, c, xacc)), "panels " + t);
        }
        // More tiles than the dot algorithm parks at once (1024 of 4x4), on each side.
        for (int[] s : new int[][] {{9, 4 * 1024 + 5, 20}, {4 * 1024 + 5, 9, 20}}) {
            Case t = new Case(rng, false, true, s[0], s[1], s[2], true);
            t.assertNear(t.run((xa, xb, xm, xn, xk, a, b, c, xacc)
                    -> VectorGemm.gemmDot(xm, xn, xk, a, b, c, xacc)), "dot");
        }
    }

    /**
     * Products large enough to be split over threads (above 2^21 floating-point operations), one per
     * algorithm, data path and transpose combination.
     */
    private static Case[] parallelCases(Random rng) {
        return new Case[] {
            new Case(rng, false, false, 6, 8209, 25, false), // conv forward: B read in place
            new Case(rng, false, false, 70, 300, 150, true), // B packed, A rows copied
            new Case(rng, false, false, 300, 70, 150, false), // split by rows
            new Case(rng, true, false, 150, 1000, 16, false), // conv input gradient: A packed [p][8]
            new Case(rng, true, false, 12, 3000, 40, true), // A transposed, B read in place
            new Case(rng, false, true, 16, 150, 1900, true), // conv weight gradient: dot
            new Case(rng, false, true, 8, 1500, 300, false), // dot split by columns
            new Case(rng, false, true, 200, 120, 300, false), // linear forward, large batch: panels
            new Case(rng, true, true, 130, 140, 120, true),
        };
    }

    @Test
    void parallelResultsAreBitIdenticalAcrossRunsAndThreadCounts() {
        Random rng = new Random(345);
        for (Case t : parallelCases(rng)) {
            Kernels.setThreads(2);
            float[] first = t.run(Gemm::gemm);
            float[] second = t.run(Gemm::gemm);
            assertBits(first, second, "threads=2 twice, " + t);
            t.assertNear(first, "threads=2");
            Kernels.setThreads(1);
            // Threads split C into whole tiles and never split a sum, so even the thread count leaves
            // every rounding unchanged.
            assertBits(first, t.run(Gemm::gemm), "threads=1 vs threads=2, " + t);
            Kernels.setThreads(3);
            assertBits(first, t.run(Gemm::gemm), "threads=3 vs threads=2, " + t);
        }
    }

    @Test
    void parallelPanelsEqualTheFmaChain() {
        assumeTrue(vectorModule(), "needs --add-modules jdk.incubator.vector");
        Random rng = new Random(345);
        Kernels.setThreads(2);
        for (Case t : parallelCases(rng)) {
            assertBits(t.fmaChain(), t.run((xa, xb, xm, xn, xk, a, b, c, xacc)
                    -> VectorGemm.gemmPanels(xa, xb, xm, xn, xk, a, b, c, xacc)), "panels " + t);
        }
    }

    @Test
    void emptyInnerDimensionGivesZeroOrLeavesC() {
        float[] c = {5, 5, SENTINEL};
        Gemm.gemm(false, false, 1, 2, 0, new float[0], new float[0], c, true);
        assertArrayEquals(new float[] {5, 5, SENTINEL}, c);
        Gemm.gemm(true, true, 1, 2, 0, new float[0], new float[0], c, false);
        assertArrayEquals(new float[] {0, 0, SENTINEL}, c);
    }

    @Test
    void emptyOutputDoesNothing() {
        float[] c = {SENTINEL};
        Gemm.gemm(false, false, 0, 1, 3, new float[0], new float[3], c, false);
        Gemm.gemm(false, true, 1, 0, 3, new float[3], new float[0], c, false);
        assertArrayEquals(new float[] {SENTINEL}, c);
    }

    @Test
    void errorMessages() {
        float[] x = new float[6];
        assertEquals("gemm: negative size m=-1, n=2, k=3",
                assertThrows(IllegalArgumentException.class,
                        () -> Gemm.gemm(false, false, -1, 2, 3, x, x.clone(), x.clone(), false)).getMessage());
        assertEquals("gemm: b holds 6 values, expected at least 12 for [3, 4]",
                assertThrows(IllegalArgumentException.class,
                        () -> Gemm.gemm(false, false, 2, 4, 3, x, new float[6], new float[8], false)).getMessage());
        assertEquals("gemm: c holds 6 values, expected at least 8 for [2, 4]",
                assertThrows(IllegalArgumentException.class,
                        () -> Gemm.gemm(false, false, 2, 4, 3, x, new float[12], new float[6], false)).getMessage());
        assertEquals("gemm: c must not be the same array as a",
                assertThrows(IllegalArgumentException.class,
                        () -> Gemm.gemm(false, false, 2, 2, 2, x, x.clone(), x, false)).getMessage());
        assertEquals("gemm: c must not be the same array as b",
                assertThrows(IllegalArgumentException.class,
                        () -> Gemm.gemm(false, false, 2, 2, 2, x.clone(), x, x, true)).getMessage());
    }
}
