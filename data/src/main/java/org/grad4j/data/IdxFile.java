package org.grad4j.data;

/**
 * One file of an IDX dataset as published: its name without {@code .gz}, its magic, the SHA-256
 * of its uncompressed bytes ({@code null}: not checked) and its uncompressed length.
 */
record IdxFile(String name, int magic, String sha256, long bytes) {
    /** The name of the compressed file: {@code name + ".gz"}. */
    String gzName() {
        return name + ".gz";
    }
}
