package org.grad4j.core;

import java.util.Arrays;
import org.grad4j.core.kernels.Gemm;

/** Matrix product, transpose and reshape. */
final class Linalg {
    private Linalg() {
    }

    static Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() != 2 || b.rank() != 2) {
            throw new IllegalArgumentException("matmul: expected 2-D tensors, got " + a.shape + " and " + b.shape);
        }
        int m = a.dim(0);
        int k = a.dim(1);
        int n = b.dim(1);
        if (b.dim(0) != k) {
            throw new IllegalArgumentException("matmul: shapes " + a.shape + " and " + b.shape
                    + " cannot be multiplied (" + k + " != " + b.dim(0) + ")");
        }
        float[] c = new float[m * n];
        Gemm.gemm(false, false, m, n, k, a.data, b.data, c, false);
        Tensor y = Tensor.fresh(c, Shape.of(m, n));
        return Tape.record("matmul", y, (g, gi) -> {
            // C = A B: dA = dC B^T, dB = A^T dC.
            if (gi[0] != null) {
                Gemm.gemm(false, true, m, k, n, g, b.data, gi[0], true);
            }
            if (gi[1] != null) {
                Gemm.gemm(true, false, k, n, m, a.data, g, gi[1], true);
            }
        }, a, b);
    }

    static Tensor transpose(Tensor x) {
        if (x.rank() != 2) {
            throw new IllegalArgumentException("transpose: expected a 2-D tensor, got " + x.shape);
        }
        int rows = x.dim(0);
        int cols = x.dim(1);
        float[] out = new float[x.size()];
        transposeInto(x.data, rows, cols, out);
        Tensor y = Tensor.fresh(out, Shape.of(cols, rows));
        return Tape.record("transpose", y, (g, gi) -> {
            float[] t = new float[g.length];
            transposeInto(g, cols, rows, t);
            float[] gx = gi[0];
            for (int i = 0; i < t.length; i++) {
                gx[i] += t[i];
            }
        }, x);
    }

    private static void transposeInto(float[] src, int rows, int cols, float[] dst) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                dst[c * rows + r] = src[r * cols + c];
            }
        }
    }

    static Tensor reshape(Tensor x, int[] dims) {
        int[] d = dims.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < d.length; i++) {
            if (d[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("reshape: only one dimension can be -1, got "
                            + Arrays.toString(dims));
                }
                infer = i;
            } else if (d[i] < 0) {
                throw new IllegalArgumentException("reshape: invalid dimension " + d[i] + " in " + Arrays.toString(dims));
            } else {
                known *= d[i];
            }
        }
        if (infer >= 0) {
            if (known == 0 || x.size() % known != 0) {
                throw new IllegalArgumentException("reshape: shape " + Arrays.toString(dims)
                        + " is invalid for input of size " + x.size());
            }
            d[infer] = (int) (x.size() / known);
        } else if (known != x.size()) {
            throw new IllegalArgumentException("reshape: shape " + Arrays.toString(dims)
                    + " is invalid for input of size " + x.size());
        }
        Tensor y = new Tensor(x.data, Shape.of(d), x.version);
        return Tape.record("reshape", y, (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += g[i];
            }
        }, x);
    }
}
