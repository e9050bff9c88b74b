package org.grad4j.spark;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Independent runs (learning rates, seeds, model variants) as Spark tasks, one run per task, the
 * results collected on the driver in the order of the configurations. A run is single-process
 * training as on one machine ({@link org.grad4j.train.Trainer} or a loop of one's own); Spark only
 * places it. A run that throws is retried as any failed task, up to {@code spark.task.maxFailures}
 * times, so a run must give the same result when repeated: seed it from its configuration.
 *
 * <pre>{@code
 * List<Double> accuracies = SparkSweep.run(sc, List.of(0.1, 0.3, 1.0), lr -> trainAndTest(lr));
 * }</pre>
 */
public final class SparkSweep {
    private SparkSweep() {
    }

    /** One run: a configuration in, its result (metrics, a state dict as bytes) out. */
    @FunctionalInterface
    public interface Run<C, R> extends Serializable {
        /** Trains with {@code config} and returns what the driver should receive. */
        R apply(C config) throws Exception;
    }

    /**
     * Runs {@code run} once per configuration, each as one Spark task.
     *
     * @return the results, in the order of {@code configs}
     * @throws IllegalArgumentException if {@code configs} is empty
     * @throws org.apache.spark.SparkException (unchecked, as Spark throws it) naming the first run
     *     that failed on every attempt, with its exception as the cause
     */
    public static <C extends Serializable, R extends Serializable> List<R> run(JavaSparkContext sc, List<C> configs,
                                                                              Run<C, R> run) {
        Objects.requireNonNull(sc, "SparkSweep: context is null");
        Objects.requireNonNull(run, "SparkSweep: run is null");
        if (configs.isEmpty()) {
            throw new IllegalArgumentException("SparkSweep: no configuration to run");
        }
        return sc.parallelize(configs, configs.size()).map(run::apply).collect();
    }
}
