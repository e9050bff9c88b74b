/**
 * grad4j's training: optimizers, learning-rate schedules, the {@link org.grad4j.train.Trainer}
 * with its listeners (console, metrics file, plots) and checkpoints.
 */
module org.grad4j.train {
    requires transitive org.grad4j.core;
    requires transitive org.grad4j.layers;
    requires transitive org.grad4j.data;
    requires java.desktop;
    requires java.management;
    // XChart has no module descriptor; its jar names its automatic module.
    requires org.knowm.xchart;

    exports org.grad4j.train;
}
