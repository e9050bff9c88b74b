package org.grad4j.core;

import org.grad4j.core.kernels.SoftmaxKernels;

/**
 * The losses of {@link Functional}, each one tape entry with a closed-form backward: cross-entropy
 * from logits (stable through log-sum-exp) and NLL with class weights and an ignore index,
 * element-wise regression and binary losses, and softmax / log-softmax.
 */
final class Losses {
    private Losses() {
    }

    /** The ignore index of the forms without one: no int label equals it and is in range. */
    static final int NO_IGNORE = Integer.MIN_VALUE;

    static Tensor crossEntropy(Tensor logits, int[] labels, Tensor weight, int ignoreIndex,
                               Functional.Reduction reduction, double smoothing) {
        String op = "crossEntropy";
        float[] w = checkClassification(op, "logits", logits, labels, weight, ignoreIndex, reduction);
        if (!(smoothing >= 0 && smoothing <= 1)) {
            throw new IllegalArgumentException(op + ": label smoothing must be between 0.0 and 1.0, got " + smoothing);
        }
        int n = logits.dim(0);
        int c = logits.dim(1);
        int[] lab = labels.clone();
        double[] loss = new double[n];
        // The probabilities are only needed by backward: skip them when nothing records.
        float[] softmax = Tape.willRecord(logits) ? new float[n * c] : null;
        SoftmaxKernels.crossEntropy(logits.data, n, c, lab, w, ignoreIndex, smoothing, loss, softmax);
        double denominator = meanDenominator(lab, w, ignoreIndex);
        Tensor out = reduce(loss, denominator, reduction, Shape.of(n));
        return Tape.recordOp(op, out, (g, gi) -> {
            float[] scale = rowScales(g, reduction, n, denominator);
            SoftmaxKernels.crossEntropyBackward(softmax, n, c, lab, w, ignoreIndex, smoothing, scale, gi[0]);
        }, logits);
    }

    /** {@code loss_i = -w_y x_i,y} for log-probabilities {@code x [N, C]}; backward {@code -w_y} at each label. */
    static Tensor nllLoss(Tensor logProbs, int[] labels, Tensor weight, int ignoreIndex,
                          Functional.Reduction reduction) {
        String op = "nllLoss";
        float[] w = checkClassification(op, "input", logProbs, labels, weight, ignoreIndex, reduction);
        int n = logProbs.dim(0);
        int c = logProbs.dim(1);
        int[] lab = labels.clone();
        double[] loss = new double[n];
        for (int i = 0; i < n; i++) {
            if (lab[i] != ignoreIndex) {
                loss[i] = -(double) (w == null ? 1f : w[lab[i]]) * logProbs.data[i * c + lab[i]];
            }
        }
        double denominator = meanDenominator(lab, w, ignoreIndex);
        Tensor out = reduce(loss, denominator, reduction, Shape.of(n));
        return Tape.recordOp(op, out, (g, gi) -> {
            float[] scale = rowScales(g, reduction, n, denominator);
            for (int i = 0; i < n; i++) {
                if (lab[i] != ignoreIndex) {
                    gi[0][i * c + lab[i]] -= scale[i] * (w == null ? 1f : w[lab[i]]);
                }
            }
        }, logProbs);
    }

