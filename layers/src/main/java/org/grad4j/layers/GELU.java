package org.grad4j.layers;

import org.grad4j.core.Tensor;

/**
 * The Gaussian error linear unit, PyTorch's {@code nn.GELU(approximate=...)}: exact,
 * {@code x Phi(x)} with {@code Phi} the standard normal CDF ({@code "none"}, the default,
 * {@link Tensor#gelu()}), or its tanh approximation
 * {@code 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))} ({@code "tanh"}, {@link Tensor#geluTanh()}).
 * Any shape; no parameters.
 */
public final class GELU extends Module {
    private final String approximate;

    /** The exact GELU, {@code approximate='none'}. */
    public GELU() {
        this("none");
    }

    /**
     * The GELU with PyTorch's {@code approximate} argument.
     *
     * @param approximate {@code "none"} (exact) or {@code "tanh"}
     * @throws IllegalArgumentException for another value
     *     ({@code GELU: approximate 'erf' (expected 'none' or 'tanh')})
     */
    public GELU(String approximate) {
        if (!"none".equals(approximate) && !"tanh".equals(approximate)) {
            throw new IllegalArgumentException("GELU: approximate " + (approximate == null ? "null" : "'" + approximate
                    + "'") + " (expected 'none' or 'tanh')");
        }
        this.approximate = approximate;
    }

    @Override
    public Tensor forward(Tensor x) {
        return approximate.equals("tanh") ? x.geluTanh() : x.gelu();
    }

    /** {@code "none"} or {@code "tanh"}. */
    public String approximate() {
        return approximate;
    }

    @Override
    protected String extraRepr() {
        return "approximate='" + approximate + "'";
    }
}
