package org.grad4j.spark;

import java.io.Serializable;
import java.util.Objects;

/**
 * One training example as Spark stores it: the input's values in row-major order (an image
 * {@code [1, 28, 28]} as 784 floats) and its class index. The trainer is told the input shape, and
 * checks every example's length against it before the first step.
 *
 * @param features the input values; not copied, so do not change them once in an RDD
 * @param label the class index in {@code [0, classes)}
 */
public record Example(float[] features, int label) implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * @throws NullPointerException if {@code features} is null
     */
    public Example {
        Objects.requireNonNull(features, "Example: features is null");
    }
}
