package org.grad4j.data;

import org.grad4j.core.Tensor;

/**
 * One batch from a {@link DataLoader}: {@code B} images and their labels, freshly copied out of
 * the dataset (nothing is reused between batches, so a batch may be kept).
 */
public final class Batch {
    private final Tensor images;
    private final int[] labels;

    Batch(Tensor images, int[] labels) {
        this.images = images;
        this.labels = labels;
    }

    /**
     * The images.
     *
     * @return {@code [B, C, H, W]}
     */
    public Tensor images() {
        return images;
    }

    /**
     * The labels, in the order of the images.
     *
     * @return the batch's own array of {@code B} class indices (not shared with the dataset)
     */
    public int[] labels() {
        return labels;
    }

    /**
     * The number of images.
     *
     * @return B, the loader's batch size except maybe for the last batch of an epoch
     */
    public int size() {
        return labels.length;
    }
}
