package org.grad4j.train;

import java.util.Locale;
import java.util.Map;
import org.grad4j.core.internal.Json;

/**
 * What one epoch of training measured, with d2l's definitions: the loss and the {@link Metric}
 * (accuracy by default) are averages over the epoch's training examples in training mode; the test
 * metric is measured in eval mode after the epoch; examples per second counts training compute
 * only (forward, backward and update), not fetching batches or evaluating.
 *
 * @param epoch the epoch, counted from 1
 * @param trainLoss mean training loss
 * @param trainMetric the metric over the training examples (for accuracy: the fraction classified
 *     correctly)
 * @param testMetric the metric over the test examples, NaN when there is no test set
 * @param examplesPerSecond training examples per second of training compute
 * @param seconds wall-clock seconds of the whole epoch, evaluation included
 * @param gcSeconds seconds the JVM's garbage collectors reported spending during the epoch
 *     (summed over collectors, so concurrent work counts too), NaN when not measured
 * @param recalibratedTestAccuracy test accuracy after the batch-norm running statistics were set
 *     to exact population statistics ({@code BatchNorms.recalibrate}) at the end of this epoch,
 *     NaN when not recalibrated; {@code testAccuracy} is then the accuracy before, with the
 *     running averages of training
 * @param metric the metric's {@link Metric#name() name}: {@code "accuracy"}, {@code "mse"}, ...
 * @throws IllegalArgumentException if the metric's name is not lower case letters, digits and
 *     underscores starting with a letter
 */
