package org.grad4j.data;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The content of one IDX file of unsigned bytes: its magic, its dims and its payload, row-major.
 *
 * <p>An IDX file is a 4-byte big-endian magic {@code 0x000008RR} (element type {@code 0x08},
 * unsigned byte, and rank {@code RR}), then {@code RR} big-endian 32-bit dims, then
 * {@code dims[0] * ... * dims[RR-1]} bytes. Instances come from {@link Idx}, which has checked all
 * of that; the payload is held as one {@code byte[]}, never one object per item.
 */
public final class IdxArray {
    private final String name;
    private final int magic;
    private final int[] dims;
    private final byte[] data;

    IdxArray(String name, int magic, int[] dims, byte[] data) {
        this.name = name;
        this.magic = magic;
        this.dims = dims;
        this.data = data;
    }

    /**
     * The name of the file this was read from, as used in error messages.
     *
     * @return the file name, for example {@code t10k-labels-idx1-ubyte.gz}
     */
    public String name() {
        return name;
    }

    /**
     * The magic number: {@code 0x00000800 | rank}, for example {@link Idx#LABELS} or {@link Idx#IMAGES}.
     *
     * @return the magic as a big-endian int
     */
    public int magic() {
        return magic;
    }

    /**
     * The number of dims.
     *
     * @return the rank, at least 1
     */
    public int rank() {
        return dims.length;
    }

    /**
     * The dims, outermost first: {@code [N]} for labels, {@code [N, H, W]} for images.
     *
     * @return a copy of the dims
     */
    public int[] dims() {
        return dims.clone();
    }

    /**
     * One dim.
     *
     * @param axis the axis, 0 to {@code rank() - 1}
     * @return {@code dims()[axis]}
     * @throws IllegalArgumentException if the axis is out of range
     */
    public int dim(int axis) {
        if (axis < 0 || axis >= dims.length) {
            throw new IllegalArgumentException(name + ": axis " + axis + " out of range for rank " + dims.length);
        }
        return dims[axis];
    }

    /**
     * The number of items, {@code dims()[0]}: images in an image file, labels in a label file.
     *
     * @return the first dim
     */
    public int count() {
        return dims[0];
    }

    /**
     * The payload, row-major, one byte per element; read elements as unsigned with
     * {@code data()[i] & 0xFF} or {@link #unsigned(int)}.
     *
     * @return the array itself, not a copy: writes to it change this object
     */
    public byte[] data() {
        return data;
    }

    /**
     * One element as an unsigned value.
     *
     * @param index the flat row-major index, 0 to {@code data().length - 1}
     * @return the element, 0 to 255
     * @throws ArrayIndexOutOfBoundsException if the index is out of range
     */
    public int unsigned(int index) {
        return data[index] & 0xFF;
    }

    /**
     * The IDX header this content has: the magic and the dims, big-endian.
     *
     * @return {@code 4 + 4 * rank()} bytes
     */
    public byte[] header() {
        byte[] header = new byte[4 + 4 * dims.length];
        putInt(header, 0, magic);
        for (int i = 0; i < dims.length; i++) {
            putInt(header, 4 + 4 * i, dims[i]);
        }
        return header;
    }

    /**
     * The SHA-256 of the uncompressed IDX file, header then payload: the same for a file and its
     * gzip-compressed version, whatever the compressor.
     *
     * @return 64 lowercase hex digits
     */
    public String sha256() {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            // Every Java platform must provide SHA-256 (MessageDigest's Javadoc).
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
        digest.update(header());
        digest.update(data);
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * A short description: the name, the magic and the dims.
     *
     * @return for example {@code t10k-labels-idx1-ubyte.gz: IDX 0x00000801 [10000]}
     */
    @Override
    public String toString() {
        return name + ": IDX " + String.format("0x%08X", magic) + " " + Arrays.toString(dims);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
