package org.grad4j.layers;

import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * Average pooling to a fixed output size whatever the input size, PyTorch's
 * {@code nn.AdaptiveAvgPool2d} ({@link Functional#adaptiveAvgPool2d}): output row {@code i} averages
 * input rows {@code floor(i*H/outH)} to {@code ceil((i+1)*H/outH)} (exclusive), columns alike.
 * {@code new AdaptiveAvgPool2d(1)} is global average pooling, the head of ResNet.
 *
 * <p>Shapes: x {@code [N, C, H, W]} (any {@code H, W >= 1}), y {@code [N, C, outH, outW]}. No
 * parameters.
 */
public final class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;
    private final boolean square;

    /**
     * Pooling to {@code size x size}.
     *
     * @throws IllegalArgumentException if {@code size} is not positive
     */
    public AdaptiveAvgPool2d(int size) {
        this(size, size, true);
    }

    /**
     * Pooling to {@code outH x outW}.
     *
     * @throws IllegalArgumentException if a size is not positive
     */
    public AdaptiveAvgPool2d(int outH, int outW) {
        this(outH, outW, false);
    }

    private AdaptiveAvgPool2d(int outH, int outW, boolean square) {
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be positive, got "
                    + (square ? String.valueOf(outH) : "(" + outH + ", " + outW + ")"));
        }
        this.outH = outH;
        this.outW = outW;
        this.square = square;
    }

    /**
     * The pooled {@code x}.
     *
     * @throws IllegalArgumentException if {@code x} is not 4-D or has an empty plane
     */
    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(this + ": expected a 4-D input [N, C, H, W], got " + x.shape());
        }
        return Functional.adaptiveAvgPool2d(x, outH, outW);
    }

    /** The output height. */
    public int outH() {
        return outH;
    }

    /** The output width. */
    public int outW() {
        return outW;
    }

    @Override
    protected String extraRepr() {
        return "output_size=" + (square ? String.valueOf(outH) : "(" + outH + ", " + outW + ")");
    }
}
