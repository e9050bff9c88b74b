package org.grad4j.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that move values without changing them: permute, expand, squeeze/unsqueeze, and joining and
 * cutting along one dimension (cat, stack, narrow, split). Each backward moves the gradient back
 * the same way, adding. Along one dimension {@code d} a tensor is {@code outer} blocks of
 * {@code size(d) * inner} contiguous values ({@code outer} the product of the dimensions before
 * {@code d}, {@code inner} of those after), so a slice along {@code d} is {@code outer} contiguous
 * copies.
 */
final class Layout {
    private Layout() {
    }

    /** The product of {@code dims[from..to)}. */
    static int product(int[] dims, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    // ---------------------------------------------------------------- permute, expand, views

    static Tensor permute(String op, Tensor x, int... order) {
        int r = x.rank();
        if (order.length != r) {
            throw new IllegalArgumentException(op + ": " + Arrays.toString(order) + " has " + order.length
                    + " dimensions, expected " + r + " for shape " + x.shape);
        }
        int[] perm = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            perm[i] = x.shape.axis(order[i], op);
            if (seen[perm[i]]) {
                throw new IllegalArgumentException(op + ": dimension " + perm[i] + " appears more than once in "
                        + Arrays.toString(order));
            }
            seen[perm[i]] = true;
        }
        int[] inverse = new int[r];
        for (int i = 0; i < r; i++) {
            inverse[perm[i]] = i;
        }
        int[] xd = x.shape.dimsView();
        int[] yd = new int[r];
        for (int i = 0; i < r; i++) {
            yd[i] = xd[perm[i]];
        }
        Shape ys = Shape.of(yd);
        float[] y = new float[x.size()];
        permuteInto(x.data, x.shape, perm, y, ys, false);
        return Tape.recordOp(op, Tensor.fresh(y, ys), (g, gi) -> permuteInto(g, ys, inverse, gi[0], x.shape, true),
                x);
    }

    /**
     * {@code dst[j] (+)= src[i]} where {@code dst} (of shape {@code to}) is {@code src} (of shape
     * {@code from}) with its dimensions reordered: dimension {@code k} of {@code dst} is dimension
     * {@code perm[k]} of {@code src}.
     */
    private static void permuteInto(float[] src, Shape from, int[] perm, float[] dst, Shape to, boolean add) {
        if (dst.length == 0) {
            return;
        }
        if (to.rank() == 0) {
            dst[0] = add ? dst[0] + src[0] : src[0];
            return;
        }
        int[] dims = to.dimsView();
        int r = dims.length;
        int[] fromStrides = from.strides();
        int[][] strides = {new int[r]};
        for (int k = 0; k < r; k++) {
            strides[0][k] = fromStrides[perm[k]];
        }
        int n = dims[r - 1];
        int last = strides[0][r - 1];
        int[] idx = new int[r];
        int[] offs = new int[1];
        for (int o = 0; o < dst.length; o += n) {
            int s = offs[0];
            if (add) {
                for (int i = 0; i < n; i++) {
                    dst[o + i] += src[s + i * last];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    dst[o + i] = src[s + i * last];
                }
            }
            Broadcasting.nextRow(dims, idx, strides, offs);
        }
    }

