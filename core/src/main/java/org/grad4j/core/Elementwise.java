package org.grad4j.core;

import org.grad4j.core.kernels.ElementwiseKernels;

/**
 * Element-wise ops and their gradients. Binary ops broadcast; their backward computes the
 * gradient at the broadcast shape and sums it back to each operand's own shape.
 */
final class Elementwise {
    private Elementwise() {
    }

    enum Binary {
        ADD("add"), SUB("sub"), MUL("mul"), DIV("div"), MAXIMUM("maximum");

        final String op;

        Binary(String op) {
            this.op = op;
        }
    }

    enum Unary {
        EXP("exp"), LOG("log"), SQRT("sqrt"), SQUARE("square"), POW("pow"), SIGMOID("sigmoid"), RELU("relu");

        final String op;

        Unary(String op) {
            this.op = op;
        }
    }

    static Tensor binary(Binary op, Tensor a, Tensor b) {
        Shape os = Shape.broadcast(op.op, a.shape, b.shape);
        float[] out = new float[os.size()];
        Broadcasting.binary(op, a.data, a.shape, b.data, b.shape, out, os);
        Tensor y = Tensor.fresh(out, os);
        return Tape.record(op.op, y, (g, gi) -> binaryBackward(op, a, b, out, os, g, gi), a, b);
    }

    private static void binaryBackward(Binary op, Tensor a, Tensor b, float[] y, Shape os, float[] g, float[][] gi) {
        switch (op) {
            case ADD:
                addTo(gi[0], g, os, a.shape, 1f);
                addTo(gi[1], g, os, b.shape, 1f);
                return;
            case SUB:
                addTo(gi[0], g, os, a.shape, 1f);
                addTo(gi[1], g, os, b.shape, -1f);
                return;
            default:
                break;
        }
        float[] av = Broadcasting.expand(a.data, a.shape, os);
        float[] bv = Broadcasting.expand(b.data, b.shape, os);
        int n = g.length;
        float[] ga = gi[0] == null ? null : new float[n];
        float[] gb = gi[1] == null ? null : new float[n];
        for (int i = 0; i < n; i++) {
            float gy = g[i];
            switch (op) {
                case MUL:
                    // d(ab)/da = b, d(ab)/db = a
                    if (ga != null) {
                        ga[i] = gy * bv[i];
                    }
                    if (gb != null) {
                        gb[i] = gy * av[i];
                    }
                    break;
                case DIV:
                    // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -y/b
                    if (ga != null) {
                        ga[i] = gy / bv[i];
                    }
                    if (gb != null) {
                        gb[i] = -gy * y[i] / bv[i];
                    }
                    break;
                case MAXIMUM:
                    // The larger input gets the gradient; a tie splits it in half (PyTorch).
                    float share = av[i] > bv[i] ? 1f : av[i] == bv[i] ? 0.5f : 0f;
                    float shareB = av[i] < bv[i] ? 1f : av[i] == bv[i] ? 0.5f : 0f;
                    if (ga != null) {
                        ga[i] = gy * share;
                    }
                    if (gb != null) {
                        gb[i] = gy * shareB;
                    }
                    break;
                default:
                    throw new AssertionError(op);
            }
        }
        addTo(gi[0], ga, os, a.shape, 1f);
        addTo(gi[1], gb, os, b.shape, 1f);
    }

    private static void addTo(float[] dst, float[] full, Shape fullShape, Shape dstShape, float scale) {
        if (dst != null) {
            Broadcasting.sumInto(full, fullShape, dst, dstShape, scale);
        }
    }

    /** {@code y = scale * x + shift}, the scalar forms of add, sub, mul, div and neg. */
    static Tensor affine(String op, Tensor x, float scale, float shift) {
        float[] xs = x.data;
        float[] out = new float[xs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = scale * xs[i] + shift;
        }
        Tensor y = Tensor.fresh(out, x.shape);
        return Tape.record(op, y, (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += scale * g[i];
            }
        }, x);
    }

    static Tensor unary(Unary op, Tensor x, float p) {
        float[] xs = x.data;
        int n = xs.length;
        float[] out = new float[n];
        switch (op) {
            case EXP:
                for (int i = 0; i < n; i++) {
                    out[i] = (float) Math.exp(xs[i]);
                }
                break;
            case LOG:
                for (int i = 0; i < n; i++) {
                    out[i] = (float) Math.log(xs[i]);
                }
                break;
            case SQRT:
                for (int i = 0; i < n; i++) {
                    out[i] = (float) Math.sqrt(xs[i]);
                }
                break;
            case SQUARE:
                for (int i = 0; i < n; i++) {
                    out[i] = xs[i] * xs[i];
                }
                break;
            case POW:
                for (int i = 0; i < n; i++) {
                    out[i] = (float) Math.pow(xs[i], p);
                }
                break;
            case SIGMOID:
                ElementwiseKernels.sigmoid(xs, out, n);
                break;
            case RELU:
                for (int i = 0; i < n; i++) {
                    // x > 0 ? x : 0 keeps NaN as NaN, like PyTorch's relu.
                    out[i] = xs[i] > 0f || xs[i] != xs[i] ? xs[i] : 0f;
                }
                break;
            default:
                throw new AssertionError(op);
        }
        Tensor y = Tensor.fresh(out, x.shape);
        if (op == Unary.SIGMOID) {
            return Tape.recordAssigning(op.op, y,
                    (g, gi, assign) -> ElementwiseKernels.sigmoidBackward(out, g, gi[0], n, assign), x);
        }
        return Tape.record(op.op, y, (g, gi) -> unaryBackward(op, xs, out, p, g, gi[0]), x);
    }

    private static void unaryBackward(Unary op, float[] x, float[] y, float p, float[] g, float[] gx) {
        int n = g.length;
        switch (op) {
            case EXP: // d e^x = e^x
                for (int i = 0; i < n; i++) {
                    gx[i] += g[i] * y[i];
                }
                break;
            case LOG: // d ln x = 1/x
                for (int i = 0; i < n; i++) {
                    gx[i] += g[i] / x[i];
                }
                break;
            case SQRT: // d sqrt(x) = 1 / (2 sqrt(x))
                for (int i = 0; i < n; i++) {
                    gx[i] += g[i] / (2f * y[i]);
                }
                break;
            case SQUARE: // d x^2 = 2x
                for (int i = 0; i < n; i++) {
                    gx[i] += 2f * x[i] * g[i];
                }
                break;
            case POW: // d x^p = p x^(p-1)
                for (int i = 0; i < n; i++) {
                    gx[i] += g[i] * p * (float) Math.pow(x[i], p - 1);
                }
                break;
            // SIGMOID is recorded with its own assigning backward (see unary).
            case RELU:
                for (int i = 0; i < n; i++) {
                    if (x[i] > 0f) {
                        gx[i] += g[i];
                    }
                }
                break;
            default:
                throw new AssertionError(op);
        }
    }

    /** The logistic function without overflow for large |x|. */
    static float sigmoid(float x) {
        return ElementwiseKernels.sigmoid(x);
    }
}
