package org.grad4j.train;

import org.grad4j.core.Tensor;
import org.grad4j.data.Batch;

/**
 * What the {@link Trainer} reports beside the loss, for training batches and the test set: a
 * named mean, accumulated over an epoch as {@code sum of totals / sum of counts} so that batches
 * of any size weigh by what they hold. Measured in the Trainer's grad mode and module mode, from
 * the output the step computed; it must not change the output.
 *
 * <pre>{@code
 * trainer.withLoss(Loss.mse()).withMetric(Metric.meanSquaredError());
 * }</pre>
 */
public interface Metric {
    /**
     * The name in reports: {@code "accuracy"} (reported as {@code acc}, as before), {@code "mse"}, ...
     *
     * @return lower case letters, digits and underscores, starting with a letter (metrics files
     *     and console lines use it)
     */
    String name();

    /**
     * One batch's contribution.
     *
     * @param output the model's output for the batch
     * @param batch the batch
     * @return the batch's total and the number of items it counts
     */
    Sum measure(Tensor output, Batch batch);

    /**
     * A batch's contribution to a metric.
     *
     * @param total the sum over the batch (e.g. the number classified correctly)
     * @param count what the total is divided by (e.g. the number of samples)
     */
    record Sum(double total, long count) {
    }

    /**
     * The fraction of samples whose output row {@code [B, C]} has its maximum at the label
     * (first maximum on ties): the Trainer's default.
     *
     * @return the metric, named {@code "accuracy"}
     */
    static Metric accuracy() {
        return of("accuracy", (output, batch) -> {
            int[] labels = batch.labels();
            int[] predicted = output.argmax(1);
            long correct = 0;
            for (int i = 0; i < labels.length; i++) {
                if (predicted[i] == labels[i]) {
                    correct++;
                }
            }
            return new Sum(correct, labels.length);
        });
    }

    /**
     * The mean squared error over all target elements, {@code sum (output - target)^2 / count}.
     *
     * @return the metric, named {@code "mse"}
     */
    static Metric meanSquaredError() {
        return elementwiseMean("mse", (y, t) -> (y - t) * (y - t));
    }

    /**
     * The mean absolute error over all target elements, {@code sum |output - target| / count}.
     *
     * @return the metric, named {@code "mae"}
     */
    static Metric meanAbsoluteError() {
        return elementwiseMean("mae", (y, t) -> Math.abs(y - t));
    }

    /**
     * A metric from a name and a measuring function.
     *
     * @param name the name: lower case letters, digits and underscores, starting with a letter
     * @param measure what {@link #measure} returns
     * @return the metric
     * @throws IllegalArgumentException if the name is not of that form
     */
    static Metric of(String name, java.util.function.BiFunction<Tensor, Batch, Sum> measure) {
        EpochMetrics.requireMetricName(name);
        return new Metric() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Sum measure(Tensor output, Batch batch) {
                return measure.apply(output, batch);
            }

            @Override
            public String toString() {
                return "Metric[" + name + "]";
            }
        };
    }

    /** The mean of {@code f(output, target)} over the elements of outputs and float targets of the same shape. */
    private static Metric elementwiseMean(String name, java.util.function.DoubleBinaryOperator f) {
        return of(name, (output, batch) -> {
            Tensor target = batch.targets();
            if (!output.shape().equals(target.shape())) {
                throw new IllegalArgumentException(name + ": output " + output.shape() + " does not match targets "
                        + target.shape() + " (expected the same shape)");
            }
            float[] y = output.toArray();
            float[] t = target.toArray();
            double s = 0;
            for (int i = 0; i < y.length; i++) {
                s += f.applyAsDouble(y[i], t[i]);
            }
            return new Sum(s, y.length);
        });
    }
}
