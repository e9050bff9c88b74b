package org.grad4j.data;

import org.grad4j.core.Shape;
import org.grad4j.core.Tensor;

/**
 * One batch from a {@link DataLoader}: the features of {@code B} samples and their targets, class
 * labels or float tensors as the dataset holds them, freshly copied out of the dataset (nothing
 * is reused between batches, so a batch may be kept).
 */
public final class Batch {
    /** The storage of {@link #features}, which the loader augments in place before handing the batch out. */
    private final float[] featureData;
    private final Tensor features;
    private final int[] labels;
    private final Tensor targets;

    private Batch(float[] featureData, int[] featureDims, int[] labels, Tensor targets) {
        this.featureData = featureData;
        this.features = Tensor.wrap(featureData, featureDims);
        this.labels = labels;
        this.targets = targets;
    }

    /** A batch of class labels; the features {@code [B, ...]} wrap {@code featureData}. */
    static Batch ofLabels(float[] featureData, int[] featureDims, int[] labels) {
        return new Batch(featureData, featureDims, labels, null);
    }

    /** A batch of float targets; the features {@code [B, ...]} wrap {@code featureData}. */
    static Batch ofTargets(float[] featureData, int[] featureDims, Tensor targets) {
        return new Batch(featureData, featureDims, null, targets);
    }

    /** The features' storage, shared with {@link #features()}. */
    float[] featureArray() {
        return featureData;
    }

    /**
     * The features.
     *
     * @return {@code [B, ...]}: {@code [B, C, H, W]} for images
     */
    public Tensor features() {
        return features;
    }

    /**
     * The images, the name image code reads best with: the same tensor as {@link #features()}.
     *
     * @return {@code [B, C, H, W]} for an {@link ImageDataset}
     */
    public Tensor images() {
        return features;
    }

    /**
     * Whether the targets are class labels ({@link #labels()}) rather than float tensors
     * ({@link #targets()}).
     *
     * @return true for labels
     */
    public boolean hasLabels() {
        return labels != null;
    }

    /**
     * The class labels, in the order of the samples.
     *
     * @return the batch's own array of {@code B} class indices (not shared with the dataset)
     * @throws IllegalStateException if the dataset's targets are float tensors
     */
    public int[] labels() {
        if (labels == null) {
            throw new IllegalStateException("batch: the targets are float tensors " + targets.shape()
                    + ", not class labels; use targets() (a regression loss) or a dataset with int labels");
        }
        return labels;
    }

    /**
     * The float targets, in the order of the samples.
     *
     * @return {@code [B, ...]}, the batch's own tensor
     * @throws IllegalStateException if the dataset's targets are class labels
     */
    public Tensor targets() {
        if (targets == null) {
            throw new IllegalStateException("batch: the targets are " + labels.length
                    + " class labels, not float tensors; use labels() (a classification loss) or a dataset with float targets");
        }
        return targets;
    }

    /**
     * The number of samples.
     *
     * @return B, the loader's batch size except maybe for the last batch of an epoch
     */
    public int size() {
        return features.dim(0);
    }

    /** The rows of {@code src}, each {@code rowLength} floats, at {@code indices}, in a new array. */
    static float[] gatherRows(float[] src, int rowLength, int[] indices) {
        float[] out = new float[indices.length * rowLength];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(src, indices[i] * rowLength, out, i * rowLength, rowLength);
        }
        return out;
    }

    /** {@code [b, ...sample]}. */
    static int[] batchDims(int b, Shape sample) {
        int[] dims = new int[sample.rank() + 1];
        dims[0] = b;
        System.arraycopy(sample.dims(), 0, dims, 1, sample.rank());
        return dims;
    }
}
