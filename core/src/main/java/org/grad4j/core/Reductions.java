package org.grad4j.core;

import java.util.Arrays;

/**
 * Sum, mean and variance over any set of dimensions, and max, argmax and argmin along one. Sums are
 * accumulated in double so that a reduction over a million float32 values stays accurate to
 * float32's precision.
 */
final class Reductions {
    private Reductions() {
    }

    enum Kind {
        SUM("sum"), MEAN("mean"), VAR("var");

        final String op;

        Kind(String op) {
            this.op = op;
        }
    }

    /** Which dimensions to reduce: all when {@code dims} is null or empty. */
    static boolean[] reducedDims(String op, Shape shape, int[] dims) {
        boolean[] reduce = new boolean[shape.rank()];
        if (dims == null || dims.length == 0) {
            Arrays.fill(reduce, true);
            return reduce;
        }
        for (int d : dims) {
            int a = shape.axis(d, op);
            if (reduce[a]) {
                throw new IllegalArgumentException(op + ": dimension " + a + " appears more than once in "
                        + Arrays.toString(dims));
            }
            reduce[a] = true;
        }
        return reduce;
    }

    static Tensor reduce(Kind kind, Tensor x, int[] dims, boolean keepdim, boolean unbiased) {
        boolean[] reduce = reducedDims(kind.op, x.shape, dims);
        Shape ks = x.shape.reduced(reduce, true);
        Shape os = x.shape.reduced(reduce, keepdim);
        int count = ks.size() == 0 ? 0 : x.size() / ks.size();
        double[] acc = new double[ks.size()];
        forEach(x.data, x.shape, ks, acc, null);
        float[] out = new float[ks.size()];
        double[] mean = null;
        double divisor;
        switch (kind) {
            case SUM:
                divisor = 1;
                break;
            case MEAN:
                divisor = count;
                break;
            case VAR:
                // Two passes: the mean, then squared deviations from it (stable, unlike E[x^2]-E[x]^2).
                mean = new double[acc.length];
                for (int i = 0; i < acc.length; i++) {
                    mean[i] = acc[i] / count;
                    acc[i] = 0;
                }
                forEach(x.data, x.shape, ks, acc, mean);
                divisor = count - (unbiased ? 1 : 0);
                break;
            default:
                throw new AssertionError(kind);
        }
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (acc[i] / divisor);
        }
        Tensor y = Tensor.fresh(out, os);
        double[] center = mean;
        return Tape.recordOp(kind.op, y, (g, gi) -> {
            if (center == null) {
                spread(g, ks, gi[0], x.shape, (float) (1.0 / divisor));
            } else {
                varBackward(g, ks, x.data, x.shape, center, divisor, gi[0]);
            }
        }, x);
    }

    /**
     * {@code acc[o(i)] += x[i]}, or {@code += (x[i] - center[o(i)])^2} when {@code center} is given,
     * where {@code o(i)} is the offset of element {@code i}'s reduction slot in {@code ks}.
     */
    private static void forEach(float[] x, Shape xs, Shape ks, double[] acc, double[] center) {
        if (x.length == 0) {
            return;
        }
        if (xs.rank() == 0) {
            acc[0] += center == null ? x[0] : sq(x[0] - center[0]);
            return;
        }
        int[] dims = xs.dimsView();
        int r = dims.length;
        int[][] strides = {ks.broadcastStrides(xs)};
        int n = dims[r - 1];
        int last = strides[0][r - 1];
        int[] idx = new int[r];
        int[] offs = new int[1];
        for (int o = 0; o < x.length; o += n) {
            int k = offs[0];
            if (last == 0) {
                double s = 0;
                if (center == null) {
                    for (int i = 0; i < n; i++) {
                        s += x[o + i];
                    }
                } else {
                    double c = center[k];
                    for (int i = 0; i < n; i++) {
                        s += sq(x[o + i] - c);
                    }
                }
                acc[k] += s;
            } else if (center == null) {
                for (int i = 0; i < n; i++) {
                    acc[k + i] += x[o + i];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    acc[k + i] += sq(x[o + i] - center[k + i]);
                }
            }
            Broadcasting.nextRow(dims, idx, strides, offs);
        }
    }

    private static double sq(double v) {
        return v * v;
    }

    /** {@code gx[i] += scale * g[o(i)]}: the gradient of a sum is the upstream gradient, spread. */
    private static void spread(float[] g, Shape ks, float[] gx, Shape xs, float scale) {
        float[] full = Broadcasting.expand(g, ks, xs);
        for (int i = 0; i < gx.length; i++) {
            gx[i] += scale * full[i];
        }
    }

    /** d var / d x_i = 2 (x_i - mean) / divisor. */
    private static void varBackward(float[] g, Shape ks, float[] x, Shape xs, double[] mean, double divisor,
                                    float[] gx) {
        float[] m = new float[mean.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) mean[i];
        }
        float[] gFull = Broadcasting.expand(g, ks, xs);
        float[] mFull = Broadcasting.expand(m, ks, xs);
        float scale = (float) (2.0 / divisor);
        for (int i = 0; i < gx.length; i++) {
            gx[i] += scale * gFull[i] * (x[i] - mFull[i]);
        }
    }

    /** The maximum along one dimension; the gradient goes to the element {@link #argExtremum} picks. */
    static Tensor max(Tensor x, int dim, boolean keepdim) {
        int d = x.shape.axis(dim, "max");
        int[] arg = argExtremum("max", x, d, 1);
        int[] dims = x.shape.dimsView();
        int n = dims[d];
        int inner = Layout.product(dims, d + 1, dims.length);
        float[] out = new float[arg.length];
        for (int k = 0; k < arg.length; k++) {
            out[k] = x.data[(k / inner * n + arg[k]) * inner + k % inner];
        }
        boolean[] reduce = new boolean[dims.length];
        reduce[d] = true;
        return Tape.recordOp("max", Tensor.fresh(out, x.shape.reduced(reduce, keepdim)), (g, gi) -> {
            // Only the chosen element affected the output: route the gradient to it.
            float[] gx = gi[0];
            for (int k = 0; k < arg.length; k++) {
                gx[(k / inner * n + arg[k]) * inner + k % inner] += g[k];
            }
        }, x);
    }

    /**
     * The index along dimension {@code d} of the largest ({@code sign = 1}) or smallest
     * ({@code -1}) element of every slice, in row-major order of the other dimensions; the first
     * on ties. NaN wins over any number, as in PyTorch.
     */
    static int[] argExtremum(String op, Tensor x, int d, int sign) {
        int[] dims = x.shape.dimsView();
        int n = dims[d];
        if (n == 0) {
            throw new IllegalArgumentException(op + ": dimension " + d + " of shape " + x.shape
                    + " is empty; the " + (sign > 0 ? "maximum" : "minimum") + " is undefined");
        }
        int inner = Layout.product(dims, d + 1, dims.length);
        int outer = Layout.product(dims, 0, d);
        float[] xs = x.data;
        int[] arg = new int[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                int base = o * n * inner + j;
                int best = 0;
                float bv = xs[base];
                for (int i = 1; i < n && bv == bv; i++) {
                    float v = xs[base + i * inner];
                    if ((sign > 0 ? v > bv : v < bv) || v != v) {
                        bv = v;
                        best = i;
                    }
                }
                arg[o * inner + j] = best;
            }
        }
        return arg;
    }
}
