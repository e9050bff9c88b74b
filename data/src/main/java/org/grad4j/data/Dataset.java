package org.grad4j.data;

import org.grad4j.core.Shape;

/**
 * Samples held in memory that a {@link DataLoader} batches: features of one shape per sample and
 * a target per sample, either a class label ({@code int}) or a float tensor. The two kinds are
 * {@link ImageDataset} (images with labels, from files) and {@link TensorDataset} (any features
 * with labels or float targets, PyTorch's {@code TensorDataset}).
 */
public sealed interface Dataset permits ImageDataset, TensorDataset {
    /**
     * The number of samples.
     *
     * @return N
     */
    int size();

    /**
     * The shape of one sample's features.
     *
     * @return for example {@code [1, 28, 28]} for images, {@code [13]} for a row of a table
     */
    Shape sampleShape();

    /**
     * Copies the samples at {@code indices}, in that order, into a new batch.
     *
     * @param indices dataset indices, each in {@code [0, size())}
     * @return features {@code [B, ...sampleShape]} and the targets of those samples
     */
    Batch batch(int[] indices);

}
