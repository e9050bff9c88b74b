package org.grad4j.spark;

import java.io.Serializable;
import java.util.List;
import org.grad4j.core.Tensor;
import org.grad4j.train.Optimizer;

/**
 * Builds the optimizer for a model's parameters: once on the driver, and, with
 * {@linkplain SparkTrainer#withLocalSteps local steps}, once per partition and round on the
 * executors, so it is serialized with the tasks ({@code params -> new SGD(params, 0.1)}).
 */
@FunctionalInterface
public interface OptimizerFactory extends Serializable {
    /** A new optimizer over {@code parameters}. */
    Optimizer create(List<Tensor> parameters);
}
