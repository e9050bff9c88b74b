package org.grad4j.layers;

import org.grad4j.core.Tensor;

/** {@code 1 / (1 + e^-x)} element-wise, PyTorch's {@code nn.Sigmoid}. Any shape; no parameters. */
public final class Sigmoid extends Module {
    /** The activation. */
    public Sigmoid() {
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.sigmoid();
    }
}