    /**
     * Checks a classification loss's arguments before any work; returns a copy of the weights, or
     * null without them.
     */
    private static float[] checkClassification(String op, String inputName, Tensor input, int[] labels, Tensor weight,
                                               int ignoreIndex, Functional.Reduction reduction) {
        if (input.rank() != 2) {
            throw new IllegalArgumentException(op + ": expected " + inputName + " [N, C], got " + input.shape);
        }
        if (labels == null) {
            throw new IllegalArgumentException(op + ": labels are null");
        }
        if (reduction == null) {
            throw new IllegalArgumentException(op + ": reduction is null");
        }
        int n = input.dim(0);
        int c = input.dim(1);
        if (labels.length != n) {
            throw new IllegalArgumentException(op + ": " + labels.length + " labels do not match " + inputName + " "
                    + input.shape + " (expected " + n + ")");
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] != ignoreIndex && (labels[i] < 0 || labels[i] >= c)) {
                throw new IllegalArgumentException(op + ": labels[" + i + "] = " + labels[i]
                        + " is out of range [0, " + c + ") for " + inputName + " " + input.shape
                        + (ignoreIndex == NO_IGNORE ? "" : " and is not the ignore index " + ignoreIndex));
            }
        }
        if (weight == null) {
            return null;
        }
        if (weight.rank() != 1 || weight.dim(0) != c) {
            throw new IllegalArgumentException(op + ": weight " + weight.shape + " does not match the " + c
                    + " classes of " + inputName + " " + input.shape + " (expected [" + c + "])");
        }
        return weight.data.clone();
    }

    /** PyTorch's mean divides by the total weight of the rows not ignored (their number without weights). */
    private static double meanDenominator(int[] labels, float[] weight, int ignoreIndex) {
        double d = 0;
        for (int label : labels) {
            if (label != ignoreIndex) {
                d += weight == null ? 1 : weight[label];
            }
        }
        return d;
    }

    /**
     * Per-element losses reduced as asked: unreduced in {@code shape}, or a scalar sum, or the sum over
     * {@code denominator} (a mean over nothing is 0/0 = NaN, as in PyTorch).
     */
    private static Tensor reduce(double[] loss, double denominator, Functional.Reduction reduction, Shape shape) {
        if (reduction == Functional.Reduction.NONE) {
            float[] y = new float[loss.length];
            for (int i = 0; i < loss.length; i++) {
                y[i] = (float) loss[i];
            }
            return Tensor.fresh(y, shape);
        }
        double s = 0;
        for (double l : loss) {
            s += l;
        }
        return Tensor.scalar((float) (reduction == Functional.Reduction.MEAN ? s / denominator : s));
    }

    /** The upstream gradient of each of {@code n} per-row losses, given that of {@link #reduce}'s result. */
    static float[] rowScales(float[] g, Functional.Reduction reduction, int n, double denominator) {
        float[] scale = new float[n];
        float mean = reduction == Functional.Reduction.MEAN ? (float) (g[0] / denominator) : 0;
        for (int i = 0; i < n; i++) {
            scale[i] = reduction == Functional.Reduction.NONE ? g[i]
                    : reduction == Functional.Reduction.MEAN ? mean : g[0];
        }
        return scale;
    }

    // ------------------------------------------------------------ element-wise losses

    static Tensor mseLoss(Tensor input, Tensor target, Functional.Reduction reduction) {
        String op = "mseLoss";
        checkPointwise(op, input, target, reduction);
        double[] loss = new double[input.size()];
        float[] dx = new float[loss.length];
        for (int i = 0; i < loss.length; i++) {
            double d = (double) input.data[i] - target.data[i];
            loss[i] = d * d;
            dx[i] = (float) (2 * d);
        }
        return pointwise(op, input, target, reduction, loss, dx, null);
    }

    static Tensor l1Loss(Tensor input, Tensor target, Functional.Reduction reduction) {
        String op = "l1Loss";
        checkPointwise(op, input, target, reduction);
        return smoothL1(op, input, target, reduction, 0);
    }

    static Tensor smoothL1Loss(Tensor input, Tensor target, Functional.Reduction reduction, double beta) {
        String op = "smoothL1Loss";
        checkPointwise(op, input, target, reduction);
        if (!(beta >= 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException(op + ": beta must be finite and >= 0, got " + beta);
        }
        return smoothL1(op, input, target, reduction, beta);
    }

    /** Quadratic within {@code beta} of the target, linear beyond; {@code beta = 0} is L1 (PyTorch's special case). */
    private static Tensor smoothL1(String op, Tensor input, Tensor target, Functional.Reduction reduction,
                                   double beta) {
        double[] loss = new double[input.size()];
        float[] dx = new float[loss.length];
        for (int i = 0; i < loss.length; i++) {
            double d = (double) input.data[i] - target.data[i];
            double a = Math.abs(d);
            if (a < beta) {
                loss[i] = 0.5 * d * d / beta;
                dx[i] = (float) (d / beta);
            } else {
                loss[i] = a - 0.5 * beta;
                dx[i] = (float) Math.signum(d);
            }
        }
        return pointwise(op, input, target, reduction, loss, dx, null);
    }

    static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target, Tensor posWeight,
                                               Functional.Reduction reduction) {
        String op = "binaryCrossEntropyWithLogits";
        checkPointwise(op, logits, target, reduction);
        int classes = logits.rank() == 0 ? 1 : logits.dim(logits.rank() - 1);
        if (posWeight != null && (posWeight.rank() != 1 || posWeight.dim(0) != classes)) {
            throw new IllegalArgumentException(op + ": posWeight " + posWeight.shape() + " does not match the last "
                    + "dimension of input " + logits.shape() + " (expected [" + classes + "])");
        }
        float[] pw = posWeight == null ? null : posWeight.toArray();
        double[] loss = new double[logits.size()];
        float[] dx = new float[loss.length];
        float[] dy = new float[loss.length];
        for (int i = 0; i < loss.length; i++) {
            double x = logits.data[i];
            double y = target.data[i];
            // softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0) never overflows.
            double e = Math.exp(-Math.abs(x));
            double softplusMinusX = Math.log1p(e) + Math.max(-x, 0);
            double sigmoidMinusX = x >= 0 ? e / (1 + e) : 1 / (1 + e);
            double p = pw == null ? 1 : pw[i % classes];
            double l = 1 + (p - 1) * y;
            // -(p y log sigmoid(x) + (1 - y) log sigmoid(-x)), as PyTorch writes it
            loss[i] = (1 - y) * x + l * softplusMinusX;
            dx[i] = (float) ((1 - y) - l * sigmoidMinusX);
            dy[i] = (float) (-x + (p - 1) * softplusMinusX);
        }
        return pointwise(op, logits, target, reduction, loss, dx, dy);
    }

    private static void checkPointwise(String op, Tensor input, Tensor target, Functional.Reduction reduction) {
        if (input == null || target == null) {
            throw new IllegalArgumentException(op + ": " + (input == null ? "input" : "target") + " is null");
        }
        if (reduction == null) {
            throw new IllegalArgumentException(op + ": reduction is null");
        }
        if (!input.shape.equals(target.shape)) {
            // PyTorch broadcasts here with a warning; [N, 1] against [N] would silently give [N, N].
            throw new IllegalArgumentException(op + ": target " + target.shape + " does not match input "
                    + input.shape + " (expected the same shape)");
        }
    }

    /**
     * An element-wise loss reduced as asked, recorded with its per-element derivatives in the
     * input and the target ({@code dTarget == null} means {@code -dInput}).
     */
    private static Tensor pointwise(String op, Tensor input, Tensor target, Functional.Reduction reduction,
                                    double[] loss, float[] dInput, float[] dTarget) {
        int n = loss.length;
        Tensor out = reduce(loss, n, reduction, input.shape);
        return Tape.recordOp(op, out, (g, gi) -> {
            float[] scale = rowScales(g, reduction, n, n);
            for (int i = 0; i < n; i++) {
                if (gi[0] != null) {
                    gi[0][i] += scale[i] * dInput[i];
                }
                if (gi[1] != null) {
                    gi[1][i] += scale[i] * (dTarget == null ? -dInput[i] : dTarget[i]);
                }
            }
        }, input, target);
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
