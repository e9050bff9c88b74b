package org.grad4j.core;

import org.grad4j.core.kernels.SoftmaxKernels;

/** Cross-entropy from logits, softmax and log-softmax, stable through log-sum-exp. */
final class Losses {
    private Losses() {
    }

    static Tensor crossEntropy(Tensor logits, int[] labels, Functional.Reduction reduction, double smoothing) {
        String op = "crossEntropy";
        if (logits.rank() != 2) {
            throw new IllegalArgumentException(op + ": expected logits [N, C], got " + logits.shape);
        }
        if (labels == null) {
            throw new IllegalArgumentException(op + ": labels are null");
        }
        if (reduction == null) {
            throw new IllegalArgumentException(op + ": reduction is null");
        }
        int n = logits.dim(0);
        int c = logits.dim(1);
        if (labels.length != n) {
            throw new IllegalArgumentException(op + ": " + labels.length + " labels do not match logits "
                    + logits.shape + " (expected " + n + ")");
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= c) {
                throw new IllegalArgumentException(op + ": labels[" + i + "] = " + labels[i]
                        + " is out of range [0, " + c + ") for logits " + logits.shape);
            }
        }
        if (!(smoothing >= 0 && smoothing <= 1)) {
            throw new IllegalArgumentException(op + ": label smoothing must be between 0.0 and 1.0, got " + smoothing);
        }
        int[] lab = labels.clone();
        double[] loss = new double[n];
        // The probabilities are only needed by backward: skip them when nothing records.
        float[] softmax = Tape.willRecord(logits) ? new float[n * c] : null;
        SoftmaxKernels.crossEntropy(logits.data, n, c, lab, smoothing, loss, softmax);
        Tensor out;
        if (reduction == Functional.Reduction.NONE) {
            float[] y = new float[n];
            for (int i = 0; i < n; i++) {
                y[i] = (float) loss[i];
            }
            out = Tensor.fresh(y, Shape.of(n));
        } else {
            double s = 0;
            for (double l : loss) {
                s += l;
            }
            // A mean over no rows is 0/0 = NaN, as in PyTorch.
            out = Tensor.scalar((float) (reduction == Functional.Reduction.MEAN ? s / n : s));
        }
        return Tape.recordOp(op, out, (g, gi) -> {
            float[] scale = new float[n];
            for (int i = 0; i < n; i++) {
                scale[i] = reduction == Functional.Reduction.NONE ? g[i]
                        : reduction == Functional.Reduction.MEAN ? g[0] / n : g[0];
            }
            SoftmaxKernels.crossEntropyBackward(softmax, n, c, lab, smoothing, scale, gi[0]);
        }, logits);
    }

    static Tensor logSoftmax(Tensor x, int dim) {
        String op = "logSoftmax";
        Rows r = rows(op, x, dim);
        float[] y = new float[x.size()];
        SoftmaxKernels.logSoftmax(x.data, r.outer, r.len, r.inner, y);
        Tensor out = Tensor.fresh(y, x.shape);
        return Tape.recordOp(op, out, (g, gi) -> SoftmaxKernels.logSoftmaxBackward(y, g, r.outer, r.len, r.inner,
                gi[0]), x);
    }

    /** {@code exp(logSoftmax(x))}, so it shares the stable log-sum-exp. */
    static Tensor softmax(Tensor x, int dim) {
        String op = "softmax";
        Rows r = rows(op, x, dim);
        float[] y = new float[x.size()];
        SoftmaxKernels.logSoftmax(x.data, r.outer, r.len, r.inner, y);
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) Math.exp(y[i]);
        }
        return Tape.recordOp(op, Tensor.fresh(y, x.shape), (g, gi) -> {
            // dx = y (dy - sum(dy y)) along the dimension
            float[] gx = gi[0];
            for (int o = 0; o < r.outer; o++) {
                for (int j = 0; j < r.inner; j++) {
                    int base = o * r.len * r.inner + j;
                    double dot = 0;
                    for (int i = 0; i < r.len; i++) {
                        int at = base + i * r.inner;
                        dot += (double) g[at] * y[at];
                    }
                    for (int i = 0; i < r.len; i++) {
                        int at = base + i * r.inner;
                        gx[at] += y[at] * (float) (g[at] - dot);
                    }
                }
            }
        }, x);
    }

    /** A tensor seen as {@code [outer, len, inner]} around dimension {@code dim}. */
    private record Rows(int outer, int len, int inner) {
    }

    private static Rows rows(String op, Tensor x, int dim) {
        int[] d = x.shape.dimsView();
        int outer = 1;
        int len = 1;
        int inner = 1;
        if (x.rank() == 0) {
            // A scalar is its own dimension of length 1, as in PyTorch (dim 0 or -1).
            if (dim != 0 && dim != -1) {
                throw new IllegalArgumentException(op + ": dimension " + dim + " is out of range for shape "
                        + x.shape + " (expected -1 or 0)");
            }
        } else {
            int a = x.shape.axis(dim, op);
            for (int i = 0; i < a; i++) {
                outer *= d[i];
            }
            len = d[a];
            for (int i = a + 1; i < d.length; i++) {
                inner *= d[i];
            }
        }
        return new Rows(outer, len, inner);
    }
}
