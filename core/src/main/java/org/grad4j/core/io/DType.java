package org.grad4j.core.io;

/**
 * The element types grad4j reads and writes in safetensors files, named as in the format.
 */
public enum DType {
    /** IEEE 754 single precision, 4 bytes little-endian: the values of a {@link org.grad4j.core.Tensor}. */
    F32(4),
    /** Signed 64-bit integer, 8 bytes little-endian: class labels, step counters. */
    I64(8);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** The number of bytes one element takes in the file. */
    public int byteSize() {
        return byteSize;
    }
}
