package org.grad4j.layers;

import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * The bookkeeping of {@link BatchNorms#fold}: a copy of a {@link Sequential} in which every batch
 * norm that directly follows a {@link Conv2d} or {@link Linear} is merged into it. The math is
 * {@link #fold(Tensor, Tensor, BatchNorm, Tensor, Tensor)}.
 */
final class Folding {
    /** Seeds the throw-away initialisation of copied layers, so folding never draws from {@link Init#defaultRandom()}. */
    private static final long SEED = 0;

    private Folding() {
    }

    static Sequential copy(Sequential model, String prefix) {
        Sequential out = new Sequential();
        Module previous = null;
        for (int i = 0; i < model.size(); i++) {
            Module m = model.get(i);
            String name = prefix + i;
            if (m instanceof BatchNorm) {
                BatchNorm bn = (BatchNorm) m;
                checkFoldable(bn, name, previous);
                Module merged = out.size() == 0 ? null : out.get(out.size() - 1);
                foldInto(merged, bn);
                previous = m;
                continue;
            }
            boolean foldsNext = i + 1 < model.size() && model.get(i + 1) instanceof BatchNorm;
            out.add(copyOf(m, name, foldsNext));
            previous = m;
        }
        return out;
    }

    private static void checkFoldable(BatchNorm bn, String name, Module previous) {
        String label = bn.typeName() + "(" + bn.numFeatures() + ") '" + name + "'";
        boolean follows = bn instanceof BatchNorm2d ? previous instanceof Conv2d
                : previous instanceof Linear;
        if (!follows) {
            String what = previous == null ? "nothing (it is first in its Sequential)" : previous.typeName();
            throw new IllegalArgumentException("fold: " + label + " follows " + what + ", expected "
                    + (bn instanceof BatchNorm2d ? "a Conv2d" : "a Linear"));
        }
        int features = previous instanceof Conv2d ? ((Conv2d) previous).outChannels() : ((Linear) previous).outFeatures();
        if (features != bn.numFeatures()) {
            throw new IllegalArgumentException("fold: " + label + " has " + bn.numFeatures() + " channels, but the "
                    + previous.typeName() + " before it has " + features + " outputs");
        }
        if (!bn.trackRunningStats()) {
            throw new IllegalArgumentException("fold: " + label + " has no running statistics "
                    + "(track_running_stats=False): it normalises with batch statistics in evaluation too");
        }
    }

    /** Replaces the copied layer's weight and bias by the folded ones. */
    private static void foldInto(Module copied, BatchNorm bn) {
        Tensor weight = copied instanceof Conv2d ? ((Conv2d) copied).weight() : ((Linear) copied).weight();
        Tensor bias = copied instanceof Conv2d ? ((Conv2d) copied).bias() : ((Linear) copied).bias();
        fold(weight, bias, bn, weight, bias);
    }

    /**
     * With {@code s = gamma / sqrt(running_var + eps)} per output channel {@code f}:
     * {@code W'[f, ...] = W[f, ...] * s[f]} and {@code b'[f] = (b[f] - running_mean[f]) * s[f] + beta[f]},
     * in double, rounded to float once. What the layer lacks drops out: gamma 1 and beta 0 (no
     * affine parameter of that kind), running mean 0 (scale-only), {@code s = gamma} without a
     * running variance (mean-only), so a mean-only fold leaves {@code W} exactly as it was.
     * {@code bias} may be null (0); {@code outWeight} and {@code outBias} are written (they may be the inputs).
     */
    static void fold(Tensor weight, Tensor bias, BatchNorm bn, Tensor outWeight, Tensor outBias) {
        int f = weight.dim(0);
        float[] w = weight.toArray();
        float[] b = bias == null ? new float[f] : bias.toArray();
        float[] gamma = bn.weight() == null ? null : bn.weight().toArray();
        float[] beta = bn.bias() == null ? null : bn.bias().toArray();
        float[] mean = bn.runningMean() == null ? null : bn.runningMean().toArray();
        float[] var = bn.runningVar() == null ? null : bn.runningVar().toArray();
        int per = w.length / f;
        float[] w2 = new float[w.length];
        float[] b2 = new float[f];
        for (int o = 0; o < f; o++) {
            double s = (gamma == null ? 1.0 : gamma[o]) / (var == null ? 1.0 : Math.sqrt((double) var[o] + bn.eps()));
            for (int j = 0; j < per; j++) {
                w2[o * per + j] = (float) (w[o * per + j] * s);
            }
            b2[o] = (float) (((double) b[o] - (mean == null ? 0.0 : mean[o])) * s + (beta == null ? 0.0 : beta[o]));
        }
        try (Tape.NoGrad off = Tape.noGrad()) {
            outWeight.copyFrom(Tensor.of(w2, weight.shape().dims()));
            outBias.copyFrom(Tensor.of(b2, f));
        }
    }

    /**
     * A fresh module computing what {@code m} computes, with copies of its tensors; a layer a batch
     * norm will be folded into gets a (zero) bias if it has none.
     */
    private static Module copyOf(Module m, String name, boolean foldsNext) {
        Random rng = new Random(SEED);
        Module copy;
        if (m instanceof Sequential) {
            return copy((Sequential) m, name + ".");
        } else if (m instanceof Conv2d) {
            Conv2d c = (Conv2d) m;
            copy = new Conv2d(c.inChannels(), c.outChannels(), c.kernelSize(), c.stride(), c.padding(), c.dilation(),
                    foldsNext || c.bias() != null, rng);
        } else if (m instanceof Linear) {
            Linear l = (Linear) m;
            copy = new Linear(l.inFeatures(), l.outFeatures(), foldsNext || l.bias() != null, rng);
        } else if (m instanceof MaxPool2d) {
            MaxPool2d p = (MaxPool2d) m;
            copy = new MaxPool2d(p.kernelSize(), p.stride(), p.padding());
        } else if (m instanceof AvgPool2d) {
            AvgPool2d p = (AvgPool2d) m;
            copy = new AvgPool2d(p.kernelSize(), p.stride(), p.padding());
        } else if (m instanceof Sigmoid) {
            copy = new Sigmoid();
        } else if (m instanceof ReLU) {
            copy = new ReLU();
        } else if (m instanceof Flatten) {
            copy = new Flatten(((Flatten) m).startDim(), ((Flatten) m).endDim());
        } else if (m instanceof Dropout) {
            copy = new Dropout(((Dropout) m).p());
        } else {
            throw new IllegalArgumentException("fold: cannot copy " + m.typeName() + " '" + name + "'; fold takes "
                    + "Sequential, Conv2d, Linear, BatchNorm1d/2d, MaxPool2d, AvgPool2d, Sigmoid, ReLU, Flatten and Dropout");
        }
        Module.LoadResult r = copy.loadStateDict(m.stateDict(), false);
        if (!r.missingKeys().isEmpty()) {
            // Only the bias added for folding is missing: folding then adds to zero.
            Init.zeros(copy.namedParameters().get("bias"));
        }
        return copy;
    }
}
