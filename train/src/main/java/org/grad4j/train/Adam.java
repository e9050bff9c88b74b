package org.grad4j.train;

import java.util.List;
import org.grad4j.core.Tensor;

/**
 * Adam with PyTorch's semantics ({@code torch.optim.Adam}, Kingma and Ba, 2015). For each
 * parameter {@code p} with gradient {@code g}, at step {@code t} (counted per parameter from 1):
 *
 * <pre>
 * g = g + weightDecay * p                          (L2, if weightDecay != 0; see {@link AdamW} for decoupled)
 * m = beta1 * m + (1 - beta1) * g                  (exp_avg, starts at 0)
 * v = beta2 * v + (1 - beta2) * g * g              (exp_avg_sq, starts at 0)
 * vMax = max(vMax, v)                              (max_exp_avg_sq, if amsgrad; then v = vMax below)
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 *
 * <pre>{@code
 * Adam adam = new Adam(net.parameters(), 1e-3);
 * Adam tuned = new Adam(net.parameters(), Adam.options(3e-4).betas(0.9, 0.98).eps(1e-6).amsgrad(true));
 * }</pre>
 *
 * Parameters without a gradient, or frozen ({@code requiresGrad(false)}), are skipped (their
 * step count does not advance). State:
 * {@code step.<index>} (a float32 scalar, as PyTorch's; exact up to 2^24 steps), {@code exp_avg.<index>},
 * {@code exp_avg_sq.<index>}, {@code max_exp_avg_sq.<index>} (with amsgrad).
 */
public final class Adam extends GroupedOptimizer<Adam.Options> {
    private static final String NAME = "Adam";
    static final String STEP = "step";
    static final String EXP_AVG = "exp_avg";
    static final String EXP_AVG_SQ = "exp_avg_sq";
    static final String MAX_EXP_AVG_SQ = "max_exp_avg_sq";

    /**
     * The options of {@link Adam} and {@link AdamW}, immutable: each method returns a copy with one
     * option changed, so shared options can be varied per {@link ParamGroup}. Defaults are
     * PyTorch's: betas (0.9, 0.999), eps 1e-8, no amsgrad; weight decay 0 for Adam and 0.01 for
     * AdamW.
     */
    public static final class Options {
        private final String owner;
        private final double lr;
        private final double beta1;
        private final double beta2;
        private final double eps;
        private final double weightDecay;
        private final boolean amsgrad;

        Options(String owner, double lr, double beta1, double beta2, double eps, double weightDecay,
                boolean amsgrad) {
            this.owner = owner;
            this.lr = lr;
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.weightDecay = weightDecay;
            this.amsgrad = amsgrad;
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
            return new Options(owner, nonNegative(owner, "learning rate", lr), beta1, beta2, eps, weightDecay, amsgrad);
        }

        /**
         * With the decay rates of the first and second moment estimates.
         *
         * @throws IllegalArgumentException naming {@code beta1} or {@code beta2} if it is outside [0, 1)
         */
        public Options betas(double beta1, double beta2) {
            return new Options(owner, lr, decayRate(owner, "beta1", beta1), decayRate(owner, "beta2", beta2), eps,
                    weightDecay, amsgrad);
        }

        /**
         * With {@code eps}, added to the denominator for numerical stability.
         *
         * @throws IllegalArgumentException if it is negative or not finite
         */
        public Options eps(double eps) {
            return new Options(owner, lr, beta1, beta2, nonNegative(owner, "eps", eps), weightDecay, amsgrad);
        }

        /** The weight decay. */
        public double weightDecay() {
            return weightDecay;
        }

        /**
         * With weight decay {@code weightDecay}: L2 (added to the gradient) for {@link Adam},
         * decoupled ({@code p *= 1 - lr * weightDecay}) for {@link AdamW}.
         *
         * @throws IllegalArgumentException if it is negative or not finite
         */
        public Options weightDecay(double weightDecay) {
            return new Options(owner, lr, beta1, beta2, eps, nonNegative(owner, "weight decay", weightDecay), amsgrad);
        }

        /** With or without AMSGrad (the running maximum of the second moment in the denominator). */
        public Options amsgrad(boolean amsgrad) {
            return new Options(owner, lr, beta1, beta2, eps, weightDecay, amsgrad);
        }

        /** {@code lr=0.001, betas=(0.9, 0.999), eps=1.0E-8, weight_decay=0.0, amsgrad=false}: PyTorch's names. */
        @Override
        public String toString() {
            return "lr=" + lr + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps + ", weight_decay="
                    + weightDecay + ", amsgrad=" + amsgrad;
        }
    }

    /**
     * Options with learning rate {@code lr} and PyTorch's defaults for the rest (no weight decay).
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    public static Options options(double lr) {
        return new Options(NAME, 0, 0.9, 0.999, 1e-8, 0, false).lr(lr);
    }

    /**
     * Adam with learning rate {@code lr} and PyTorch's defaults.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, or a parameter is listed twice
     */
    public Adam(List<Tensor> params, double lr) {
        this(params, options(lr));
    }

    /**
     * Adam over {@code params} with {@code options}.
     *
     * @throws IllegalArgumentException if a parameter is listed twice
     */
    public Adam(List<Tensor> params, Options options) {
        this(List.of(ParamGroup.of(params, options)));
    }

    /**
     * Adam over parameter groups, each with its own options.
     *
     * @throws IllegalArgumentException if there are no groups or a parameter is in two groups
     */
    public Adam(List<ParamGroup<Options>> groups) {
        super(NAME, groups, STEP, EXP_AVG, EXP_AVG_SQ, MAX_EXP_AVG_SQ);
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
        step(this, index, p, g, o);
    }

    /**
     * The moment updates and the parameter step shared by Adam and AdamW (after weight decay),
     * rounded as PyTorch's float32 ops are: each factor is a float, each operation one rounding.
     */
    static void step(GroupedOptimizer<Options> opt, int index, float[] p, float[] g, Options o) {
        float[] step = opt.state(STEP, index);
        float[] m = opt.state(EXP_AVG, index);
        float[] v = opt.state(EXP_AVG_SQ, index);
        float[] vMax = o.amsgrad ? opt.state(MAX_EXP_AVG_SQ, index) : null;
        double t = ++step[0];
        float b1 = (float) o.beta1;
        float b2 = (float) o.beta2;
        float a1 = (float) (1 - o.beta1);
        float a2 = (float) (1 - o.beta2);
        float stepSize = (float) -(o.lr / (1 - Math.pow(o.beta1, t)));
        float correction2 = (float) Math.sqrt(1 - Math.pow(o.beta2, t));
        float eps = (float) o.eps;
        for (int i = 0; i < p.length; i++) {
            m[i] = m[i] * b1 + a1 * g[i];
            v[i] = v[i] * b2 + a2 * g[i] * g[i];
            float second = v[i];
            if (vMax != null) {
                second = vMax[i] = Math.max(vMax[i], v[i]);
            }
            float denom = (float) Math.sqrt(second) / correction2 + eps;
            p[i] += stepSize * m[i] / denom;
        }
    }
}
