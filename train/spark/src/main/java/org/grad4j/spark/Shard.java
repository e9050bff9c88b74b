package org.grad4j.spark;

import java.util.Arrays;
import java.util.List;

/** A partition's examples as one row-major feature array and a label array, checked. */
record Shard(float[] features, int[] labels) {

    /**
     * Packs {@code examples}.
     *
     * @throws IllegalArgumentException naming the partition and the first example whose length is
     *     not the product of {@code inputShape} or whose label is outside {@code [0, classes)}
     */
    static Shard of(List<Example> examples, int[] inputShape, int classes, int partition) {
        int length = product(inputShape);
        float[] features = new float[examples.size() * length];
        int[] labels = new int[examples.size()];
        for (int i = 0; i < labels.length; i++) {
            Example e = examples.get(i);
            if (e.features().length != length) {
                throw new IllegalArgumentException("SparkTrainer: example " + i + " of partition " + partition + " has "
                        + e.features().length + " features, expected " + length + " (input shape "
                        + Arrays.toString(inputShape) + ")");
            }
            if (e.label() < 0 || e.label() >= classes) {
                throw new IllegalArgumentException("SparkTrainer: example " + i + " of partition " + partition
                        + " has label " + e.label() + ", expected 0 to " + (classes - 1) + " (the model has "
                        + classes + " outputs)");
            }
            System.arraycopy(e.features(), 0, features, i * length, length);
            labels[i] = e.label();
        }
        return new Shard(features, labels);
    }

    static int product(int[] dims) {
        int n = 1;
        for (int d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
