package org.grad4j.core;

/**
 * The two moves of broadcasting on flat row-major arrays: reading a small operand as if it were
 * stretched to a larger shape, and summing a large gradient back to the small operand's shape
 * (the adjoint of stretching). Both walk the large shape row by row (a row is its last dimension)
 * and keep one running offset per operand, so no index arrays are allocated per element.
 */
final class Broadcasting {
    private Broadcasting() {
    }

    /**
     * Moves {@code idx} (over all but the last dimension of {@code dims}) to the next row and
     * updates each operand's offset with its strides.
     */
    static void nextRow(int[] dims, int[] idx, int[][] strides, int[] offs) {
        for (int d = dims.length - 2; d >= 0; d--) {
            idx[d]++;
            for (int k = 0; k < offs.length; k++) {
                offs[k] += strides[k][d];
            }
            if (idx[d] < dims[d]) {
                return;
            }
            for (int k = 0; k < offs.length; k++) {
                offs[k] -= strides[k][d] * dims[d];
            }
            idx[d] = 0;
        }
    }

    /**
     * {@code src} (of shape {@code from}) stretched to {@code to}; returns {@code src} itself when
     * the shapes are equal. The caller has checked that {@code from} broadcasts to {@code to}.
     */
    static float[] expand(float[] src, Shape from, Shape to) {
        if (from.equals(to)) {
            return src;
        }
        float[] out = new float[to.size()];
        if (out.length == 0) {
            return out;
        }
        if (to.rank() == 0) {
            out[0] = src[0];
            return out;
        }
        int[] dims = to.dimsView();
        int r = dims.length;
        int[][] strides = {from.broadcastStrides(to)};
        int n = dims[r - 1];
        int last = strides[0][r - 1];
        int[] idx = new int[r];
        int[] offs = new int[1];
        for (int o = 0; o < out.length; o += n) {
            int s = offs[0];
            for (int i = 0; i < n; i++) {
                out[o + i] = src[s + i * last];
            }
            nextRow(dims, idx, strides, offs);
        }
        return out;
    }

    /**
     * {@code dst += scale * sum of src over the dimensions that {@code to} broadcasts}: the gradient
     * of stretching {@code to} to {@code from}.
     */
    static void sumInto(float[] src, Shape from, float[] dst, Shape to, float scale) {
        if (src.length == 0) {
            return;
        }
        if (from.equals(to)) {
            for (int i = 0; i < src.length; i++) {
                dst[i] += scale * src[i];
            }
            return;
        }
        if (from.rank() == 0) {
            dst[0] += scale * src[0];
            return;
        }
        int[] dims = from.dimsView();
        int r = dims.length;
        int[][] strides = {to.broadcastStrides(from)};
        int n = dims[r - 1];
        int last = strides[0][r - 1];
        int[] idx = new int[r];
        int[] offs = new int[1];
        for (int o = 0; o < src.length; o += n) {
            int d = offs[0];
            if (last == 0) {
                // The whole row lands on one element: add it up in double first.
                double acc = 0;
                for (int i = 0; i < n; i++) {
                    acc += src[o + i];
                }
                dst[d] += (float) (scale * acc);
            } else {
                for (int i = 0; i < n; i++) {
                    dst[d + i] += scale * src[o + i];
                }
            }
            nextRow(dims, idx, strides, offs);
        }
    }
}
