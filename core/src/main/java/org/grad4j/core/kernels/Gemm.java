package org.grad4j.core.kernels;

import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;

/**
 * The one matrix-multiply entry point of grad4j: every product in the library (matmul, linear,
 * convolution through im2col, and their gradients) calls {@link #gemm}, so the implementation
 * behind it can change in one place. Two implementations, chosen once at startup (see
 * {@link Kernels}): register-blocked Java Vector API kernels, split over {@link Kernels#threads()}
 * threads, when the JVM runs with {@code --add-modules jdk.incubator.vector}; otherwise EJML's
 * row-major float kernels on the calling thread, which view the caller's arrays without copying.
 *
 * <p>Internal API: it works on raw arrays and is public only so that the other grad4j packages can
 * call it.
 */
public final class Gemm {
    private Gemm() {
    }

    /**
     * {@code C = op(A) * op(B)}, or {@code C += op(A) * op(B)} when {@code accumulate}, where
     * {@code op(X)} is {@code X} or its transpose. All arrays are row-major and start with the
     * matrix (they may be longer; the rest is neither read nor written): {@code op(A)} is
     * {@code [m, k]}, {@code op(B)} is {@code [k, n]}, {@code C} is {@code [m, n]}; so A is stored as
     * {@code [k, m]} when {@code transA}, B as {@code [n, k]} when {@code transB}. Only {@code c} is
     * modified. With {@code k = 0} the product is zero. Deterministic: the same call gives
     * bit-identical results every time at a given {@link Kernels#threads()} count.
     *
     * @throws IllegalArgumentException if a size is negative, an array is shorter than its matrix,
     *     or {@code c} is the same array as {@code a} or {@code b}
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k,
                            float[] a, float[] b, float[] c, boolean accumulate) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: negative size m=" + m + ", n=" + n + ", k=" + k);
        }
        check("a", a, m, k);
        check("b", b, k, n);
        check("c", c, m, n);
        if (c == a || c == b) {
            throw new IllegalArgumentException("gemm: c must not be the same array as " + (c == a ? "a" : "b"));
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                java.util.Arrays.fill(c, 0, m * n, 0f);
            }
            return;
        }
        if (Kernels.SIMD) {
            VectorGemm.gemm(transA, transB, m, n, k, a, b, c, accumulate);
        } else {
            portable(transA, transB, m, n, k, a, b, c, accumulate);
        }
    }

    /** The portable path (EJML) after {@link #gemm}'s checks; package-private for the tests. */
    static void portable(boolean transA, boolean transB, int m, int n, int k,
                         float[] a, float[] b, float[] c, boolean accumulate) {
        FMatrixRMaj ma = transA ? FMatrixRMaj.wrap(k, m, a) : FMatrixRMaj.wrap(m, k, a);
        FMatrixRMaj mb = transB ? FMatrixRMaj.wrap(n, k, b) : FMatrixRMaj.wrap(k, n, b);
        FMatrixRMaj mc = FMatrixRMaj.wrap(m, n, c);
        if (accumulate) {
            if (transA && transB) {
                CommonOps_FDRM.multAddTransAB(ma, mb, mc);
            } else if (transA) {
                CommonOps_FDRM.multAddTransA(ma, mb, mc);
            } else if (transB) {
                CommonOps_FDRM.multAddTransB(ma, mb, mc);
            } else {
                CommonOps_FDRM.multAdd(ma, mb, mc);
            }
        } else {
            if (transA && transB) {
                CommonOps_FDRM.multTransAB(ma, mb, mc);
            } else if (transA) {
                CommonOps_FDRM.multTransA(ma, mb, mc);
            } else if (transB) {
                CommonOps_FDRM.multTransB(ma, mb, mc);
            } else {
                CommonOps_FDRM.mult(ma, mb, mc);
            }
        }
    }

    private static void check(String name, float[] x, int rows, int cols) {
        if ((long) rows * cols > x.length) {
            throw new IllegalArgumentException("gemm: " + name + " holds " + x.length + " values, expected at least "
                    + (long) rows * cols + " for [" + rows + ", " + cols + "]");
        }
    }
}
