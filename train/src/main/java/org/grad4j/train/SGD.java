package org.grad4j.train;

import java.util.List;
import org.grad4j.core.Tensor;

/**
 * Stochastic gradient descent with PyTorch's semantics ({@code torch.optim.SGD}). For each
 * parameter {@code p} with gradient {@code g}, at learning rate {@code lr}:
 *
 * <pre>
 * g = g + weightDecay * p                          (if weightDecay != 0)
 * b = g                                            (first step: the buffer is the gradient)
 * b = momentum * b + (1 - dampening) * g           (later steps)          } if momentum != 0
 * g = nesterov ? g + momentum * b : b                                     }
 * p = p - lr * g
 * </pre>
 *
 * <pre>{@code
 * SGD plain = new SGD(net.parameters(), 0.1);
 * SGD heavy = new SGD(net.parameters(), SGD.options(0.1).momentum(0.9).weightDecay(5e-4).nesterov(true));
 * }</pre>
 *
 * Parameters without a gradient, or frozen ({@code requiresGrad(false)}), are skipped. The update runs with grad mode off, so it may be
 * called while a tape is open (after its backward) as well as after. State:
 * {@code momentum_buffer.<index>}.
 */
public final class SGD extends GroupedOptimizer<SGD.Options> {
    private static final String NAME = "SGD";
    private static final String BUFFER = "momentum_buffer";

    /**
     * SGD's options, immutable: each method returns a copy with one option changed, so shared
     * options can be varied per {@link ParamGroup}. Defaults are PyTorch's: no momentum, dampening
     * or weight decay.
     */
    public static final class Options {
        private final double lr;
        private final double momentum;
        private final double dampening;
        private final double weightDecay;
        private final boolean nesterov;

        private Options(double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
            this.lr = lr;
            this.momentum = momentum;
            this.dampening = dampening;
            this.weightDecay = weightDecay;
            this.nesterov = nesterov;
        }

        /** The learning rate. */
        public double lr() {
            return lr;
        }

        /**
         * With learning rate {@code lr}.
         *
         * @throws IllegalArgumentException if {@code lr} is negative or not finite
         */
        public Options lr(double lr) {
            return new Options(nonNegative(NAME, "learning rate", lr), momentum, dampening, weightDecay, nesterov);
        }

        /**
         * With momentum {@code momentum} (0: none).
         *
         * @throws IllegalArgumentException if it is negative or not finite
         */
        public Options momentum(double momentum) {
            return new Options(lr, nonNegative(NAME, "momentum", momentum), dampening, weightDecay, nesterov);
        }

        /**
         * With dampening {@code dampening} of the gradient added to the momentum buffer.
         *
         * @throws IllegalArgumentException if it is outside [0, 1]
         */
        public Options dampening(double dampening) {
            if (!(dampening >= 0 && dampening <= 1)) {
                throw new IllegalArgumentException("SGD: invalid dampening " + dampening + " (expected 0 to 1)");
            }
            return new Options(lr, momentum, dampening, weightDecay, nesterov);
        }

        /**
         * With L2 weight decay {@code weightDecay} (added to the gradient).
         *
         * @throws IllegalArgumentException if it is negative or not finite
         */
        public Options weightDecay(double weightDecay) {
            return new Options(lr, momentum, dampening, nonNegative(NAME, "weight decay", weightDecay), nesterov);
        }

        /** With or without Nesterov momentum (which needs a momentum and no dampening: checked by the optimizer). */
        public Options nesterov(boolean nesterov) {
            return new Options(lr, momentum, dampening, weightDecay, nesterov);
        }

        /** {@code lr=0.1, momentum=0.9, dampening=0.0, weight_decay=5.0E-4, nesterov=true}: PyTorch's names. */
        @Override
        public String toString() {
            return "lr=" + lr + ", momentum=" + momentum + ", dampening=" + dampening + ", weight_decay="
                    + weightDecay + ", nesterov=" + nesterov;
        }
    }

    /**
     * Options with learning rate {@code lr} and PyTorch's defaults for the rest.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    public static Options options(double lr) {
        return new Options(0, 0, 0, 0, false).lr(lr);
    }

    /**
     * Plain SGD: {@code p -= lr * grad}.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, or a parameter is
     *     listed twice
     */
    public SGD(List<Tensor> params, double lr) {
        this(params, options(lr));
    }

    /**
     * SGD over {@code params} with {@code options}.
     *
     * @throws IllegalArgumentException if {@code nesterov} is asked for without momentum or with
     *     dampening, or a parameter is listed twice
     */
    public SGD(List<Tensor> params, Options options) {
        this(List.of(ParamGroup.of(params, options)));
    }

    /**
     * SGD over parameter groups, each with its own options.
     *
     * @throws IllegalArgumentException if there are no groups, a group asks for Nesterov momentum
     *     without momentum or with dampening, or a parameter is in two groups
     */
    public SGD(List<ParamGroup<Options>> groups) {
        super(NAME, groups, BUFFER);
    }

    @Override
    void check(Options o) {
        if (o.nesterov && (o.momentum <= 0 || o.dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got "
                    + "momentum " + o.momentum + " and dampening " + o.dampening);
        }
    }

    @Override
    double lr(Options o) {
        return o.lr;
    }

    @Override
    Options withLr(Options o, double lr) {
        return o.lr(lr);
    }

    @Override
    void update(int index, float[] p, float[] g, Options o) {
        float wd = (float) o.weightDecay;
        if (wd != 0) {
            for (int i = 0; i < p.length; i++) {
                g[i] += wd * p[i];
            }
        }
        if (o.momentum != 0) {
            float m = (float) o.momentum;
            boolean first = fresh(BUFFER, index);
            float[] b = state(BUFFER, index);
            float keep = (float) (1 - o.dampening);
            for (int i = 0; i < p.length; i++) {
                b[i] = first ? g[i] : m * b[i] + keep * g[i];
                g[i] = o.nesterov ? g[i] + m * b[i] : b[i];
            }
        }
        float step = (float) -o.lr;
        for (int i = 0; i < p.length; i++) {
            p[i] += step * g[i];
        }
    }
}
