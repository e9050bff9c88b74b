package org.grad4j.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.grad4j.core.Tensor;

/**
 * Parameters optimized with their own options: one entry of PyTorch's {@code param_groups}. Every
 * optimizer takes a list of groups; the options of a group are derived from shared ones in plain
 * sight, e.g. no weight decay on the second group:
 *
 * <pre>{@code
 * Adam.Options base = AdamW.options(1e-3);
 * AdamW adamw = new AdamW(List.of(
 *         ParamGroup.of(weights, base),
 *         ParamGroup.of(biases, base.weightDecay(0))));
 * }</pre>
 *
 * @param params the parameters (copied), each in no other group of the same optimizer
 * @param options the options of the optimizer class that takes the group
 * @param <O> the optimizer's options type ({@link SGD.Options}, {@link Adam.Options}, {@link RMSprop.Options})
 */
public record ParamGroup<O>(List<Tensor> params, O options) {
    /** @throws NullPointerException if {@code params}, one of them or {@code options} is null */
    public ParamGroup {
        params = List.copyOf(params);
        Objects.requireNonNull(options, "options");
    }

    /** A group of {@code params} with {@code options}. */
    public static <O> ParamGroup<O> of(List<Tensor> params, O options) {
        return new ParamGroup<>(params, options);
    }

    /**
     * The usual split for weight decay: parameters of rank 2 or more (linear and convolution
     * weights) get {@code decayed}; parameters of rank 0 or 1 (biases, and the scale and shift of
     * batch and layer normalisation) get {@code undecayed}. Order is kept within each group; a group
     * that would be empty is left out.
     *
     * <pre>{@code
     * SGD.Options options = SGD.options(0.1).momentum(0.9).weightDecay(5e-4);
     * SGD sgd = new SGD(ParamGroup.splitWeightDecay(net.parameters(), options, options.weightDecay(0)));
     * }</pre>
     */
    public static <O> List<ParamGroup<O>> splitWeightDecay(List<Tensor> params, O decayed, O undecayed) {
        List<Tensor> weights = new ArrayList<>();
        List<Tensor> others = new ArrayList<>();
        for (Tensor p : params) {
            (p.rank() >= 2 ? weights : others).add(p);
        }
        List<ParamGroup<O>> groups = new ArrayList<>();
        if (!weights.isEmpty()) {
            groups.add(of(weights, decayed));
        }
        if (!others.isEmpty()) {
            groups.add(of(others, undecayed));
        }
        return groups;
    }
}
