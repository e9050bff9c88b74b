package org.grad4j.core;

import java.util.Arrays;
import org.grad4j.core.kernels.Gemm;

/** Matrix products (batched too) and reshaping views. */
final class Linalg {
    private Linalg() {
    }

    /**
     * {@code [*, m, k] x [*, k, n] -> [*, m, n]}: one matrix product per batch, the batch
     * dimensions broadcasting (torch.matmul for operands of rank 2 and more).
     */
    static Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul: expected tensors of at least 2 dimensions, got " + a.shape
                    + " and " + b.shape);
        }
        int m = a.dim(-2);
        int k = a.dim(-1);
        int n = b.dim(-1);
        if (b.dim(-2) != k) {
            throw new IllegalArgumentException("matmul: shapes " + a.shape + " and " + b.shape
                    + " cannot be multiplied (" + k + " != " + b.dim(-2) + ")");
        }
        if (a.rank() == 2 && b.rank() == 2) {
            float[] c = new float[m * n];
            Gemm.gemm(false, false, m, n, k, a.data, b.data, c, false);
            return Tape.recordOp("matmul", Tensor.fresh(c, Shape.of(m, n)), (g, gi) -> {
                // C = A B: dA = dC B^T, dB = A^T dC.
                if (gi[0] != null) {
                    Gemm.gemm(false, true, m, k, n, g, b.data, gi[0], true);
                }
                if (gi[1] != null) {
                    Gemm.gemm(true, false, k, n, m, a.data, g, gi[1], true);
                }
            }, a, b);
        }
        Shape aBatch = batchShape(a);
        Shape bBatch = batchShape(b);
        Shape batch = Shape.broadcast("matmul", aBatch, bBatch);
        int[] aAt = batchOffsets(aBatch, batch, m * k);
        int[] bAt = batchOffsets(bBatch, batch, k * n);
        int count = batch.size();
        int[] cd = Arrays.copyOf(batch.dimsView(), batch.rank() + 2);
        cd[cd.length - 2] = m;
        cd[cd.length - 1] = n;
        float[] c = new float[count * m * n];
        float[] cb = new float[m * n];
        for (int t = 0; t < count; t++) {
            // Gemm reads matrices at offset 0: each batch is copied out and its product back.
            float[] ab = Arrays.copyOfRange(a.data, aAt[t], aAt[t] + m * k);
            float[] bb = Arrays.copyOfRange(b.data, bAt[t], bAt[t] + k * n);
            Gemm.gemm(false, false, m, n, k, ab, bb, cb, false);
            System.arraycopy(cb, 0, c, t * m * n, m * n);
        }
        return Tape.recordOp("matmul", Tensor.fresh(c, Shape.of(cd)), (g, gi) -> {
            float[] gb = new float[m * n];
            float[] da = new float[m * k];
            float[] db = new float[k * n];
            for (int t = 0; t < count; t++) {
                System.arraycopy(g, t * m * n, gb, 0, m * n);
                // Per batch as in 2-D; a batch that was broadcast gets the sum over its copies.
                if (gi[0] != null) {
                    float[] bb = Arrays.copyOfRange(b.data, bAt[t], bAt[t] + k * n);
                    Gemm.gemm(false, true, m, k, n, gb, bb, da, false);
                    addAt(da, gi[0], aAt[t]);
                }
                if (gi[1] != null) {
                    float[] ab = Arrays.copyOfRange(a.data, aAt[t], aAt[t] + m * k);
                    Gemm.gemm(true, false, k, n, m, ab, gb, db, false);
                    addAt(db, gi[1], bAt[t]);
                }
            }
        }, a, b);
    }

    /** All but the last two dimensions. */
    private static Shape batchShape(Tensor x) {
        int[] d = x.shape.dimsView();
        return Shape.of(Arrays.copyOf(d, d.length - 2));
    }

    /** For each batch of {@code to}, the offset of its matrix in an operand with batch shape {@code from}. */
    private static int[] batchOffsets(Shape from, Shape to, int matrix) {
        int[] strides = from.broadcastStrides(to);
        int[] dims = to.dimsView();
        int[] at = new int[to.size()];
        for (int t = 0; t < at.length; t++) {
            int rest = t;
            int off = 0;
            for (int d = dims.length - 1; d >= 0; d--) {
                off += (rest % dims[d]) * strides[d];
                rest /= dims[d];
            }
            at[t] = off * matrix;
        }
        return at;
    }

    private static void addAt(float[] src, float[] dst, int at) {
        for (int i = 0; i < src.length; i++) {
            dst[at + i] += src[i];
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
        return view("reshape", x, Shape.of(d));
    }

    /** A view of {@code x} with another shape of the same size, sharing its values and version counter. */
    static Tensor view(String op, Tensor x, Shape shape) {
        Tensor y = new Tensor(x.data, shape, x.version);
        return Tape.recordOp(op, y, (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += g[i];
            }
        }, x);
    }
}
