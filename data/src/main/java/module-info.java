/**
 * grad4j's data: strict IDX reading, Fashion-MNIST found, verified or downloaded, bilinear resize
 * and a seeded batch loader.
 */
module org.grad4j.data {
    requires transitive org.grad4j.core;
    requires org.apache.commons.compress;

    exports org.grad4j.data;
}
