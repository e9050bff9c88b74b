package org.grad4j.layers;

import java.util.Arrays;
import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;

/**
 * Layer normalisation (Ba, Kiros and Hinton 2016, arXiv:1607.06450), PyTorch's {@code nn.LayerNorm}:
 * each sample is normalised over its last dimensions, the {@code normalizedShape}, with the biased
 * variance, then scaled and shifted element-wise:
 * {@code y = (x - mean) / sqrt(var + eps) * weight + bias}.
 *
 * <p>The statistics are per sample, so training and evaluation compute the same thing and there is
 * no running state. Shapes: x {@code [*, normalizedShape]}, y the same; parameters {@code weight}
 * (ones) and {@code bias} (zeros) of shape {@code normalizedShape}, absent without
 * {@code elementwiseAffine}.
 */
public final class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final double eps;
    private final Tensor weight;
    private final Tensor bias;

    /** {@code LayerNorm(shape, 1e-5, true)}. */
    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5, true);
    }

    /** {@code LayerNorm(shape, eps, true)}. */
    public LayerNorm(int[] normalizedShape, double eps) {
        this(normalizedShape, eps, true);
    }

    /**
     * A layer normalising over the trailing dimensions {@code normalizedShape}.
     *
     * @throws IllegalArgumentException if the shape is empty or has a non-positive dimension, or
     *     {@code eps} is negative or not finite
     */
    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine) {
        if (normalizedShape.length == 0 || Arrays.stream(normalizedShape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("LayerNorm: normalized_shape must be non-empty with positive "
                    + "dimensions, got " + Arrays.toString(normalizedShape));
        }
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("LayerNorm: eps must be finite and non-negative, got " + eps);
        }
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine ? parameter("weight", Tensor.ones(normalizedShape)) : null;
        this.bias = elementwiseAffine ? parameter("bias", Tensor.zeros(normalizedShape)) : null;
    }

    /**
     * The normalised {@code x}.
     *
     * @throws IllegalArgumentException if {@code x} does not end in {@code normalizedShape}
     */
    @Override
    public Tensor forward(Tensor x) {
        int k = normalizedShape.length;
        boolean ok = x.rank() >= k;
        for (int i = 0; ok && i < k; i++) {
            ok = x.dim(x.rank() - k + i) == normalizedShape[i];
        }
        if (!ok) {
            throw new IllegalArgumentException("LayerNorm(" + Arrays.toString(normalizedShape) + "): input "
                    + x.shape() + " does not end in the normalized shape " + Arrays.toString(normalizedShape));
        }
        return Functional.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    /** The trailing dimensions normalised over (a copy). */
    public int[] normalizedShape() {
        return normalizedShape.clone();
    }

    /** Added to the variance inside the square root. */
    public double eps() {
        return eps;
    }

    /** The scale, a parameter, or {@code null} without elementwise affine. */
    public Tensor weight() {
        return weight;
    }

    /** The shift, a parameter, or {@code null} without elementwise affine. */
    public Tensor bias() {
        return bias;
    }

    @Override
    protected String extraRepr() {
        return Repr.tuple(normalizedShape) + ", eps=" + Repr.pyFloat(eps) + ", elementwise_affine="
                + Repr.bool(weight != null);
    }
}
