package org.grad4j.train;

import java.util.List;
import org.grad4j.core.Tensor;

/**
 * Adam with decoupled weight decay, PyTorch's {@code torch.optim.AdamW} (Loshchilov and Hutter,
 * 2019): the parameter shrinks before the Adam step instead of the decay entering the gradient,
 * so the adaptive denominator does not weaken it. For each parameter with gradient {@code g}:
 *
 * <pre>
 * p = p * (1 - lr * weightDecay)
 * then Adam's moment updates and step with g as given (see {@link Adam})
 * </pre>
 *
 * <pre>{@code
 * AdamW adamw = new AdamW(net.parameters(), 1e-3);                      // weight decay 0.01
 * AdamW tuned = new AdamW(net.parameters(), AdamW.options(1e-3).weightDecay(0.05));
 * }</pre>
 *
 * It takes {@link Adam.Options}; {@link #options(double)} has AdamW's default weight decay of 0.01.
 * Frozen parameters are skipped, as in Adam. State: as {@link Adam}'s.
 */
public final class AdamW extends GroupedOptimizer<Adam.Options> {
    private static final String NAME = "AdamW";

    /**
     * Options with learning rate {@code lr} and PyTorch's AdamW defaults: betas (0.9, 0.999), eps
     * 1e-8, weight decay 0.01, no amsgrad.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    public static Adam.Options options(double lr) {
        return new Adam.Options(NAME, 0, 0.9, 0.999, 1e-8, 0.01, false).lr(lr);
    }

    /**
     * AdamW with learning rate {@code lr} and PyTorch's defaults (weight decay 0.01).
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, or a parameter is listed twice
     */
    public AdamW(List<Tensor> params, double lr) {
        this(params, options(lr));
    }

    /**
     * AdamW over {@code params} with {@code options}.
     *
     * @throws IllegalArgumentException if a parameter is listed twice
     */
    public AdamW(List<Tensor> params, Adam.Options options) {
        this(List.of(ParamGroup.of(params, options)));
    }

    /**
     * AdamW over parameter groups, each with its own options.
     *
     * @throws IllegalArgumentException if there are no groups or a parameter is in two groups
     */
    public AdamW(List<ParamGroup<Adam.Options>> groups) {
        super(NAME, groups, Adam.STEP, Adam.EXP_AVG, Adam.EXP_AVG_SQ, Adam.MAX_EXP_AVG_SQ);
    }

    @Override
    double lr(Adam.Options o) {
        return o.lr();
    }

    @Override
    Adam.Options withLr(Adam.Options o, double lr) {
        return o.lr(lr);
    }

    @Override
    void update(int index, float[] p, float[] g, Adam.Options o) {
        float shrink = (float) (1 - o.lr() * o.weightDecay());
        for (int i = 0; i < p.length; i++) {
            p[i] *= shrink;
        }
        Adam.step(this, index, p, g, o);
    }
}
