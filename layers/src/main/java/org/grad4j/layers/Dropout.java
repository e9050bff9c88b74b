package org.grad4j.layers;

import java.util.Objects;
import java.util.Random;
import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * Dropout, PyTorch's {@code nn.Dropout} (inverted dropout): in training mode each element is zeroed
 * with probability {@code p} and the others are scaled by {@code 1/(1-p)}, so the expected value is
 * unchanged; in evaluation mode (or with {@code p = 0}) the input passes through unchanged. The mode
 * is the module's {@linkplain #train() training flag}; grad mode plays no part. Any shape; no
 * parameters.
 *
 * <p>The masks come from this layer's own {@link Random}: given by the caller, or seeded from
 * {@link Init#defaultRandom()} when the layer is built. Replace it with {@link #setRandom(Random)}
 * to replay a run.
 */
public final class Dropout extends Module {
    private final double p;
    private Random rng;

    /** {@code Dropout(0.5)}, PyTorch's default. */
    public Dropout() {
        this(0.5);
    }

    /** Dropout with probability {@code p}, its generator seeded from {@link Init#defaultRandom()}. */
    public Dropout(double p) {
        this(p, new Random(Init.defaultRandom().nextLong()));
    }

    /**
     * Dropout with probability {@code p}, drawing masks from {@code rng}.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1]}
     * @throws NullPointerException if {@code rng} is null
     */
    public Dropout(double p, Random rng) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("Dropout: p must be between 0 and 1, got " + p);
        }
        this.p = p;
        this.rng = Objects.requireNonNull(rng, "rng");
    }

    /** In training mode, {@code x} with dropped and rescaled elements; in evaluation mode, {@code x} itself. */
    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) {
            return x;
        }
        return Functional.dropout(x, p, rng);
    }

    /** The probability of zeroing an element. */
    public double p() {
        return p;
    }

    /** Replaces the generator the masks are drawn from. */
    public void setRandom(Random rng) {
        this.rng = Objects.requireNonNull(rng, "rng");
    }

    @Override
    protected String extraRepr() {
        return "p=" + Repr.pyFloat(p) + ", inplace=False";
    }
}
