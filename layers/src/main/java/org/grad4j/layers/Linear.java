package org.grad4j.layers;

import java.util.Random;
import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * A fully connected layer, PyTorch's {@code nn.Linear}: {@code y = x W^T + b}.
 *
 * <p>Shapes: x {@code [*, in]} (usually {@code [N, in]}), weight {@code [out, in]}, bias
 * {@code [out]}, y {@code [*, out]}. Parameters {@code weight} and {@code bias} (absent without
 * bias). Initialisation is PyTorch's default ({@link Init}): weight U(-1/sqrt(in), 1/sqrt(in)) by
 * kaiming-uniform with {@code a = sqrt(5)}, bias U(-1/sqrt(in), 1/sqrt(in)).
 */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Tensor weight;
    private final Tensor bias;

    /** {@code Linear(in, out, true)}. */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    /** A layer initialised from {@link Init#defaultRandom()}. */
    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Init.defaultRandom());
    }

    /**
     * A layer initialised from {@code rng} (weight first, then bias).
     *
     * @throws IllegalArgumentException if a size is not positive
     */
    public Linear(int inFeatures, int outFeatures, boolean bias, Random rng) {
        if (inFeatures < 1 || outFeatures < 1) {
            throw new IllegalArgumentException("Linear: in_features and out_features must be positive, got "
                    + inFeatures + " and " + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        Tensor w = Tensor.zeros(outFeatures, inFeatures);
        Tensor b = bias ? Tensor.zeros(outFeatures) : null;
        Init.defaultLinearInit(w, b, rng);
        this.weight = parameter("weight", w);
        this.bias = bias ? parameter("bias", b) : null;
    }

    /**
     * {@code x W^T + b} over the last dimension of {@code x}.
     *
     * @throws IllegalArgumentException like
     *     {@code Linear(in=7056, out=120): input [32, 256] has 256 features, expected 7056}
     */
    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() == 0) {
            throw new IllegalArgumentException(label() + ": input [] is a scalar, expected [N, " + inFeatures + "]");
        }
        if (x.dim(-1) != inFeatures) {
            throw new IllegalArgumentException(label() + ": input " + x.shape() + " has " + x.dim(-1)
                    + " features, expected " + inFeatures);
        }
        return Functional.linear(x, weight, bias);
    }

    private String label() {
        return "Linear(in=" + inFeatures + ", out=" + outFeatures + ")";
    }

    /** The weight {@code [out, in]}, a parameter. */
    public Tensor weight() {
        return weight;
    }

    /** The bias {@code [out]}, a parameter, or {@code null} for a layer without bias. */
    public Tensor bias() {
        return bias;
    }

    /** The number of input features. */
    public int inFeatures() {
        return inFeatures;
    }

    /** The number of output features. */
    public int outFeatures() {
        return outFeatures;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + Repr.bool(bias != null);
    }
}