public record EpochMetrics(int epoch, double trainLoss, double trainMetric, double testMetric,
                           double examplesPerSecond, double seconds, double gcSeconds,
                           double recalibratedTestAccuracy, String metric) {
    private static final String ACCURACY = "accuracy";

    /** Validates the metric's name. */
    public EpochMetrics {
        requireMetricName(metric);
    }

    /** Accuracy metrics, as before metrics had a name. */
    public EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testAccuracy,
                        double examplesPerSecond, double seconds, double gcSeconds,
                        double recalibratedTestAccuracy) {
        this(epoch, trainLoss, trainAccuracy, testAccuracy, examplesPerSecond, seconds, gcSeconds,
                recalibratedTestAccuracy, ACCURACY);
    }

    /** Accuracy metrics without recalibration (NaN). */
    public EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testAccuracy,
                        double examplesPerSecond, double seconds, double gcSeconds) {
        this(epoch, trainLoss, trainAccuracy, testAccuracy, examplesPerSecond, seconds, gcSeconds, Double.NaN);
    }

    /** Accuracy metrics without a garbage-collection time (NaN). */
    public EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testAccuracy,
                        double examplesPerSecond, double seconds) {
        this(epoch, trainLoss, trainAccuracy, testAccuracy, examplesPerSecond, seconds, Double.NaN);
    }

    /** These metrics with {@code recalibratedTestAccuracy} set. */
    public EpochMetrics withRecalibratedTestAccuracy(double accuracy) {
        return new EpochMetrics(epoch, trainLoss, trainMetric, testMetric, examplesPerSecond, seconds, gcSeconds,
                accuracy, metric);
    }

    /**
     * The training accuracy.
     *
     * @return {@link #trainMetric()} when the metric is accuracy, else NaN
     */
    public double trainAccuracy() {
        return metric.equals(ACCURACY) ? trainMetric : Double.NaN;
    }

    /**
     * The test accuracy.
     *
     * @return {@link #testMetric()} when the metric is accuracy, else NaN
     */
    public double testAccuracy() {
        return metric.equals(ACCURACY) ? testMetric : Double.NaN;
    }

    /**
     * The metric's short name in files and console lines.
     *
     * @return {@code "acc"} for accuracy (the older files' name), else the metric's name
     */
    public String metricLabel() {
        return metric.equals(ACCURACY) ? "acc" : metric;
    }

    /** Refuses a metric name that would not survive a metrics file or a console line. */
    static void requireMetricName(String name) {
        if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("metric: invalid name " + (name == null ? "null" : "'" + name + "'")
                    + " (expected lower case letters, digits and underscores, starting with a letter, e.g. 'mse')");
        }
    }

    /**
     * The garbage-collection time the JVM has reported so far, in seconds, summed over its
     * collectors ({@link java.lang.management.GarbageCollectorMXBean#getCollectionTime}); the
     * difference of two readings is the time spent in between.
     */
    public static double gcSecondsSoFar() {
        long ms = 0;
        for (java.lang.management.GarbageCollectorMXBean gc
                : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            ms += Math.max(0, gc.getCollectionTime());
        }
        return ms / 1000.0;
    }

    /**
     * One JSON object on one line, e.g. {@code {"epoch":1,"train_loss":0.65,"train_acc":0.77,
     * "test_acc":0.81,"examples_per_sec":29770.0,"seconds":2.0,"gc_seconds":0.04}}; NaN becomes
     * {@code null}. {@code "test_acc_recalibrated"} follows only when the epoch was recalibrated, so
     * files without recalibration keep their old form. Another metric than accuracy is named
     * after the loss and gives its fields' names: {@code "train_loss":0.31,"metric":"mse",
     * "train_mse":0.31,"test_mse":0.35}.
     */
    public String toJson() {
        String label = metricLabel();
        return "{\"epoch\":" + epoch
                + ",\"train_loss\":" + json(trainLoss)
                + (metric.equals(ACCURACY) ? "" : ",\"metric\":\"" + metric + "\"")
                + ",\"train_" + label + "\":" + json(trainMetric)
                + ",\"test_" + label + "\":" + json(testMetric)
                + ",\"examples_per_sec\":" + json(examplesPerSecond)
                + ",\"seconds\":" + json(seconds)
                + ",\"gc_seconds\":" + json(gcSeconds)
                + (Double.isNaN(recalibratedTestAccuracy) ? "" : ",\"test_acc_recalibrated\":" + json(recalibratedTestAccuracy))
                + "}";
    }

    private static String json(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    /**
     * The console line: {@code epoch 3  loss 0.348  train acc 0.873  test acc 0.803  29770 ex/s},
     * followed by {@code   gc 0.04 s} when the GC time was measured; another metric is named by
     * its label and given to four significant digits ({@code train mse 0.01234}).
     */
    public String toLine() {
        String format = metric.equals(ACCURACY) ? "%.3f" : "%.4g";
        String label = metricLabel();
        String line = String.format(Locale.ROOT, "epoch %d  loss %.3f  train " + label + " " + format + "  test " + label
                + " " + format + "  %.0f ex/s", epoch, trainLoss, trainMetric, testMetric, examplesPerSecond);
        return Double.isFinite(gcSeconds) ? line + String.format(Locale.ROOT, "  gc %.2f s", gcSeconds) : line;
    }

    /**
     * Parses a line written by {@link #toJson()}: a JSON object with the fields it writes, in any
     * order, numbers or {@code null} (NaN); fields it does not know are ignored, and
     * {@code gc_seconds}, which older files lack, may be missing. Without a {@code "metric"} field
     * (files written before metrics had names) the metric is accuracy.
     *
     * @throws IllegalArgumentException if the line is not such an object, naming the line and what
     *     is wrong with it
     */
    public static EpochMetrics fromJson(String line) {
        Object root;
        try {
            root = Json.parseWithLiterals(line);
        } catch (Json.SyntaxException e) {
            throw new IllegalArgumentException("metrics: not a JSON object: " + line + " (" + e.getMessage() + ")", e);
        }
        if (!(root instanceof Map<?, ?> fields)) {
            throw new IllegalArgumentException("metrics: not a JSON object but " + Json.typeName(root) + ": " + line);
        }
        double epoch = number(fields, "epoch", line);
        if (epoch != Math.rint(epoch) || epoch < 1 || epoch > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("metrics: field 'epoch' is " + fields.get("epoch")
                    + ", expected a positive integer, in " + line);
        }
        Object name = fields.containsKey("metric") ? fields.get("metric") : ACCURACY;
        if (!(name instanceof String metric)) {
            throw new IllegalArgumentException("metrics: field 'metric' is " + Json.typeName(name)
                    + ", expected a string, in " + line);
        }
        requireMetricName(metric);
        String label = metric.equals(ACCURACY) ? "acc" : metric;
        return new EpochMetrics((int) epoch, number(fields, "train_loss", line), number(fields, "train_" + label, line),
                number(fields, "test_" + label, line), number(fields, "examples_per_sec", line),
                number(fields, "seconds", line),
                // Written since grad4j 0.1.0's speed work; older files lack it.
                fields.containsKey("gc_seconds") ? number(fields, "gc_seconds", line) : Double.NaN,
                // Only epochs followed by BatchNorms.recalibrate have it.
                fields.containsKey("test_acc_recalibrated") ? number(fields, "test_acc_recalibrated", line)
                        : Double.NaN, metric);
    }

    /** A field's value: a JSON number, or NaN for {@code null}. */
    private static double number(Map<?, ?> fields, String name, String line) {
        if (!fields.containsKey(name)) {
            throw new IllegalArgumentException("metrics: missing field '" + name + "' in " + line);
        }
        Object v = fields.get(name);
        if (v == null) {
            return Double.NaN;
        }
        if (!(v instanceof Json.Num n)) {
            throw new IllegalArgumentException("metrics: field '" + name + "' is " + Json.typeName(v)
                    + ", expected a number or null, in " + line);
        }
        return Double.parseDouble(n.text());
    }
}
