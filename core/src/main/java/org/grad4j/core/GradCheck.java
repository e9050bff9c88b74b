package org.grad4j.core;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/**
 * Checks the gradients autograd computes for a function against central finite differences.
 * It ships in the main jar so that anyone writing a new op can check it the way grad4j checks its
 * own: a user op recorded with {@link Tape#recordOp} is checked like a built-in one.
 *
 * <p>For {@code y = f(inputs)} and a random upstream gradient {@code u} (so that a backward that
 * ignores its upstream gradient fails), the scalar {@code L = sum(u * y)} is differentiated two
 * ways for every input that {@linkplain Tensor#requiresGrad() requires a gradient}:
 * <ul>
 *   <li>analytically, by recording {@code f} on a {@link Tape} and calling {@code y.backward(u)};
 *   <li>numerically, as {@code (L(x + h) - L(x - h)) / 2h} per element, with {@code L} summed in
 *       double and {@code h} the step actually representable in float32 at that element. These
 *       evaluations of {@code f} run under {@link Tape#noGrad()}: nothing is recorded, so an op
 *       whose forward pass differs when it records (one that saves state for backward only when
 *       {@link Tape#willRecord} says so) is checked on both paths.
 * </ul>
 * Then {@code f} is recorded twice on one tape and both results are backpropagated together, on
 * top of the gradients already there: every gradient must become three times the first one. That
 * catches a backward that overwrites its input's gradient instead of adding to it, and a leaf that
 * does not accumulate across backward passes.
 *
 * <p>{@code f} must be deterministic and must not change its inputs; inputs must be leaves. The
 * default tolerances suit float32 functions of inputs of magnitude about 1, away from kinks
 * (keep the inputs of relu, max and maximum at least twice the step away from ties).
 *
 * <pre>{@code
 * Tensor a = Tensor.randn(new Random(345), 2, 3).requiresGrad(true);
 * Tensor b = Tensor.randn(new Random(346), 3).requiresGrad(true);
 * GradCheck.check("mul", in -> in[0].mul(in[1]), a, b);
 * }</pre>
 */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * How to check: the finite-difference step, and the tolerance
     * {@code |analytic - numeric| <= atol + rtol * |numeric|}.
     *
     * @param step the finite-difference step h
     * @param atol absolute tolerance
     * @param rtol relative tolerance
     * @param seed seed of the random upstream gradient
     */
    public record Options(double step, double atol, double rtol, long seed) {
        /** Step 1e-2, atol 1e-3, rtol 1e-2: float32's precision, central differences. */
        public static final Options DEFAULT = new Options(1e-2, 1e-3, 1e-2, 345);

        /**
         * Validates the options.
         *
         * @throws IllegalArgumentException if a value is not positive and finite (atol, rtol may be 0)
         */
        public Options {
            if (!(step > 0) || !Double.isFinite(step)) {
                throw new IllegalArgumentException("gradcheck: step must be positive and finite, got " + step);
            }
            if (!(atol >= 0) || !(rtol >= 0)) {
                throw new IllegalArgumentException("gradcheck: tolerances must be >= 0, got atol " + atol
                        + " and rtol " + rtol);
            }
        }

        /** These options with another tolerance. */
        public Options withTolerance(double atol, double rtol) {
            return new Options(step, atol, rtol, seed);
        }

        /** These options with another step. */
        public Options withStep(double step) {
            return new Options(step, atol, rtol, seed);
        }
    }

    /**
     * Checks {@code f} with {@link Options#DEFAULT}.
     *
     * @throws AssertionError naming {@code op}, the input and the index where a gradient is wrong
     * @throws IllegalArgumentException if no input requires a gradient or an input is not a leaf
     */
    public static void check(String op, Function<Tensor[], Tensor> f, Tensor... inputs) {
        check(op, Options.DEFAULT, f, inputs);
    }

    /**
     * Checks {@code f} with the given options.
     *
     * @throws AssertionError naming {@code op}, the input and the index where a gradient is wrong
     * @throws IllegalArgumentException if no input requires a gradient or an input is not a leaf
     */
    public static void check(String op, Options options, Function<Tensor[], Tensor> f, Tensor... inputs) {
        boolean any = false;
        for (int k = 0; k < inputs.length; k++) {
            if (!inputs[k].isLeaf()) {
                throw new IllegalArgumentException("gradcheck " + op + ": input " + k + " is not a leaf");
            }
            any |= inputs[k].requiresGrad();
        }
        if (!any) {
            throw new IllegalArgumentException("gradcheck " + op + ": no input requires grad");
        }
        if (Tape.isRecording()) {
            throw new IllegalStateException("gradcheck " + op + ": a tape is already recording on this thread");
        }
        Tensor[] saved = new Tensor[inputs.length];
        for (int k = 0; k < inputs.length; k++) {
            saved[k] = inputs[k].grad();
            inputs[k].clearGrad();
        }
        try {
            run(op, options, f, inputs);
        } finally {
            for (int k = 0; k < inputs.length; k++) {
                inputs[k].restoreGrad(saved[k]);
            }
        }
    }

    private static void run(String op, Options o, Function<Tensor[], Tensor> f, Tensor[] inputs) {
        int[] versions = new int[inputs.length];
        for (int k = 0; k < inputs.length; k++) {
            versions[k] = inputs[k].version();
        }
        Tensor u;
        try (Tape tape = Tape.record()) {
            Tensor y = f.apply(inputs);
            u = Tensor.randn(new Random(o.seed()), y.shape().dimsView());
            if (!y.requiresGrad()) {
                throw new AssertionError("gradcheck " + op + ": the output does not require grad; "
                        + "the op was not recorded");
            }
            y.backward(u);
        }
        for (int k = 0; k < inputs.length; k++) {
            if (inputs[k].version() != versions[k]) {
                throw new AssertionError("gradcheck " + op + ": input " + k + " was modified by the function");
            }
        }
        float[][] analytic = new float[inputs.length][];
        for (int k = 0; k < inputs.length; k++) {
            if (inputs[k].requiresGrad()) {
                Tensor g = inputs[k].grad();
                analytic[k] = g == null ? new float[inputs[k].size()] : g.toArray();
            }
        }
        for (int k = 0; k < inputs.length; k++) {
            if (analytic[k] != null) {
                compareNumeric(op, o, f, inputs, k, u, analytic[k]);
            }
        }
        checkAccumulation(op, f, inputs, u, analytic);
    }

    private static void compareNumeric(String op, Options o, Function<Tensor[], Tensor> f, Tensor[] inputs,
                                       int k, Tensor u, float[] analytic) {
        float[] x = inputs[k].data;
        for (int i = 0; i < x.length; i++) {
            float orig = x[i];
            float plus = (float) (orig + o.step());
            float minus = (float) (orig - o.step());
            double lp = objective(f, inputs, k, i, plus, u);
            double lm = objective(f, inputs, k, i, minus, u);
            x[i] = orig;
            inputs[k].version[0]++;
            double numeric = (lp - lm) / ((double) plus - (double) minus);
            double diff = Math.abs(analytic[i] - numeric);
            if (!(diff <= o.atol() + o.rtol() * Math.abs(numeric))) {
                throw new AssertionError(String.format(Locale.ROOT,
                        "gradcheck %s: input %d %s at index %s: analytic %.6g vs numeric %.6g "
                                + "(|diff| %.3g > %.1g + %.1g * |numeric|)",
                        op, k, inputs[k].shape(), index(inputs[k].shape(), i), analytic[i], numeric, diff,
                        o.atol(), o.rtol()));
            }
        }
    }

    /** {@code sum(u * f(inputs))} in double with element {@code i} of input {@code k} set to {@code v}. */
    private static double objective(Function<Tensor[], Tensor> f, Tensor[] inputs, int k, int i, float v, Tensor u) {
        inputs[k].data[i] = v;
        inputs[k].version[0]++;
        Tensor y;
        try (Tape.NoGrad off = Tape.noGrad()) {
            y = f.apply(inputs);
        }
        double l = 0;
        for (int j = 0; j < y.data.length; j++) {
            l += (double) u.data[j] * y.data[j];
        }
        return l;
    }

    private static void checkAccumulation(String op, Function<Tensor[], Tensor> f, Tensor[] inputs, Tensor u,
                                          float[][] first) {
        try (Tape tape = Tape.record()) {
            Tensor y1 = f.apply(inputs);
            Tensor y2 = f.apply(inputs);
            y1.add(y2).backward(u);
        }
        for (int k = 0; k < inputs.length; k++) {
            if (first[k] == null) {
                continue;
            }
            float[] g = inputs[k].grad() == null ? new float[first[k].length] : inputs[k].grad().data;
            for (int i = 0; i < g.length; i++) {
                float expected = 3 * first[k][i];
                float tol = 1e-5f * Math.max(1f, Math.abs(expected)) * 4;
                if (!(Math.abs(g[i] - expected) <= tol)) {
                    throw new AssertionError(String.format(Locale.ROOT,
                            "gradcheck %s: input %d %s at index %s: gradient does not accumulate: after a "
                                    + "second backward through two recordings it is %.6g, expected 3 x %.6g = %.6g",
                            op, k, inputs[k].shape(), index(inputs[k].shape(), i), g[i], first[k][i], expected));
                }
            }
        }
    }

    private static String index(Shape shape, int flat) {
        int[] d = shape.dimsView();
        int[] idx = new int[d.length];
        for (int j = d.length - 1; j >= 0; j--) {
            idx[j] = d[j] == 0 ? 0 : flat % d[j];
            flat = d[j] == 0 ? 0 : flat / d[j];
        }
        return Arrays.toString(idx);
    }
}
