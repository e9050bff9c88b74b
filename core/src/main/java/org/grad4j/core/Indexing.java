package org.grad4j.core;

/**
 * Ops that pick values by integer index: {@code indexSelect} (whole slices along a dimension) and
 * {@code gather} (one value per position). Indices are plain {@code int[]}, as class labels are
 * ({@link Functional#crossEntropy}) and as {@link Tensor#argmax} returns them. Backward adds the
 * gradient back to the positions read, so a repeated index gets the sum.
 */
final class Indexing {
    private Indexing() {
    }

    /** {@code y = x} with dimension {@code d} replaced by the slices {@code index[0], index[1], ...}. */
    static Tensor indexSelect(Tensor x, int dim, int[] index) {
        String op = "indexSelect";
        int d = x.shape.axis(dim, op);
        if (index == null) {
            throw new IllegalArgumentException(op + ": index is null");
        }
        int n = x.dim(d);
        int[] idx = index.clone();
        checkRange(op, idx, n, d, x.shape);
        int[] xd = x.shape.dimsView();
        int outer = Layout.product(xd, 0, d);
        int inner = Layout.product(xd, d + 1, xd.length);
        int[] yd = x.shape.dims();
        yd[d] = idx.length;
        float[] y = new float[outer * idx.length * inner];
        for (int o = 0; o < outer; o++) {
            for (int k = 0; k < idx.length; k++) {
                System.arraycopy(x.data, (o * n + idx[k]) * inner, y, (o * idx.length + k) * inner, inner);
            }
        }
        return Tape.recordOp(op, Tensor.fresh(y, Shape.of(yd)), (g, gi) -> {
            float[] gx = gi[0];
            for (int o = 0; o < outer; o++) {
                for (int k = 0; k < idx.length; k++) {
                    int s = (o * idx.length + k) * inner;
                    int t = (o * n + idx[k]) * inner;
                    for (int i = 0; i < inner; i++) {
                        gx[t + i] += g[s + i];
                    }
                }
            }
        }, x);
    }

    /**
     * {@code y[.., j, ..] = x[.., index[.., j, ..], ..]} along {@code d}, where the index has the
     * shape of {@code x} except along {@code d} ({@code m = index.length / (x.size() / size(d))}
     * entries there), row-major.
     */
    static Tensor gather(Tensor x, int dim, int[] index) {
        String op = "gather";
        int d = x.shape.axis(dim, op);
        if (index == null) {
            throw new IllegalArgumentException(op + ": index is null");
        }
        int[] xd = x.shape.dimsView();
        int n = xd[d];
        int outer = Layout.product(xd, 0, d);
        int inner = Layout.product(xd, d + 1, xd.length);
        int others = outer * inner;
        if (others == 0 ? index.length != 0 : index.length % others != 0) {
            throw new IllegalArgumentException(op + ": " + index.length + " indices do not fit shape " + x.shape
                    + " along dimension " + d + " (expected a multiple of " + others + ", the size of the other"
                    + " dimensions)");
        }
        int m = others == 0 ? 0 : index.length / others;
        int[] idx = index.clone();
        checkRange(op, idx, n, d, x.shape);
        int[] yd = x.shape.dims();
        yd[d] = m;
        float[] y = new float[idx.length];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < m; j++) {
                int at = (o * m + j) * inner;
                for (int i = 0; i < inner; i++) {
                    y[at + i] = x.data[(o * n + idx[at + i]) * inner + i];
                }
            }
        }
        return Tape.recordOp(op, Tensor.fresh(y, Shape.of(yd)), (g, gi) -> {
            float[] gx = gi[0];
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < m; j++) {
                    int at = (o * m + j) * inner;
                    for (int i = 0; i < inner; i++) {
                        gx[(o * n + idx[at + i]) * inner + i] += g[at + i];
                    }
                }
            }
        }, x);
    }

    private static void checkRange(String op, int[] idx, int n, int d, Shape shape) {
        for (int k = 0; k < idx.length; k++) {
            if (idx[k] < 0 || idx[k] >= n) {
                throw new IllegalArgumentException(op + ": index[" + k + "] = " + idx[k] + " is out of range [0, " + n
                        + ") for dimension " + d + " of shape " + shape);
            }
        }
    }
}
