package org.grad4j.spark;

import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/** The parameters of a model, or their gradients, as one float vector in parameter order: what travels. */
final class FlatParameters {
    private FlatParameters() {
    }

    static int size(List<Tensor> params) {
        int n = 0;
        for (Tensor p : params) {
            n += p.size();
        }
        return n;
    }

    static float[] values(List<Tensor> params) {
        float[] flat = new float[size(params)];
        int off = 0;
        for (Tensor p : params) {
            float[] v = p.toArray();
            System.arraycopy(v, 0, flat, off, v.length);
            off += v.length;
        }
        return flat;
    }

    /** Overwrites every parameter with its slice of {@code flat} (grad mode off: an in-place write). */
    static void set(List<Tensor> params, float[] flat) {
        int off = 0;
        try (Tape.NoGrad off2 = Tape.noGrad()) {
            for (Tensor p : params) {
                float[] v = new float[p.size()];
                System.arraycopy(flat, off, v, 0, v.length);
                p.copyFrom(Tensor.wrap(v, p.shape()));
                off += v.length;
            }
        }
    }

    /** The gradients, zero for a parameter that has none. */
    static float[] gradients(List<Tensor> params) {
        float[] flat = new float[size(params)];
        int off = 0;
        for (Tensor p : params) {
            if (p.grad() != null) {
                System.arraycopy(p.grad().toArray(), 0, flat, off, p.size());
            }
            off += p.size();
        }
        return flat;
    }

    /**
     * Makes {@code flat} the gradient of the parameters, as if a local backward had computed it:
     * zeroed, then given as the upstream gradient of each leaf ({@code 0 + g} is {@code g} exactly).
     */
    static void setGradients(List<Tensor> params, float[] flat) {
        int off = 0;
        for (Tensor p : params) {
            float[] g = new float[p.size()];
            System.arraycopy(flat, off, g, 0, g.length);
            p.zeroGrad();
            p.backward(Tensor.wrap(g, p.shape()));
            off += g.length;
        }
    }

    /** The parameter shapes, in order: what every replica must agree on. */
    static List<String> shapes(List<Tensor> params) {
        List<String> out = new ArrayList<>();
        for (Tensor p : params) {
            out.add(p.shape().toString());
        }
        return out;
    }
}
