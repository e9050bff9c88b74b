/**
 * grad4j's layers: {@link org.grad4j.layers.Module} and the layers of a convolutional network with
 * PyTorch's names, defaults and state-dict keys.
 */
module org.grad4j.layers {
    requires transitive org.grad4j.core;

    exports org.grad4j.layers;
}
