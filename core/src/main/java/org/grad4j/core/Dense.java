package org.grad4j.core;

import org.grad4j.core.kernels.Gemm;

/** The fused linear (fully connected) op: {@code y = x W^T + b} as one GEMM and one tape entry. */
final class Dense {
    private Dense() {
    }

    static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (weight.rank() != 2) {
            throw new IllegalArgumentException("linear: expected a 2-D weight [out_features, in_features], got "
                    + weight.shape);
        }
        int out = weight.dim(0);
        int in = weight.dim(1);
        if (x.rank() == 0 || x.dim(-1) != in) {
            throw new IllegalArgumentException("linear: input " + x.shape + " does not match in_features " + in);
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != out)) {
            throw new IllegalArgumentException("linear: bias " + bias.shape + " does not match out_features " + out
                    + " (weight " + weight.shape + ")");
        }
        int[] xd = x.shape.dimsView();
        int rows = 1;
        for (int d = 0; d < xd.length - 1; d++) {
            rows *= xd[d];
        }
        int m = rows;
        int[] yd = xd.clone();
        yd[yd.length - 1] = out;
        float[] y = new float[m * out];
        // y [m, out] = x [m, in] . W^T, with W stored [out, in].
        Gemm.gemm(false, true, m, out, in, x.data, weight.data, y, false);
        if (bias != null) {
            float[] b = bias.data;
            for (int r = 0; r < m; r++) {
                int o = r * out;
                for (int j = 0; j < out; j++) {
                    y[o + j] += b[j];
                }
            }
        }
        Tensor result = Tensor.fresh(y, Shape.of(yd));
        Tape.Backward backward = (g, gi) -> {
            // dx [m, in] = dy [m, out] . W [out, in]
            if (gi[0] != null) {
                Gemm.gemm(false, false, m, in, out, g, weight.data, gi[0], true);
            }
            // dW [out, in] = dy^T [out, m] . x [m, in]
            if (gi[1] != null) {
                Gemm.gemm(true, false, out, in, m, g, x.data, gi[1], true);
            }
            // db = column sums of dy
            if (bias != null && gi[2] != null) {
                double[] acc = new double[out];
                for (int r = 0; r < m; r++) {
                    int o = r * out;
                    for (int j = 0; j < out; j++) {
                        acc[j] += g[o + j];
                    }
                }
                float[] gb = gi[2];
                for (int j = 0; j < out; j++) {
                    gb[j] += (float) acc[j];
                }
            }
        };
        return bias == null
                ? Tape.recordOp("linear", result, backward, x, weight)
                : Tape.recordOp("linear", result, backward, x, weight, bias);
    }
}
