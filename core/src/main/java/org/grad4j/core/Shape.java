package org.grad4j.core;

import java.util.Arrays;

/**
 * The immutable dimensions of a {@link Tensor}, row-major (the last dimension varies fastest).
 *
 * <p>A shape with no dimensions is a scalar and has size 1. Dimensions may be zero (an empty tensor).
 * Negative dimension indices count from the end, as in PyTorch: {@code -1} is the last dimension.
 */
public final class Shape {
    private static final int[] NO_DIMS = new int[0];
    /** The shape of a scalar: no dimensions, one element. */
    public static final Shape SCALAR = new Shape(NO_DIMS);

    private final int[] dims;
    private final int size;

    private Shape(int[] dims) {
        this.dims = dims;
        long n = 1;
        for (int d : dims) {
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims)
                        + " has more than " + Integer.MAX_VALUE + " elements");
            }
        }
        this.size = (int) n;
    }

    /**
     * A shape with the given dimensions.
     *
     * @throws IllegalArgumentException if a dimension is negative or the element count exceeds
     *     {@code Integer.MAX_VALUE}
     */
    public static Shape of(int... dims) {
        if (dims.length == 0) {
            return SCALAR;
        }
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(dims)
                        + " has a negative dimension");
            }
        }
        return new Shape(dims.clone());
    }

    /** The number of dimensions (0 for a scalar). */
    public int rank() {
        return dims.length;
    }

    /** The number of elements: the product of the dimensions. */
    public int size() {
        return size;
    }

    /** The size of dimension {@code d}; negative {@code d} counts from the end. */
    public int dim(int d) {
        return dims[axis(d, "dim")];
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return dims.clone();
    }

    /**
     * The row-major strides: how far apart in the flat array two elements are that differ by one
     * in dimension {@code d}.
     */
    public int[] strides() {
        int[] s = new int[dims.length];
        int stride = 1;
        for (int d = dims.length - 1; d >= 0; d--) {
            s[d] = stride;
            stride *= dims[d];
        }
        return s;
    }

    /**
     * Normalises a possibly negative dimension index.
     *
     * @param op the operation, for the error message
     * @throws IllegalArgumentException if the dimension is out of range
     */
    public int axis(int d, String op) {
        int r = dims.length;
        if (d < -r || d >= r) {
            throw new IllegalArgumentException(op + ": dimension " + d + " is out of range for shape "
                    + this + " (expected " + (r == 0 ? "none, it is a scalar" : "-" + r + " to " + (r - 1)) + ")");
        }
        return d < 0 ? d + r : d;
    }

    /** The flat (row-major) offset of an index. */
    int offset(int[] index, String op) {
        if (index.length != dims.length) {
            throw new IllegalArgumentException(op + ": index " + Arrays.toString(index) + " has "
                    + index.length + " dimensions, shape " + this + " has " + dims.length);
        }
        int off = 0;
        for (int d = 0; d < dims.length; d++) {
            int i = index[d];
            if (i < 0 || i >= dims[d]) {
                throw new IllegalArgumentException(op + ": index " + Arrays.toString(index)
                        + " is out of bounds for shape " + this);
            }
            off = off * dims[d] + i;
        }
        return off;
    }

    /**
     * The shape two operands broadcast to under NumPy's rules: align the trailing dimensions; two
     * sizes are compatible when equal or when one of them is 1.
     *
     * @param op the operation, for the error message
     * @throws IllegalArgumentException like {@code add: shapes [2, 3] and [4] cannot broadcast}
     */
    public static Shape broadcast(String op, Shape a, Shape b) {
        if (a.equals(b)) {
            return a;
        }
        int r = Math.max(a.rank(), b.rank());
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.rank() ? 1 : a.dims[i - (r - a.rank())];
            int db = i < r - b.rank() ? 1 : b.dims[i - (r - b.rank())];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + a + " and " + b + " cannot broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return new Shape(out);
    }

    /**
     * Strides for reading this shape as if it were broadcast to {@code target}: 0 where this shape
     * is 1 (or missing) and the target is not. The caller has checked that broadcasting is legal.
     */
    int[] broadcastStrides(Shape target) {
        int r = target.rank();
        int[] own = strides();
        int[] s = new int[r];
        for (int i = 0; i < r; i++) {
            int j = i - (r - dims.length);
            s[i] = (j < 0 || dims[j] == 1) ? 0 : own[j];
        }
        return s;
    }

    /** This shape with the given (already normalised) dimensions set to 1, or removed. */
    Shape reduced(boolean[] reduce, boolean keepdim) {
        int kept = 0;
        for (int d = 0; d < dims.length; d++) {
            if (keepdim || !reduce[d]) {
                kept++;
            }
        }
        int[] out = new int[kept];
        int k = 0;
        for (int d = 0; d < dims.length; d++) {
            if (!reduce[d]) {
                out[k++] = dims[d];
            } else if (keepdim) {
                out[k++] = 1;
            }
        }
        return out.length == 0 ? SCALAR : new Shape(out);
    }

    int[] dimsView() {
        return dims;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Like PyTorch's list of sizes: {@code [2, 3]}; a scalar is {@code []}. */
    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
