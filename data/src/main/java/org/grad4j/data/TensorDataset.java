package org.grad4j.data;

import java.util.Arrays;
import java.util.Objects;
import org.grad4j.core.Shape;
import org.grad4j.core.Tensor;

/**
 * Samples given as tensors, PyTorch's {@code TensorDataset}: float features {@code [N, ...]} and
 * per sample either a class label ({@code int[N]}, for classification) or a float target
 * ({@code [N, ...]}, for regression: {@code [N]}, {@code [N, 1]}, {@code [N, K]}, ...). Sample
 * {@code i} is row {@code i} of each. The dataset holds copies, so it is immutable.
 *
 * <pre>{@code
 * TensorDataset data = TensorDataset.of(x, y);        // x [1000, 8], y [1000, 1]
 * DataLoader loader = new DataLoader(data, 50).withShuffle(345);
 * // each batch: features() [50, 8], targets() [50, 1]
 * }</pre>
 */
public final class TensorDataset implements Dataset {
    private final float[] features;
    private final Shape sampleShape;
    private final int size;
    private final int[] labels;
    private final float[] targets;
    private final Shape targetShape;

    private TensorDataset(float[] features, Shape sampleShape, int size, int[] labels, float[] targets,
                          Shape targetShape) {
        this.features = features;
        this.sampleShape = sampleShape;
        this.size = size;
        this.labels = labels;
        this.targets = targets;
        this.targetShape = targetShape;
    }

    /**
     * A classification dataset: copies of the features and the labels.
     *
     * @param features {@code [N, ...]}, at least 1-D
     * @param labels {@code N} class indices, each at least 0
     * @return the dataset
     * @throws IllegalArgumentException if the features are a scalar, the label count is not
     *     {@code N} ({@code TensorDataset: 9 labels do not match features [10, 3] (expected 10)}), or
     *     a label is negative
     */
    public static TensorDataset of(Tensor features, int[] labels) {
        Objects.requireNonNull(features, "TensorDataset: features");
        Objects.requireNonNull(labels, "TensorDataset: labels");
        int n = rows(features);
        if (labels.length != n) {
            throw new IllegalArgumentException("TensorDataset: " + labels.length + " labels do not match features "
                    + features.shape() + " (expected " + n + ")");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("TensorDataset: labels[" + i + "] = " + labels[i]
                        + " (expected a class index >= 0)");
            }
        }
        return new TensorDataset(features.toArray(), sample(features), n, labels.clone(), null, null);
    }

    /**
     * A regression dataset: copies of the features and the float targets.
     *
     * @param features {@code [N, ...]}, at least 1-D
     * @param targets {@code [N, ...]}, at least 1-D, with the same {@code N}
     * @return the dataset
     * @throws IllegalArgumentException if either is a scalar or their first dimensions differ
     *     ({@code TensorDataset: targets [9, 1] do not match features [10, 3] (expected [10, ...])})
     */
    public static TensorDataset of(Tensor features, Tensor targets) {
        Objects.requireNonNull(features, "TensorDataset: features");
        Objects.requireNonNull(targets, "TensorDataset: targets");
        int n = rows(features);
        if (targets.shape().rank() == 0 || targets.shape().dim(0) != n) {
            throw new IllegalArgumentException("TensorDataset: targets " + targets.shape() + " do not match features "
                    + features.shape() + " (expected [" + n + ", ...])");
        }
        return new TensorDataset(features.toArray(), sample(features), n, null, targets.toArray(), sample(targets));
    }

    private static int rows(Tensor features) {
        if (features.shape().rank() == 0) {
            throw new IllegalArgumentException("TensorDataset: features are a scalar (expected [N, ...])");
        }
        return features.shape().dim(0);
    }

    private static Shape sample(Tensor t) {
        int[] dims = t.shape().dims();
        return Shape.of(Arrays.copyOfRange(dims, 1, dims.length));
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Shape sampleShape() {
        return sampleShape;
    }

    /**
     * Whether the targets are class labels.
     *
     * @return true when made from {@code int[]} labels, false for float targets
     */
    public boolean hasLabels() {
        return labels != null;
    }

    /**
     * The shape of one sample's target.
     *
     * @return {@code []} for labels or targets {@code [N]}, else the target's shape after {@code N}
     */
    public Shape targetShape() {
        return labels != null ? Shape.SCALAR : targetShape;
    }

    @Override
    public Batch batch(int[] indices) {
        for (int index : indices) {
            Objects.checkIndex(index, size);
        }
        float[] x = Batch.gatherRows(features, sampleShape.size(), indices);
        int[] dims = Batch.batchDims(indices.length, sampleShape);
        if (labels != null) {
            int[] l = new int[indices.length];
            for (int i = 0; i < l.length; i++) {
                l[i] = labels[indices[i]];
            }
            return Batch.ofLabels(x, dims, l);
        }
        return Batch.ofTargets(x, dims, Tensor.wrap(Batch.gatherRows(targets, targetShape.size(), indices),
                Batch.batchDims(indices.length, targetShape)));
    }

    /**
     * A short description.
     *
     * @return for example {@code TensorDataset[1000 samples, features [8], targets [1]]} or
     *     {@code TensorDataset[1000 samples, features [8], labels]}
     */
    @Override
    public String toString() {
        return "TensorDataset[" + size + " samples, features " + sampleShape + ", "
                + (labels != null ? "labels" : "targets " + targetShape) + "]";
    }
}
