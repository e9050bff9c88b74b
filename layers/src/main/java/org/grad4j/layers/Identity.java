package org.grad4j.layers;

import org.grad4j.core.Tensor;

/**
 * Returns its input, PyTorch's {@code nn.Identity}: a placeholder where a layer is optional (a
 * residual block's shortcut when the shapes already match), so the code around it needs no
 * {@code if}. Any shape; no parameters; records nothing on the tape.
 */
public final class Identity extends Module {
    /** The identity. */
    public Identity() {
    }

    /** {@code x} itself (not a copy). */
    @Override
    public Tensor forward(Tensor x) {
        return x;
    }
}
