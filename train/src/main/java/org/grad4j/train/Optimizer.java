package org.grad4j.train;

import java.util.List;
import java.util.Map;
import org.grad4j.core.Tensor;

/** Updates parameters from their gradients. Call {@link #step()} after the tape that computed them closed. */
public interface Optimizer {
    /** Applies one update to every parameter that has a gradient. */
    void step();

    /** Zeroes the gradients of all parameters (keeping their storage). */
    void zeroGrad();

    /** The current learning rate. */
    double learningRate();

    /**
     * Sets the learning rate used by the next steps (schedules call this between epochs).
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite
     */
    void setLearningRate(double lr);

    /** The parameters, in the order given at construction. */
    List<Tensor> parameters();

    /**
     * The optimizer's own state (for SGD the momentum buffers, {@code momentum_buffer.<index>}),
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