    static Tensor expand(Tensor x, int... dims) {
        String op = "expand";
        int r = dims.length;
        if (r < x.rank()) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(dims) + " has fewer dimensions than "
                    + x.shape);
        }
        int[] xd = x.shape.dimsView();
        int[] to = dims.clone();
        for (int i = 0; i < r; i++) {
            int j = i - (r - xd.length);
            int have = j < 0 ? 1 : xd[j];
            if (to[i] == -1 && j >= 0) {
                to[i] = have;
            } else if (to[i] < 0 || (have != 1 && have != to[i])) {
                throw new IllegalArgumentException(op + ": shape " + x.shape + " cannot be expanded to "
                        + Arrays.toString(dims) + " (dimension " + i + ": " + have + " to " + dims[i]
                        + "; only sizes of 1 stretch)");
            }
        }
        Shape ys = Shape.of(to);
        float[] y = Broadcasting.expand(x.data, x.shape, ys);
        if (y == x.data) {
            y = y.clone();
        }
        return Tape.recordOp(op, Tensor.fresh(y, ys),
                (g, gi) -> Broadcasting.sumInto(g, ys, gi[0], x.shape, 1f), x);
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        int r = x.rank();
        if (dim < -(r + 1) || dim > r) {
            throw new IllegalArgumentException("unsqueeze: dimension " + dim + " is out of range for shape " + x.shape
                    + " (expected " + -(r + 1) + " to " + r + ")");
        }
        int d = dim < 0 ? dim + r + 1 : dim;
        int[] xd = x.shape.dimsView();
        int[] yd = new int[r + 1];
        for (int i = 0, j = 0; i <= r; i++) {
            yd[i] = i == d ? 1 : xd[j++];
        }
        return Linalg.view("unsqueeze", x, Shape.of(yd));
    }

    /** Drops dimension {@code dim} if its size is 1 (else returns a view of the same shape), as PyTorch. */
    static Tensor squeeze(Tensor x, int dim) {
        int d = x.shape.axis(dim, "squeeze");
        boolean[] drop = new boolean[x.rank()];
        drop[d] = x.dim(d) == 1;
        return squeeze(x, drop);
    }

    /** Drops every dimension of size 1. */
    static Tensor squeeze(Tensor x) {
        boolean[] drop = new boolean[x.rank()];
        for (int d = 0; d < drop.length; d++) {
            drop[d] = x.dim(d) == 1;
        }
        return squeeze(x, drop);
    }

    private static Tensor squeeze(Tensor x, boolean[] drop) {
        return Linalg.view("squeeze", x, x.shape.reduced(drop, false));
    }

    // ---------------------------------------------------------------- along one dimension

    /** Values {@code [start, start + length)} along {@code dim}; the rank stays. */
    static Tensor narrow(String op, Tensor x, int dim, int start, int length) {
        int d = x.shape.axis(dim, op);
        int n = x.dim(d);
        if (start < 0 || length < 0 || (long) start + length > n) {
            throw new IllegalArgumentException(op + ": range [" + start + ", " + ((long) start + length)
                    + ") is out of bounds for dimension " + d + " of shape " + x.shape + " (size " + n + ")");
        }
        int[] yd = x.shape.dims();
        yd[d] = length;
        return slice(op, x, d, start, length, Shape.of(yd));
    }

    /** The slice at {@code index} along {@code dim}, that dimension removed; negative counts from the end. */
    static Tensor select(Tensor x, int dim, int index) {
        String op = "select";
        int d = x.shape.axis(dim, op);
        int n = x.dim(d);
        if (index < -n || index >= n) {
            throw new IllegalArgumentException(op + ": index " + index + " is out of range for dimension " + d
                    + " of shape " + x.shape + " (expected " + -n + " to " + (n - 1) + ")");
        }
        boolean[] drop = new boolean[x.rank()];
        drop[d] = true;
        return slice(op, x, d, index < 0 ? index + n : index, 1, x.shape.reduced(drop, false));
    }

    /** Copies {@code [start, start + length)} along {@code d} into a tensor of shape {@code ys}. */
    private static Tensor slice(String op, Tensor x, int d, int start, int length, Shape ys) {
        int[] xd = x.shape.dimsView();
        int outer = product(xd, 0, d);
        int inner = product(xd, d + 1, xd.length);
        int from = xd[d] * inner;
        int block = length * inner;
        float[] y = new float[outer * block];
        for (int o = 0; o < outer; o++) {
            System.arraycopy(x.data, o * from + start * inner, y, o * block, block);
        }
        return Tape.recordOp(op, Tensor.fresh(y, ys), (g, gi) -> {
            float[] gx = gi[0];
            for (int o = 0; o < outer; o++) {
                int s = o * block;
                int t = o * from + start * inner;
                for (int i = 0; i < block; i++) {
                    gx[t + i] += g[s + i];
                }
            }
        }, x);
    }

    /** Pieces of {@code size} along {@code dim} (the last may be smaller). */
    static List<Tensor> split(String op, Tensor x, int size, int dim) {
        int d = x.shape.axis(dim, op);
        if (size < 1) {
            throw new IllegalArgumentException(op + ": split size must be positive, got " + size);
        }
        int n = x.dim(d);
        List<Tensor> parts = new ArrayList<>();
        for (int start = 0; start < n || (n == 0 && parts.isEmpty()); start += size) {
            parts.add(narrow(op, x, d, start, Math.min(size, n - start)));
        }
        return List.copyOf(parts);
    }

    static List<Tensor> chunk(Tensor x, int chunks, int dim) {
        if (chunks < 1) {
            throw new IllegalArgumentException("chunk: number of chunks must be positive, got " + chunks);
        }
        int n = x.dim(x.shape.axis(dim, "chunk"));
        // PyTorch's rule: pieces of ceil(n / chunks), so there may be fewer than asked for.
        return split("chunk", x, Math.max(1, (n + chunks - 1) / chunks), dim);
    }

    /** Joins tensors along an existing dimension ({@code stack = false}) or a new one. */
    static Tensor cat(String op, List<Tensor> tensors, int dim, boolean stack) {
        if (tensors == null || tensors.isEmpty()) {
            throw new IllegalArgumentException(op + ": expected a non-empty list of tensors");
        }
        Tensor[] xs = tensors.toArray(new Tensor[0]);
        Tensor first = xs[0];
        for (int k = 0; k < xs.length; k++) {
            if (xs[k] == null) {
                throw new IllegalArgumentException(op + ": tensor " + k + " is null");
            }
        }
        int r = first.rank();
        int d;
        if (stack) {
            if (dim < -(r + 1) || dim > r) {
                throw new IllegalArgumentException(op + ": dimension " + dim + " is out of range for shape "
                        + first.shape + " (expected " + -(r + 1) + " to " + r + ")");
            }
            d = dim < 0 ? dim + r + 1 : dim;
        } else {
            d = first.shape.axis(dim, op);
        }
        int[] fd = first.shape.dimsView();
        int total = 0;
        int[] lengths = new int[xs.length];
        for (int k = 0; k < xs.length; k++) {
            int[] kd = xs[k].shape.dimsView();
            boolean same = kd.length == fd.length;
            for (int i = 0; same && i < kd.length; i++) {
                same = kd[i] == fd[i] || (!stack && i == d);
            }
            if (!same) {
                throw new IllegalArgumentException(op + ": tensor " + k + " has shape " + xs[k].shape
                        + ", expected " + (stack ? "the shape " + first.shape + " of tensor 0"
                        : "the shape of tensor 0 " + first.shape + " except in dimension " + d));
            }
            lengths[k] = stack ? 1 : kd[d];
            total += lengths[k];
        }
        int[] yd;
        if (stack) {
            yd = new int[r + 1];
            for (int i = 0, j = 0; i <= r; i++) {
                yd[i] = i == d ? xs.length : fd[j++];
            }
        } else {
            yd = fd.clone();
            yd[d] = total;
        }
        int outer = product(yd, 0, d);
        int inner = product(yd, d + 1, yd.length);
        int row = total * inner;
        float[] y = new float[outer * row];
        for (int k = 0, at = 0; k < xs.length; at += lengths[k] * inner, k++) {
            int block = lengths[k] * inner;
            for (int o = 0; o < outer; o++) {
                System.arraycopy(xs[k].data, o * block, y, o * row + at, block);
            }
        }
        return Tape.recordOp(op, Tensor.fresh(y, Shape.of(yd)), (g, gi) -> {
            for (int k = 0, at = 0; k < xs.length; at += lengths[k] * inner, k++) {
                float[] gx = gi[k];
                int block = lengths[k] * inner;
                for (int o = 0; gx != null && o < outer; o++) {
                    int s = o * row + at;
                    int t = o * block;
                    for (int i = 0; i < block; i++) {
                        gx[t + i] += g[s + i];
                    }
                }
            }
        }, xs);
    }
}
