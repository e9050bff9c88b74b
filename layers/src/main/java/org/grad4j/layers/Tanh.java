package org.grad4j.layers;

import org.grad4j.core.Tensor;

/** {@code tanh(x)} element-wise, PyTorch's {@code nn.Tanh}; gradient {@code 1 - tanh^2}. Any shape; no parameters. */
public final class Tanh extends Module {
    /** The activation. */
    public Tanh() {
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.tanh();
    }
}
