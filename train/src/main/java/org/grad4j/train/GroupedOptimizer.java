package org.grad4j.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Shape;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * The bookkeeping every optimizer shares: parameter groups with their options and current learning
 * rates, per-parameter state slots (PyTorch's {@code exp_avg}, {@code momentum_buffer}, ...) kept as
 * float arrays, the state dict and the step loop. Subclasses hold only the update formula.
 *
 * @param <O> the options type; its learning rate is read and replaced through {@link #lr} and {@link #withLr}
 */
abstract class GroupedOptimizer<O> implements Optimizer {
    private final String name;
    private final List<Tensor> params;
    /** The current options of each group; a schedule replaces their learning rate. */
    private final List<O> groups;
    private final int[] groupOf;
    private final Map<String, float[][]> slots = new LinkedHashMap<>();

    /**
     * @param name the optimizer's name, the prefix of its messages
     * @param slotNames the names of the per-parameter state, in state-dict order
     * @throws IllegalArgumentException if there are no groups, a group's options are invalid, or a
     *     parameter is in two groups (or twice in one)
     */
    GroupedOptimizer(String name, List<ParamGroup<O>> groups, String... slotNames) {
        this.name = name;
        if (groups.isEmpty()) {
            throw new IllegalArgumentException(name + ": no parameter groups (expected at least one)");
        }
        List<Tensor> all = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        Map<Tensor, int[]> seen = new IdentityHashMap<>();
        this.groups = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup<O> group = groups.get(g);
            try {
                check(group.options());
            } catch (IllegalArgumentException e) {
                throw groups.size() == 1 ? e : new IllegalArgumentException(e.getMessage() + " in group " + g, e);
            }
            for (int i = 0; i < group.params().size(); i++) {
                Tensor p = group.params().get(i);
                int[] first = seen.putIfAbsent(p, new int[] {g, i});
                if (first != null) {
                    throw new IllegalArgumentException(groups.size() == 1
                            ? name + ": parameter " + i + " appears more than once"
                            : name + ": parameter " + i + " of group " + g + " is also parameter " + first[1]
                                    + " of group " + first[0]);
                }
                all.add(p);
                owner.add(g);
            }
            this.groups.add(group.options());
        }
        this.params = List.copyOf(all);
        this.groupOf = owner.stream().mapToInt(Integer::intValue).toArray();
        for (String slot : slotNames) {
            slots.put(slot, new float[params.size()][]);
        }
    }

    /**
     * Checks the options that are valid one by one but not together (each option is checked where it is set).
     *
     * @throws IllegalArgumentException naming the options
     */
    void check(O options) {
    }

    /** The learning rate held in {@code options}. */
    abstract double lr(O options);

    /**
     * {@code options} with learning rate {@code lr}.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    abstract O withLr(O options, double lr);

    /**
     * Updates parameter {@code index} in place from its gradient.
     *
     * @param p the parameter's values, written back after the call
     * @param g the gradient's values (a copy: may be changed)
     */
    abstract void update(int index, float[] p, float[] g, O options);

    /**
     * Updates every parameter that {@linkplain Tensor#requiresGrad() requires a gradient} and has
     * one. A frozen parameter ({@code requiresGrad(false)}) is skipped even if it kept a gradient
     * from before it was frozen: its values and its state slots stay as they are (no weight decay,
     * no momentum, no step count), so unfreezing it continues from that state.
     */
    @Override
    public final void step() {
        try (Tape.NoGrad off = Tape.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (p.requiresGrad() && p.grad() != null) {
                    float[] values = p.toArray();
                    update(i, values, p.grad().toArray(), groups.get(groupOf[i]));
                    p.copyFrom(view(values, p.shape()));
                }
            }
        }
    }

    /** The state array {@code slot} of parameter {@code index}, created as zeros on first use. */
    final float[] state(String slot, int index) {
        float[][] s = slots.get(slot);
        if (s[index] == null) {
            s[index] = new float[slotShape(slot, index).size()];
        }
        return s[index];
    }

    /** A tensor of shape {@code shape} sharing {@code values} (scalars included, which {@code wrap} alone cannot give). */
    private static Tensor view(float[] values, Shape shape) {
        return Tensor.wrap(values).reshape(shape.dims());
    }

    /** Whether parameter {@code index} has no state yet (it has not been stepped). */
    final boolean fresh(String slot, int index) {
        return slots.get(slot)[index] == null;
    }

    /** The step counters ({@code step} slots) are scalars, like PyTorch's; the rest have the parameter's shape. */
    private Shape slotShape(String slot, int index) {
        return slot.equals("step") ? Shape.SCALAR : params.get(index).shape();
    }

    @Override
    public final void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    /** The learning rate of the first group. */
    @Override
    public final double learningRate() {
        return lr(groups.get(0));
    }

    /** Sets the learning rate of every group to {@code lr}. */
    @Override
    public final void setLearningRate(double lr) {
        double[] all = new double[groups.size()];
        Arrays.fill(all, lr);
        setLearningRates(all);
    }

    @Override
    public final double[] learningRates() {
        return groups.stream().mapToDouble(this::lr).toArray();
    }

    @Override
    public final void setLearningRates(double... lrs) {
        if (lrs.length != groups.size()) {
            throw new IllegalArgumentException(name + ": " + lrs.length + " learning rates given for "
                    + groups.size() + " parameter groups");
        }
        List<O> updated = new ArrayList<>();
        for (int g = 0; g < lrs.length; g++) {
            updated.add(withLr(groups.get(g), lrs[g]));
        }
        for (int g = 0; g < lrs.length; g++) {
            groups.set(g, updated.get(g));
        }
    }

    @Override
    public final List<Tensor> parameters() {
        return params;
    }

    /**
     * The state created so far, as {@code <slot>.<parameter index>} (e.g. {@code exp_avg.3}), the
     * parameters counted across groups in order. The tensors share the live state.
     */
    @Override
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, float[][]> e : slots.entrySet()) {
            float[][] s = e.getValue();
            for (int i = 0; i < s.length; i++) {
                if (s[i] != null) {
                    out.put(e.getKey() + "." + i, view(s[i], slotShape(e.getKey(), i)));
                }
            }
        }
        return out;
    }

    /** Restores state written by {@link #stateDict()} (copies are kept); keys not given stay as they are. */
    @Override
    public final void loadStateDict(Map<String, Tensor> state) {
        List<String> problems = new ArrayList<>();
        Map<String, float[]> loaded = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            int dot = key.lastIndexOf('.');
            int index = -1;
            if (dot > 0 && slots.containsKey(key.substring(0, dot))) {
                try {
                    index = Integer.parseInt(key.substring(dot + 1));
                } catch (NumberFormatException ignored) {
                    index = -1;
                }
            }
            if (index < 0 || index >= params.size()) {
                problems.add("unexpected key '" + key + "'");
                continue;
            }
            Shape expected = slotShape(key.substring(0, dot), index);
            if (!e.getValue().shape().equals(expected)) {
                problems.add("'" + key + "' has shape " + e.getValue().shape() + ", expected " + expected);
            } else {
                loaded.put(key, e.getValue().toArray());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(name + ": cannot load state: " + String.join("; ", problems));
        }
        for (Map.Entry<String, float[]> e : loaded.entrySet()) {
            int dot = e.getKey().lastIndexOf('.');
            slots.get(e.getKey().substring(0, dot))[Integer.parseInt(e.getKey().substring(dot + 1))] = e.getValue();
        }
    }

    /**
     * {@code value} if it is finite and {@code >= 0}.
     *
     * @throws IllegalArgumentException {@code <optimizer>: invalid <option> <value> (expected >= 0)}
     */
    static double nonNegative(String optimizer, String option, double value) {
        if (!(value >= 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(optimizer + ": invalid " + option + " " + value + " (expected >= 0)");
        }
        return value;
    }

    /**
     * {@code value} if it is in [0, 1) (a decay rate such as Adam's betas or RMSprop's alpha).
     *
     * @throws IllegalArgumentException {@code <optimizer>: invalid <option> <value> (expected 0 <= <option> < 1)}
     */
    static double decayRate(String optimizer, String option, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(optimizer + ": invalid " + option + " " + value + " (expected 0 <= "
                    + option + " < 1)");
        }
        return value;
    }

    /** The name and options, e.g. {@code SGD(lr=1.0, momentum=0.0, ...)}; one {@code [...]} per group when there are several. */
    @Override
    public final String toString() {
        if (groups.size() == 1) {
            return name + "(" + groups.get(0) + ")";
        }
        List<String> parts = new ArrayList<>();
        for (O o : groups) {
            parts.add("[" + o + "]");
        }
        return name + "(" + String.join(", ", parts) + ")";
    }
}
