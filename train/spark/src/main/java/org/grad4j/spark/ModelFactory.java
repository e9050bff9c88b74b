package org.grad4j.spark;

import java.io.Serializable;
import org.grad4j.layers.Module;

/**
 * Builds the model, once on the driver and once per partition on the executors: it is serialized
 * with the tasks, so a lambda must capture only serializable values. Every call must give a model
 * with the same parameters in the same order and shapes (the driver's values overwrite a replica's
 * before each step, so the initial values do not matter on the executors); a factory that does
 * not is refused before the first step.
 */
@FunctionalInterface
public interface ModelFactory extends Serializable {
    /** A new model in training mode. */
    Module create();
}
