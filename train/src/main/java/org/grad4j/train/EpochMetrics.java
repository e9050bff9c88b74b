package org.grad4j.train;

import java.util.Locale;

/**
 * What one epoch of training measured, with d2l's definitions: loss and accuracy are averages over
 * the epoch's training examples in training mode; test accuracy is measured in eval mode after the
 * epoch; examples per second counts training compute only (forward, backward and update), not
 * fetching batches or evaluating.
 *
 * @param epoch the epoch, counted from 1
 * @param trainLoss mean training loss
 * @param trainAccuracy fraction of training examples classified correctly
 * @param testAccuracy fraction of test examples classified correctly, NaN when there is no test set
 * @param examplesPerSecond training examples per second of training compute
 * @param seconds wall-clock seconds of the whole epoch, evaluation included
 * @param gcSeconds seconds the JVM's garbage collectors reported spending during the epoch
 *     (summed over collectors, so concurrent work counts too), NaN when not measured
 * @param recalibratedTestAccuracy test accuracy after the batch-norm running statistics were set
 *     to exact population statistics ({@code BatchNorms.recalibrate}) at the end of this epoch,
 *     NaN when not recalibrated; {@code testAccuracy} is then the accuracy before, with the
 *     running averages of training
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testAccuracy,
                           double examplesPerSecond, double seconds, double gcSeconds,
                           double recalibratedTestAccuracy) {

    /** Metrics without recalibration (NaN). */
    public EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testAccuracy,
                        double examplesPerSecond, double seconds, double gcSeconds) {
        this(epoch, trainLoss, trainAccuracy, testAccuracy, examplesPerSecond, seconds, gcSeconds, Double.NaN);
    }

    /** Metrics without a garbage-collection time (NaN). */
    public EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testAccuracy,
                        double examplesPerSecond, double seconds) {
        this(epoch, trainLoss, trainAccuracy, testAccuracy, examplesPerSecond, seconds, Double.NaN);
    }

    /** These metrics with {@code recalibratedTestAccuracy} set. */
    public EpochMetrics withRecalibratedTestAccuracy(double accuracy) {
        return new EpochMetrics(epoch, trainLoss, trainAccuracy, testAccuracy, examplesPerSecond, seconds, gcSeconds,
                accuracy);
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
     * files without recalibration keep their old form.
     */
    public String toJson() {
        return "{\"epoch\":" + epoch
                + ",\"train_loss\":" + json(trainLoss)
                + ",\"train_acc\":" + json(trainAccuracy)
                + ",\"test_acc\":" + json(testAccuracy)
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
     * followed by {@code   gc 0.04 s} when the GC time was measured.
     */
    public String toLine() {
        String line = String.format(Locale.ROOT, "epoch %d  loss %.3f  train acc %.3f  test acc %.3f  %.0f ex/s",
                epoch, trainLoss, trainAccuracy, testAccuracy, examplesPerSecond);
        return Double.isFinite(gcSeconds) ? line + String.format(Locale.ROOT, "  gc %.2f s", gcSeconds) : line;
    }

    /**
     * Parses a line written by {@link #toJson()}.
     *
     * @throws IllegalArgumentException if the line is not such an object
     */
    public static EpochMetrics fromJson(String line) {
        String s = line.strip();
        if (!s.startsWith("{") || !s.endsWith("}")) {
            throw new IllegalArgumentException("metrics: not a JSON object: " + line);
        }
        java.util.Map<String, String> fields = new java.util.HashMap<>();
        for (String part : s.substring(1, s.length() - 1).split(",")) {
            int colon = part.indexOf(':');
            if (colon < 0 || !part.startsWith("\"")) {
                throw new IllegalArgumentException("metrics: malformed field '" + part + "' in " + line);
            }
            fields.put(part.substring(1, colon - 1), part.substring(colon + 1));
        }
        try {
            return new EpochMetrics(Integer.parseInt(field(fields, "epoch", line)),
                    number(fields, "train_loss", line), number(fields, "train_acc", line),
                    number(fields, "test_acc", line), number(fields, "examples_per_sec", line),
                    number(fields, "seconds", line),
                    // Written since grad4j 0.1.0's speed work; older files lack it.
                    fields.containsKey("gc_seconds") ? number(fields, "gc_seconds", line) : Double.NaN,
                    // Only epochs followed by BatchNorms.recalibrate have it.
                    fields.containsKey("test_acc_recalibrated") ? number(fields, "test_acc_recalibrated", line)
                            : Double.NaN);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("metrics: bad number in " + line, e);
        }
    }

    private static String field(java.util.Map<String, String> fields, String name, String line) {
        String v = fields.get(name);
        if (v == null) {
            throw new IllegalArgumentException("metrics: missing field '" + name + "' in " + line);
        }
        return v;
    }

    private static double number(java.util.Map<String, String> fields, String name, String line) {
        String v = field(fields, name, line);
        return v.equals("null") ? Double.NaN : Double.parseDouble(v);
    }
}
