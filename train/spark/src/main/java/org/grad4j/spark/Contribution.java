package org.grad4j.spark;

import java.io.Serializable;

/**
 * What one partition sends per step: its batch's gradient times the batch size (in double, so that
 * the sum divided by the global batch is the global batch's mean gradient), its summed loss,
 * its correct predictions and its batch size.
 */
record Contribution(int partition, double[] gradient, double lossSum, long correct, long count)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** {@code this + right}, elementwise, {@code this} being the lower partitions. */
    Contribution plus(Contribution right) {
        double[] g = gradient.clone();
        for (int i = 0; i < g.length; i++) {
            g[i] += right.gradient[i];
        }
        return new Contribution(partition, g, lossSum + right.lossSum, correct + right.correct, count + right.count);
    }
}
