package org.grad4j.train;

import java.util.List;
import java.util.Map;
import org.grad4j.core.Tensor;

/** Updates parameters from their gradients. Call {@link #step()} after the tape that computed them closed. */
public interface Optimizer {
    /**
     * Applies one update to every parameter that requires a gradient and has one. A parameter with
     * {@code requiresGrad(false)} (frozen) is left exactly as it is, its optimizer state too, even
     * if it still holds a gradient from before it was frozen.
     */
    void step();

    /** Zeroes the gradients of all parameters (keeping their storage). */
    void zeroGrad();

    /** The current learning rate (of the first {@link ParamGroup parameter group} when there are several). */
    double learningRate();

    /**
     * Sets the learning rate used by the next steps, of every parameter group.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    void setLearningRate(double lr);

    /** The current learning rate of each parameter group, in group order (one value without groups). */
    default double[] learningRates() {
        return new double[] {learningRate()};
    }

    /**
     * Sets each parameter group's learning rate, in group order: what a {@link LearningRateSchedule}
     * does between epochs or steps, from each group's base rate, as PyTorch's schedulers do.
     *
     * @throws IllegalArgumentException if the number of rates is not the number of groups, or a rate
     *     is negative or not finite
     */
    default void setLearningRates(double... lrs) {
        if (lrs.length != 1) {
            throw new IllegalArgumentException("optimizer: " + lrs.length + " learning rates given for 1 parameter group");
        }
        setLearningRate(lrs[0]);
    }

    /** The parameters, in the order given at construction. */
    List<Tensor> parameters();

    /**
     * The optimizer's own state as {@code <name>.<parameter index>} (for SGD the momentum buffers
     * {@code momentum_buffer.<index>}; for Adam {@code step}, {@code exp_avg}, {@code exp_avg_sq}),
     * for checkpoints. The tensors are the live state.
     */
    Map<String, Tensor> stateDict();

    /**
     * Restores state written by {@link #stateDict()}; keys not given stay as they are.
     *
     * @throws IllegalArgumentException naming every unknown key or wrong shape, in one message
     */
    void loadStateDict(Map<String, Tensor> state);
}
