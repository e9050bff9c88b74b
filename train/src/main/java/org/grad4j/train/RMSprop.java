package org.grad4j.train;

import java.util.List;
import org.grad4j.core.Tensor;

/**
 * RMSprop with PyTorch's semantics ({@code torch.optim.RMSprop}, Hinton's lecture 6e; centered as
 * in Graves, 2013). For each parameter {@code p} with gradient {@code g}:
 *
 * <pre>
 * g = g + weightDecay * p                          (L2, if weightDecay != 0)
 * s = alpha * s + (1 - alpha) * g * g              (square_avg, starts at 0)
 * a = alpha * a + (1 - alpha) * g                  (grad_avg, if centered; starts at 0)
 * d = sqrt(s - a * a) + eps   if centered,   sqrt(s) + eps   otherwise
 * b = momentum * b + g / d;  p = p - lr * b        (momentum_buffer, starts at 0; if momentum > 0)
 * p = p - lr * g / d                               (otherwise)
 * </pre>
 *
 * Note that {@code eps} is added outside the square root, as in PyTorch (Keras and TensorFlow add it
 * inside).
 *
 * <pre>{@code
 * RMSprop rms = new RMSprop(net.parameters(), 1e-2);
 * RMSprop tuned = new RMSprop(net.parameters(), RMSprop.options(1e-3).alpha(0.9).momentum(0.9).centered(true));
 * }</pre>
 *
 * Parameters without a gradient, or frozen ({@code requiresGrad(false)}), are skipped. State: {@code square_avg.<index>},
 * {@code momentum_buffer.<index>} (with momentum), {@code grad_avg.<index>} (centered).
 */
public final class RMSprop extends GroupedOptimizer<RMSprop.Options> {
    private static final String NAME = "RMSprop";
    private static final String SQUARE_AVG = "square_avg";
    private static final String BUFFER = "momentum_buffer";
    private static final String GRAD_AVG = "grad_avg";

    /**
     * RMSprop's options, immutable: each method returns a copy with one option changed, so shared
     * options can be varied per {@link ParamGroup}. Defaults are PyTorch's: alpha 0.99, eps 1e-8, no
     * weight decay, no momentum, not centered.
     */
    public static final class Options {
        private final double lr;
        private final double alpha;
        private final double eps;
        private final double weightDecay;
        private final double momentum;
        private final boolean centered;

        private Options(double lr, double alpha, double eps, double weightDecay, double momentum, boolean centered) {
            this.lr = lr;
            this.alpha = alpha;
            this.eps = eps;
            this.weightDecay = weightDecay;
            this.momentum = momentum;
            this.centered = centered;
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
            return new Options(nonNegative(NAME, "learning rate", lr), alpha, eps, weightDecay, momentum, centered);
        }

        /**
         * With smoothing constant {@code alpha}, the weight of the old mean square.
         *
         * @throws IllegalArgumentException if it is outside [0, 1)
         */
        public Options alpha(double alpha) {
            return new Options(lr, decayRate(NAME, "alpha", alpha), eps, weightDecay, momentum, centered);
        }

        /**
         * With {@code eps}, added to the denominator for numerical stability.
         *
         * @throws IllegalArgumentException if it is negative or not finite
         */
        public Options eps(double eps) {
            return new Options(lr, alpha, nonNegative(NAME, "eps", eps), weightDecay, momentum, centered);
        }

        /**
         * With L2 weight decay {@code weightDecay} (added to the gradient).
         *
         * @throws IllegalArgumentException if it is negative or not finite
         */
        public Options weightDecay(double weightDecay) {
            return new Options(lr, alpha, eps, nonNegative(NAME, "weight decay", weightDecay), momentum, centered);
        }

        /**
         * With momentum {@code momentum} (0: none).
         *
         * @throws IllegalArgumentException if it is negative or not finite
         */
        public Options momentum(double momentum) {
            return new Options(lr, alpha, eps, weightDecay, nonNegative(NAME, "momentum", momentum), centered);
        }

        /** Centered or not: divide by the estimated standard deviation instead of the root mean square. */
        public Options centered(boolean centered) {
            return new Options(lr, alpha, eps, weightDecay, momentum, centered);
        }

        /** {@code lr=0.01, alpha=0.99, eps=1.0E-8, weight_decay=0.0, momentum=0.0, centered=false}: PyTorch's names. */
        @Override
        public String toString() {
            return "lr=" + lr + ", alpha=" + alpha + ", eps=" + eps + ", weight_decay=" + weightDecay + ", momentum="
                    + momentum + ", centered=" + centered;
        }
    }

    /**
     * Options with learning rate {@code lr} and PyTorch's defaults for the rest.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    public static Options options(double lr) {
        return new Options(0, 0.99, 1e-8, 0, 0, false).lr(lr);
    }

    /**
     * RMSprop with learning rate {@code lr} and PyTorch's defaults.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, or a parameter is listed twice
     */
    public RMSprop(List<Tensor> params, double lr) {
        this(params, options(lr));
    }

    /**
     * RMSprop over {@code params} with {@code options}.
     *
     * @throws IllegalArgumentException if a parameter is listed twice
     */
    public RMSprop(List<Tensor> params, Options options) {
        this(List.of(ParamGroup.of(params, options)));
    }

    /**
     * RMSprop over parameter groups, each with its own options.
     *
     * @throws IllegalArgumentException if there are no groups or a parameter is in two groups
     */
    public RMSprop(List<ParamGroup<Options>> groups) {
        super(NAME, groups, SQUARE_AVG, BUFFER, GRAD_AVG);
    }

    @Override
    double lr(Options o) {
        return o.lr;
    }

    @Override
    Options withLr(Options o, double lr) {
        return o.lr(lr);
    }

    /** Rounded as PyTorch's float32 ops are: each factor is a float, each operation one rounding. */
    @Override
    void update(int index, float[] p, float[] g, Options o) {
        float wd = (float) o.weightDecay;
        float alpha = (float) o.alpha;
        float keep = (float) (1 - o.alpha);
        float eps = (float) o.eps;
        float momentum = (float) o.momentum;
        float step = (float) -o.lr;
        float[] s = state(SQUARE_AVG, index);
        float[] a = o.centered ? state(GRAD_AVG, index) : null;
        float[] b = o.momentum > 0 ? state(BUFFER, index) : null;
        for (int i = 0; i < p.length; i++) {
            float gi = wd != 0 ? g[i] + wd * p[i] : g[i];
            s[i] = s[i] * alpha + keep * gi * gi;
            float meanSquare = s[i];
            if (a != null) {
                a[i] = a[i] * alpha + keep * gi;
                meanSquare = s[i] - a[i] * a[i];
            }
            float d = (float) Math.sqrt(meanSquare) + eps;
            if (b != null) {
                b[i] = b[i] * momentum + gi / d;
                p[i] += step * b[i];
            } else {
                p[i] += step * gi / d;
            }
        }
    }
}
