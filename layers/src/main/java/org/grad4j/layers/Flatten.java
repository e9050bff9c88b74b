package org.grad4j.layers;

import org.grad4j.core.Tensor;

/**
 * Merges dimensions {@code startDim..endDim} into one, PyTorch's {@code nn.Flatten}: with the
 * defaults, {@code [N, C, H, W] -> [N, C*H*W]}. A view (no copy); no parameters. Negative
 * dimensions count from the end.
 */
public final class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    /** {@code Flatten(1, -1)}: keeps the batch dimension. */
    public Flatten() {
        this(1, -1);
    }

    /** Flattens dimensions {@code startDim} to {@code endDim}, both included. */
    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    /**
     * The flattened view of {@code x}.
     *
     * @throws IllegalArgumentException if a dimension is out of range for {@code x} or
     *     {@code startDim} comes after {@code endDim}
     */
    @Override
    public Tensor forward(Tensor x) {
        int r = x.rank();
        int s = startDim < 0 ? startDim + r : startDim;
        int e = endDim < 0 ? endDim + r : endDim;
        if (s < 0 || s >= r || e < 0 || e >= r || s > e) {
            throw new IllegalArgumentException("Flatten(start_dim=" + startDim + ", end_dim=" + endDim + "): input "
                    + x.shape() + " has " + r + " dimensions, expected dimensions " + startDim + " to " + endDim
                    + " to exist in this order");
        }
        int[] dims = x.shape().dims();
        int[] out = new int[r - (e - s)];
        int k = 0;
        for (int d = 0; d < r; d++) {
            if (d <= s || d > e) {
                out[k++] = dims[d];
            } else {
                out[k - 1] *= dims[d];
            }
        }
        return x.reshape(out);
    }

    /** The first dimension merged. */
    public int startDim() {
        return startDim;
    }

    /** The last dimension merged. */
    public int endDim() {
        return endDim;
    }

    @Override
    protected String extraRepr() {
        return "start_dim=" + startDim + ", end_dim=" + endDim;
    }
}
