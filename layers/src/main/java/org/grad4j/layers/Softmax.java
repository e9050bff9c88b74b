package org.grad4j.layers;

import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * Softmax along one dimension, PyTorch's {@code nn.Softmax(dim)}: {@code exp(x) / sum(exp(x))}
 * along {@code dim} ({@link Functional#softmax}, finite for any finite input). For training a
 * classifier, feed the logits to the cross-entropy instead: it includes the softmax stably. Any
 * shape; no parameters.
 */
public final class Softmax extends Module {
    private final int dim;

    /**
     * Softmax along {@code dim}.
     *
     * @param dim the dimension; negative counts from the end (PyTorch has no default worth
     *     relying on, so neither does this)
     */
    public Softmax(int dim) {
        this.dim = dim;
    }

    /**
     * The probabilities.
     *
     * @throws IllegalArgumentException if {@code dim} is out of range for {@code x}
     */
    @Override
    public Tensor forward(Tensor x) {
        return Functional.softmax(x, dim);
    }

    /** The dimension normalised. */
    public int dim() {
        return dim;
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}
