package org.grad4j.core;

import org.grad4j.core.kernels.ElementwiseKernels;

/**
 * Element-wise ops, each one method with its forward loop and, beside it, the backward it records
 * ({@link Tape#recordOp}). Binary ops broadcast: the operands are read at the broadcast shape
 * (a view when an operand already has it) and the backward computes each operand's gradient at
 * that shape, then sums it back to the operand's own shape.
 */
final class Elementwise {
    private Elementwise() {
    }

    // ---------------------------------------------------------------- unary

    /** {@code y = scale * x + shift}, the scalar forms of add, sub, mul, div and neg. */
    static Tensor affine(String op, Tensor x, float scale, float shift) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = scale * xs[i] + shift;
        }
        return Tape.recordOp(op, like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += scale * g[i];
            }
        }, x);
    }

    static Tensor exp(Tensor x) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) Math.exp(xs[i]);
        }
        return Tape.recordOp("exp", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += g[i] * y[i]; // d e^x = e^x
            }
        }, x);
    }

    static Tensor log(Tensor x) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) Math.log(xs[i]);
        }
        return Tape.recordOp("log", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += g[i] / xs[i]; // d ln x = 1/x
            }
        }, x);
    }

    static Tensor sqrt(Tensor x) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) Math.sqrt(xs[i]);
        }
        return Tape.recordOp("sqrt", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += g[i] / (2f * y[i]); // d sqrt(x) = 1 / (2 sqrt(x))
            }
        }, x);
    }

    static Tensor square(Tensor x) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = xs[i] * xs[i];
        }
        return Tape.recordOp("square", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += 2f * xs[i] * g[i]; // d x^2 = 2x
            }
        }, x);
    }

    static Tensor pow(Tensor x, float p) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) Math.pow(xs[i], p);
        }
        return Tape.recordOp("pow", like(x, y), (g, gi) -> {
            // d x^p = p x^(p-1); a constant for p = 0, even at x = 0 (PyTorch).
            float[] gx = gi[0];
            for (int i = 0; p != 0 && i < gx.length; i++) {
                gx[i] += g[i] * p * (float) Math.pow(xs[i], p - 1);
            }
        }, x);
    }

    static Tensor sigmoid(Tensor x) {
        float[] xs = x.data;
        int n = xs.length;
        float[] y = new float[n];
        ElementwiseKernels.sigmoid(xs, y, n);
        // d s(x) = s(x) (1 - s(x)), in the kernel; on BN-LeNet's hot path, so it may assign.
        return Tape.recordAssigningOp("sigmoid", like(x, y),
                (g, gi, assign) -> ElementwiseKernels.sigmoidBackward(y, g, gi[0], n, assign), x);
    }

    static Tensor tanh(Tensor x) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) Math.tanh(xs[i]);
        }
        return Tape.recordOp("tanh", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += g[i] * (1f - y[i] * y[i]); // d tanh x = 1 - tanh^2 x
            }
        }, x);
    }

    static Tensor relu(Tensor x) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            // x > 0 ? x : 0 keeps NaN as NaN, like PyTorch's relu.
            y[i] = xs[i] > 0f || xs[i] != xs[i] ? xs[i] : 0f;
        }
        return Tape.recordOp("relu", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                if (xs[i] > 0f) {
                    gx[i] += g[i];
                }
            }
        }, x);
    }

    /** The exact GELU, {@code x Phi(x)} with the normal CDF {@code Phi} (PyTorch's default). */
    static Tensor gelu(Tensor x) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) (xs[i] * normalCdf(xs[i]));
        }
        return Tape.recordOp("gelu", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                // d x Phi(x) = Phi(x) + x phi(x)
                double v = xs[i];
                gx[i] += (float) (g[i] * (normalCdf(v) + v * normalPdf(v)));
            }
        }, x);
    }

    static Tensor geluTanh(Tensor x) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        double k = Math.sqrt(2 / Math.PI);
        for (int i = 0; i < y.length; i++) {
            double v = xs[i];
            y[i] = (float) (0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v))));
        }
        return Tape.recordOp("geluTanh", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                double v = xs[i];
                double t = Math.tanh(k * (v + 0.044715 * v * v * v));
                gx[i] += (float) (g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v)));
            }
        }, x);
    }

    static Tensor abs(Tensor x) {
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = Math.abs(xs[i]);
        }
        return Tape.recordOp("abs", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += g[i] * Math.signum(xs[i]); // sign(0) = 0, as PyTorch
            }
        }, x);
    }

    /** {@code min(max(x, lo), hi)}; the gradient passes where {@code lo <= x <= hi} (PyTorch). */
    static Tensor clamp(Tensor x, float lo, float hi) {
        if (lo != lo || hi != hi) {
            throw new IllegalArgumentException("clamp: bounds must not be NaN, got min " + lo + " and max " + hi);
        }
        float[] xs = x.data;
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            float v = xs[i];
            // NaN stays NaN; with lo > hi everything becomes hi, as in PyTorch.
            y[i] = v != v ? v : Math.min(Math.max(v, lo), hi);
        }
        return Tape.recordOp("clamp", like(x, y), (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                if (xs[i] >= lo && xs[i] <= hi) {
                    gx[i] += g[i];
                }
            }
        }, x);
    }

    private static final double SQRT_2 = Math.sqrt(2);
    private static final double SQRT_2PI = Math.sqrt(2 * Math.PI);

    /** The standard normal density. */
    static double normalPdf(double x) {
        return Math.exp(-0.5 * x * x) / SQRT_2PI;
    }

    /** The standard normal CDF {@code Phi(x) = erfc(-x / sqrt 2) / 2}. */
    static double normalCdf(double x) {
        return 0.5 * erfc(-x / SQRT_2);
    }

    /**
     * The complementary error function to about 1e-12 relative: for {@code |z| < 2.5} the
     * Maclaurin series of erf (its terms stay below 20, so little cancels), beyond that the
     * continued fraction {@code erfc z = e^(-z^2) / sqrt(pi) / (z + (1/2) / (z + 1 / (z + (3/2) / (z + ...))))},
     * which converges fast there. Java has no erf.
     */
    static double erfc(double z) {
        if (z != z) {
            return z;
        }
        double a = Math.abs(z);
        if (a < 2.5) {
            // erf z = 2 / sqrt(pi) * sum_n (-1)^n z^(2n+1) / (n! (2n+1))
            double term = z;
            double sum = z;
            double z2 = z * z;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -z2 / n;
                sum += term / (2 * n + 1);
            }
            return 1 - 2 / Math.sqrt(Math.PI) * sum;
        }
        double f = a;
        for (int k = 60; k >= 1; k--) {
            f = a + (k / 2.0) / f;
        }
        double tail = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        return z > 0 ? tail : 2 - tail;
    }

    private static Tensor like(Tensor x, float[] y) {
        return Tensor.fresh(y, x.shape);
    }

    // ---------------------------------------------------------------- binary, broadcasting

    static Tensor add(Tensor a, Tensor b) {
        Broadcast p = Broadcast.of("add", a, b);
        float[] av = p.a();
        float[] bv = p.b();
        float[] y = new float[p.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = av[i] + bv[i];
        }
        return Tape.recordOp("add", p.output(y), (g, gi) -> {
            p.sumToA(g, gi, 1f);
            p.sumToB(g, gi, 1f);
        }, a, b);
    }

    static Tensor sub(Tensor a, Tensor b) {
        Broadcast p = Broadcast.of("sub", a, b);
        float[] av = p.a();
        float[] bv = p.b();
        float[] y = new float[p.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = av[i] - bv[i];
        }
        return Tape.recordOp("sub", p.output(y), (g, gi) -> {
            p.sumToA(g, gi, 1f);
            p.sumToB(g, gi, -1f);
        }, a, b);
    }

    static Tensor mul(Tensor a, Tensor b) {
        Broadcast p = Broadcast.of("mul", a, b);
        float[] av = p.a();
        float[] bv = p.b();
        float[] y = new float[p.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = av[i] * bv[i];
        }
        return Tape.recordOp("mul", p.output(y), (g, gi) -> {
            // d(ab)/da = b, d(ab)/db = a
            float[] ga = p.gradA(gi);
            float[] gb = p.gradB(gi);
            if (ga != null) {
                float[] bw = p.b();
                for (int i = 0; i < g.length; i++) {
                    ga[i] += g[i] * bw[i];
                }
            }
            if (gb != null) {
                float[] aw = p.a();
                for (int i = 0; i < g.length; i++) {
                    gb[i] += g[i] * aw[i];
                }
            }
            p.reduce(gi, ga, gb);
        }, a, b);
    }

    static Tensor div(Tensor a, Tensor b) {
        Broadcast p = Broadcast.of("div", a, b);
        float[] av = p.a();
        float[] bv = p.b();
        float[] y = new float[p.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = av[i] / bv[i];
        }
        return Tape.recordOp("div", p.output(y), (g, gi) -> {
            // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -y/b
            float[] ga = p.gradA(gi);
            float[] gb = p.gradB(gi);
            float[] bw = p.b();
            if (ga != null) {
                for (int i = 0; i < g.length; i++) {
                    ga[i] += g[i] / bw[i];
                }
            }
            if (gb != null) {
                for (int i = 0; i < g.length; i++) {
                    gb[i] -= g[i] * y[i] / bw[i];
                }
            }
            p.reduce(gi, ga, gb);
        }, a, b);
    }

    /** {@code a^b}; PyTorch's gradients: none to the base where {@code b = 0}, none to the exponent where {@code a = 0, b >= 0}. */
    static Tensor pow(Tensor a, Tensor b) {
        Broadcast p = Broadcast.of("pow", a, b);
        float[] av = p.a();
        float[] bv = p.b();
        float[] y = new float[p.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) Math.pow(av[i], bv[i]);
        }
        return Tape.recordOp("pow", p.output(y), (g, gi) -> {
            // d a^b / da = b a^(b-1), d a^b / db = a^b ln a
            float[] ga = p.gradA(gi);
            float[] gb = p.gradB(gi);
            float[] aw = p.a();
            float[] bw = p.b();
            if (ga != null) {
                for (int i = 0; i < g.length; i++) {
                    if (bw[i] != 0f) {
                        ga[i] += g[i] * bw[i] * (float) Math.pow(aw[i], bw[i] - 1);
                    }
                }
            }
            if (gb != null) {
                for (int i = 0; i < g.length; i++) {
                    if (!(aw[i] == 0f && bw[i] >= 0f)) {
                        gb[i] += g[i] * y[i] * (float) Math.log(aw[i]);
                    }
                }
            }
            p.reduce(gi, ga, gb);
        }, a, b);
    }

    static Tensor maximum(Tensor a, Tensor b) {
        return extremum("maximum", a, b, 1);
    }

    static Tensor minimum(Tensor a, Tensor b) {
        return extremum("minimum", a, b, -1);
    }

    /**
     * The larger ({@code sign = 1}) or smaller ({@code -1}) of two values; NaN propagates. The
     * winner gets the gradient, a tie splits it in half (PyTorch).
     */
    private static Tensor extremum(String op, Tensor a, Tensor b, int sign) {
        Broadcast p = Broadcast.of(op, a, b);
        float[] av = p.a();
        float[] bv = p.b();
        float[] y = new float[p.size()];
        for (int i = 0; i < y.length; i++) {
            float u = av[i];
            float v = bv[i];
            y[i] = u != u || v != v ? Float.NaN : sign > 0 ? Math.max(u, v) : Math.min(u, v);
        }
        return Tape.recordOp(op, p.output(y), (g, gi) -> {
            float[] ga = p.gradA(gi);
            float[] gb = p.gradB(gi);
            float[] aw = p.a();
            float[] bw = p.b();
            for (int i = 0; i < g.length; i++) {
                float d = sign * (aw[i] - bw[i]);
                float shareA = d > 0 ? 1f : d == 0 ? 0.5f : 0f;
                float shareB = d < 0 ? 1f : d == 0 ? 0.5f : 0f;
                if (ga != null) {
                    ga[i] += g[i] * shareA;
                }
                if (gb != null) {
                    gb[i] += g[i] * shareB;
                }
            }
            p.reduce(gi, ga, gb);
        }, a, b);
    }

    /** {@code condition != 0 ? x : y}, all three broadcast; the gradient goes to the chosen side. */
    static Tensor where(Tensor condition, Tensor x, Tensor y) {
        Shape os = Shape.broadcast("where", condition.shape, Shape.broadcast("where", x.shape, y.shape));
        Broadcast p = new Broadcast(x, y, os);
        float[] c = Broadcasting.expand(condition.data, condition.shape, os);
        // The mask as it is now: a later change to condition must not change the gradient.
        boolean[] pick = new boolean[c.length];
        for (int i = 0; i < c.length; i++) {
            pick[i] = c[i] != 0f;
        }
        float[] xv = p.a();
        float[] yv = p.b();
        float[] out = new float[os.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = pick[i] ? xv[i] : yv[i];
        }
        return Tape.recordOp("where", p.output(out), (g, gi) -> {
            float[] gx = p.gradA(gi);
            float[] gy = p.gradB(gi);
            for (int i = 0; i < g.length; i++) {
                if (pick[i]) {
                    if (gx != null) {
                        gx[i] += g[i];
                    }
                } else if (gy != null) {
                    gy[i] += g[i];
                }
            }
            p.reduce(gi, gx, gy);
        }, x, y);
    }

    /**
     * Two operands of a binary op and the shape they broadcast to: their values read at that
     * shape, and their gradients computed there and summed back. Backward reads the values again
     * rather than keeping stretched copies alive until it runs.
     */
    private record Broadcast(Tensor left, Tensor right, Shape shape) {
        static Broadcast of(String op, Tensor a, Tensor b) {
            return new Broadcast(a, b, Shape.broadcast(op, a.shape, b.shape));
        }

        int size() {
            return shape.size();
        }

        Tensor output(float[] y) {
            return Tensor.fresh(y, shape);
        }

        /** The values of {@code a} at the broadcast shape (its own array when it has that shape). */
        float[] a() {
            return Broadcasting.expand(left.data, left.shape, shape);
        }

        float[] b() {
            return Broadcasting.expand(right.data, right.shape, shape);
        }

        /** Where to add {@code a}'s gradient at the broadcast shape: its own buffer when it has that shape. */
        float[] gradA(float[][] gi) {
            return gi[0] == null || left.shape.equals(shape) ? gi[0] : new float[shape.size()];
        }

        float[] gradB(float[][] gi) {
            return gi[1] == null || right.shape.equals(shape) ? gi[1] : new float[shape.size()];
        }

        /** Sums what {@link #gradA}/{@link #gradB} handed out into the operands' own buffers. */
        void reduce(float[][] gi, float[] ga, float[] gb) {
            if (ga != gi[0]) {
                Broadcasting.sumInto(ga, shape, gi[0], left.shape, 1f);
            }
            if (gb != gi[1]) {
                Broadcasting.sumInto(gb, shape, gi[1], right.shape, 1f);
            }
        }

        /** {@code gradIn[0] += scale * g} summed to {@code a}'s shape. */
        void sumToA(float[] g, float[][] gi, float scale) {
            if (gi[0] != null) {
                Broadcasting.sumInto(g, shape, gi[0], left.shape, scale);
            }
        }

        void sumToB(float[] g, float[][] gi, float scale) {
            if (gi[1] != null) {
                Broadcasting.sumInto(g, shape, gi[1], right.shape, scale);
            }
        }
    }

    /** The logistic function without overflow for large |x|. */
    static float sigmoid(float x) {
        return ElementwiseKernels.sigmoid(x);
    }
}
