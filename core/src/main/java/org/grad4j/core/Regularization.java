package org.grad4j.core;

import java.util.Random;

/** Inverted dropout. */
final class Regularization {
    private Regularization() {
    }

    static Tensor dropout(Tensor x, double p, Random rng) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout: probability has to be between 0 and 1, but got " + p);
        }
        if (rng == null) {
            throw new IllegalArgumentException("dropout: rng is null");
        }
        if (p == 0) {
            return x;
        }
        int n = x.size();
        // mask[i] is 0 (dropped) or 1/(1-p) (kept); p == 1 drops everything, as PyTorch does.
        float[] mask = new float[n];
        if (p < 1) {
            float scale = (float) (1.0 / (1.0 - p));
            double keep = 1.0 - p;
            for (int i = 0; i < n; i++) {
                mask[i] = rng.nextDouble() < keep ? scale : 0f;
            }
        }
        float[] xs = x.data;
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = xs[i] * mask[i];
        }
        Tensor out = Tensor.fresh(y, x.shape);
        return Tape.recordOp("dropout", out, (g, gi) -> {
            float[] gx = gi[0];
            for (int i = 0; i < gx.length; i++) {
                gx[i] += g[i] * mask[i];
            }
        }, x);
    }
}
