package org.grad4j.layers;

import org.grad4j.core.Tensor;

/**
 * {@code max(x, 0)} element-wise, PyTorch's {@code nn.ReLU} (never in place); the gradient at 0 is
 * 0. Any shape; no parameters.
 */
public final class ReLU extends Module {
    /** The activation. */
    public ReLU() {
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.relu();
    }
}
