package org.grad4j.core;

import java.util.Arrays;
import org.grad4j.core.kernels.NormKernels;

/**
 * Batch normalisation (training with batch statistics, inference with given statistics), group
 * normalisation and layer normalisation, each one tape entry with a closed-form backward.
 */
final class Normalization {
    private Normalization() {
    }

    static Functional.BatchNormResult batchNormTraining(Tensor x, Tensor gamma, Tensor beta, double eps) {
        String op = "batchNormTraining";
        int[] ncs = channels(op, x);
        int n = ncs[0];
        int c = ncs[1];
        int s = ncs[2];
        checkPerChannel(op, "gamma", gamma, c, x);
        checkPerChannel(op, "beta", beta, c, x);
        checkEps(op, eps);
        checkMoreThanOneValue(x, ncs);
        double[] mean = new double[c];
        double[] var = new double[c];
        double[] invstd = new double[c];
        float[] y = new float[x.size()];
        NormKernels.trainingForward(x.data, n, c, s, eps, data(gamma), data(beta), mean, var, invstd, y);
        Tensor out = Tensor.fresh(y, x.shape);
        record("batchNormTraining", out, x, gamma, beta, n, c, s, mean, invstd, NormKernels.Mode.FULL);
        return result(out, mean, var);
    }

    /** The output with the statistics rounded to float, {@code [C]} each. */
    private static Functional.BatchNormResult result(Tensor out, double[] mean, double[] var) {
        int c = mean.length;
        float[] meanOut = new float[c];
        float[] varOut = new float[c];
        for (int ch = 0; ch < c; ch++) {
            meanOut[ch] = (float) mean[ch];
            varOut[ch] = (float) var[ch];
        }
        return new Functional.BatchNormResult(out, Tensor.fresh(meanOut, Shape.of(c)), Tensor.fresh(varOut, Shape.of(c)));
    }

    static Tensor batchNormInference(Tensor x, Tensor runningMean, Tensor runningVar, Tensor gamma, Tensor beta,
                                     double eps) {
        String op = "batchNormInference";
        int c = channels(op, x)[1];
        if (runningMean == null || runningVar == null) {
            throw new IllegalArgumentException(op + ": running mean and running variance are required, got "
                    + (runningMean == null ? "null" : runningMean.shape) + " and "
                    + (runningVar == null ? "null" : runningVar.shape));
        }
        checkPerChannel(op, "running mean", runningMean, c, x);
        checkPerChannel(op, "running variance", runningVar, c, x);
        checkPerChannel(op, "gamma", gamma, c, x);
        checkPerChannel(op, "beta", beta, c, x);
        checkEps(op, eps);
        double[] mean = new double[c];
        double[] invstd = new double[c];
        for (int ch = 0; ch < c; ch++) {
            mean[ch] = runningMean.data[ch];
            invstd[ch] = 1.0 / Math.sqrt(runningVar.data[ch] + eps);
        }
        return fixedStatistics(op, x, gamma, beta, mean, invstd);
    }

    /**
     * Mean-only batch norm with batch statistics: {@code y = x - mean + beta}. The variance is
     * computed too (the layer's caller may want it) but not used.
     */
    static Functional.BatchNormResult meanOnlyBatchNormTraining(Tensor x, Tensor beta) {
        String op = "meanOnlyBatchNormTraining";
        int[] ncs = channels(op, x);
        checkPerChannel(op, "beta", beta, ncs[1], x);
        return partialTraining(op, x, ncs, null, beta, 0, NormKernels.Mode.MEAN_ONLY);
    }

    /** Scale-only batch norm with batch statistics: {@code y = x / sqrt(var + eps) * gamma}. */
    static Functional.BatchNormResult scaleOnlyBatchNormTraining(Tensor x, Tensor gamma, double eps) {
        String op = "scaleOnlyBatchNormTraining";
        int[] ncs = channels(op, x);
        checkPerChannel(op, "gamma", gamma, ncs[1], x);
        checkEps(op, eps);
        checkMoreThanOneValue(x, ncs);
        return partialTraining(op, x, ncs, gamma, null, eps, NormKernels.Mode.SCALE_ONLY);
    }

    /**
     * The statistics, then {@link NormKernels#normalize} with what the mode subtracts (the mean or
     * nothing) and divides by (the standard deviation or nothing), recorded with the batch mean
     * that the mode's backward differentiates through.
     */
    private static Functional.BatchNormResult partialTraining(String op, Tensor x, int[] ncs, Tensor gamma,
                                                              Tensor beta, double eps, NormKernels.Mode mode) {
        int n = ncs[0];
        int c = ncs[1];
        int s = ncs[2];
        double[] mean = new double[c];
        double[] var = new double[c];
        NormKernels.channelStats(x.data, n, c, s, mean, var);
        double[] invstd = new double[c];
        for (int ch = 0; ch < c; ch++) {
            invstd[ch] = mode == NormKernels.Mode.SCALE_ONLY ? 1.0 / Math.sqrt(var[ch] + eps) : 1.0;
        }
        double[] subtracted = mode == NormKernels.Mode.SCALE_ONLY ? new double[c] : mean;
        float[] y = new float[x.size()];
        NormKernels.normalize(x.data, n, c, s, subtracted, invstd, data(gamma), data(beta), y);
        Tensor out = Tensor.fresh(y, x.shape);
        record(op, out, x, gamma, beta, n, c, s, mean, invstd, mode);
        return result(out, mean, var);
    }

    /** Mean-only batch norm with a given mean: {@code y = x - runningMean + beta}. */
    static Tensor meanOnlyBatchNormInference(Tensor x, Tensor runningMean, Tensor beta) {
        String op = "meanOnlyBatchNormInference";
        int[] ncs = channels(op, x);
        int c = ncs[1];
        checkStatistic(op, "running mean", runningMean, c, x);
        checkPerChannel(op, "beta", beta, c, x);
        double[] mean = new double[c];
        double[] invstd = new double[c];
        for (int ch = 0; ch < c; ch++) {
            mean[ch] = runningMean.data[ch];
            invstd[ch] = 1.0;
        }
        return fixedStatistics(op, x, null, beta, mean, invstd);
    }

    /** Scale-only batch norm with a given variance: {@code y = x / sqrt(runningVar + eps) * gamma}. */
    static Tensor scaleOnlyBatchNormInference(Tensor x, Tensor runningVar, Tensor gamma, double eps) {
        String op = "scaleOnlyBatchNormInference";
        int[] ncs = channels(op, x);
        int c = ncs[1];
        checkStatistic(op, "running variance", runningVar, c, x);
        checkPerChannel(op, "gamma", gamma, c, x);
        checkEps(op, eps);
        double[] invstd = new double[c];
        for (int ch = 0; ch < c; ch++) {
            invstd[ch] = 1.0 / Math.sqrt(runningVar.data[ch] + eps);
        }
        return fixedStatistics(op, x, gamma, null, new double[c], invstd);
    }

    /** {@code y = (x - mean) * invstd * gamma + beta} with constant statistics, recorded. */
    private static Tensor fixedStatistics(String op, Tensor x, Tensor gamma, Tensor beta, double[] mean,
                                          double[] invstd) {
        int[] ncs = channels(op, x);
        float[] y = new float[x.size()];
        NormKernels.normalize(x.data, ncs[0], ncs[1], ncs[2], mean, invstd, data(gamma), data(beta), y);
        Tensor out = Tensor.fresh(y, x.shape);
        return record(op, out, x, gamma, beta, ncs[0], ncs[1], ncs[2], mean, invstd, NormKernels.Mode.FIXED);
    }

    /** Records a batch-norm entry on inputs {@code x, gamma?, beta?} (the null ones left out). */
    private static Tensor record(String op, Tensor out, Tensor x, Tensor gamma, Tensor beta, int n, int c, int s,
                                 double[] mean, double[] invstd, NormKernels.Mode mode) {
        int ig = gamma == null ? -1 : 1;
        int ib = beta == null ? -1 : gamma == null ? 1 : 2;
        Tensor[] inputs = inputs(x, gamma, beta);
        float[] gammaData = data(gamma);
        return Tape.recordAssigningOp(op, out, (g, gi, assign) -> NormKernels.backward(x.data, g, n, c, s, mean,
                invstd, gammaData, mode, gi[0], ig < 0 ? null : gi[ig], ib < 0 ? null : gi[ib], assign), inputs);
    }

    static Functional.BatchNormResult groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, double eps) {
        String op = "groupNorm";
        int[] ncs = channels(op, x);
        int n = ncs[0];
        int c = ncs[1];
        int s = ncs[2];
        if (groups < 1 || c % groups != 0) {
            throw new IllegalArgumentException(op + ": num_channels must be divisible by num_groups, got "
                    + c + " channels (input " + x.shape + ") and " + groups + " groups");
        }
        checkPerChannel(op, "weight", weight, c, x);
        checkPerChannel(op, "bias", bias, c, x);
        checkEps(op, eps);
        // Each (image, group) holds C/G contiguous planes: batch norm's statistics over a batch of
        // one with N*G channels of (C/G)*S values each.
        int rows = n * groups;
        int len = c / groups * s;
        double[] mean = new double[rows];
        double[] var = new double[rows];
        double[] invstd = new double[rows];
        float[] xhat = new float[x.size()];
        NormKernels.trainingForward(x.data, 1, rows, len, eps, null, null, mean, var, invstd, xhat);
        float[] wd = data(weight);
        float[] bd = data(bias);
        float[] y = xhat;
        if (wd != null || bd != null) {
            y = new float[xhat.length];
            for (int p = 0; p < n * c; p++) {
                float k = wd == null ? 1f : wd[p % c];
                float b = bd == null ? 0f : bd[p % c];
                for (int i = p * s, end = i + s; i < end; i++) {
                    y[i] = xhat[i] * k + b;
                }
            }
        }
        float[] meanOut = new float[rows];
        float[] varOut = new float[rows];
        for (int r = 0; r < rows; r++) {
            meanOut[r] = (float) mean[r];
            varOut[r] = (float) var[r];
        }
        Tensor out = Tensor.fresh(y, x.shape);
        int iw = weight == null ? -1 : 1;
        int ib = bias == null ? -1 : weight == null ? 1 : 2;
        Tensor[] inputs = inputs(x, weight, bias);
        float[] xs = x.data;
        Tape.recordAssigningOp(op, out, (g, gi, assign) -> groupNormBackward(xs, xhat, g, n, c, s, rows, len, mean,
                invstd, wd, gi[0], iw < 0 ? null : gi[iw], ib < 0 ? null : gi[ib], assign), inputs);
        return new Functional.BatchNormResult(out, Tensor.fresh(meanOut, Shape.of(n, groups)),
                Tensor.fresh(varOut, Shape.of(n, groups)));
    }

    /**
     * With {@code y = xhat * w[c] + b[c]}: {@code dw[c] += sum dy xhat}, {@code db[c] += sum dy}
     * (over images and positions, in double, in a fixed order), and {@code dx} is batch norm's
     * closed form ({@link NormKernels#backward}, without affine) on the groups, fed
     * {@code dxhat = dy * w[c]}.
     */
    private static void groupNormBackward(float[] x, float[] xhat, float[] g, int n, int c, int s, int rows, int len,
                                          double[] mean, double[] invstd, float[] w, float[] gx, float[] gw,
                                          float[] gb, boolean assign) {
        if (gw != null || gb != null) {
            double[] accW = new double[c];
            double[] accB = new double[c];
            for (int p = 0; p < n * c; p++) {
                double sw = 0;
                double sb = 0;
                for (int i = p * s, end = i + s; i < end; i++) {
                    sw += (double) g[i] * xhat[i];
                    sb += g[i];
                }
                accW[p % c] += sw;
                accB[p % c] += sb;
            }
            for (int ch = 0; ch < c; ch++) {
                if (gw != null) {
                    gw[ch] += (float) accW[ch];
                }
                if (gb != null) {
                    gb[ch] += (float) accB[ch];
                }
            }
        }
        if (gx == null) {
            return;
        }
        float[] dxhat = g;
        if (w != null) {
            dxhat = new float[g.length];
            for (int p = 0; p < n * c; p++) {
                float k = w[p % c];
                for (int i = p * s, end = i + s; i < end; i++) {
                    dxhat[i] = g[i] * k;
                }
            }
        }
        NormKernels.backward(x, dxhat, 1, rows, len, mean, invstd, null, true, gx, null, null, assign);
    }

    static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        String op = "layerNorm";
        if (normalizedShape == null || normalizedShape.length == 0) {
            throw new IllegalArgumentException(op + ": normalized shape must have at least one dimension, got "
                    + (normalizedShape == null ? "null" : Arrays.toString(normalizedShape)));
        }
        int k = normalizedShape.length;
        int r = x.rank();
        boolean match = r >= k;
        for (int i = 0; match && i < k; i++) {
            match = x.dim(r - k + i) == normalizedShape[i];
        }
        String ns = Arrays.toString(normalizedShape);
        if (!match) {
            throw new IllegalArgumentException(op + ": normalized shape " + ns + " expects an input [*, "
                    + ns.substring(1) + ", got " + x.shape);
        }
        Shape expected = Shape.of(normalizedShape);
        if (weight != null && !weight.shape.equals(expected)) {
            throw new IllegalArgumentException(op + ": weight " + weight.shape + " does not match normalized shape "
                    + ns);
        }
        if (bias != null && !bias.shape.equals(expected)) {
            throw new IllegalArgumentException(op + ": bias " + bias.shape + " does not match normalized shape " + ns);
        }
        checkEps(op, eps);
        int d = expected.size();
        int rows = d == 0 ? 0 : x.size() / d;
        float[] xs = x.data;
        float[] wd = data(weight);
        float[] bd = data(bias);
        double[] mean = new double[rows];
        double[] rstd = new double[rows];
        float[] y = new float[x.size()];
        for (int row = 0; row < rows; row++) {
            int o = row * d;
            double sum = 0;
            for (int j = 0; j < d; j++) {
                sum += xs[o + j];
            }
            double mu = sum / d;
            double sq = 0;
            for (int j = 0; j < d; j++) {
                double dev = xs[o + j] - mu;
                sq += dev * dev;
            }
            double rs = 1.0 / Math.sqrt(sq / d + eps);
            mean[row] = mu;
            rstd[row] = rs;
            float m = (float) mu;
            float rsf = (float) rs;
            for (int j = 0; j < d; j++) {
                float v = (xs[o + j] - m) * rsf;
                if (wd != null) {
                    v *= wd[j];
                }
                if (bd != null) {
                    v += bd[j];
                }
                y[o + j] = v;
            }
        }
        Tensor out = Tensor.fresh(y, x.shape);
        int iw = weight == null ? -1 : 1;
        int ib = bias == null ? -1 : weight == null ? 1 : 2;
        Tensor[] inputs = inputs(x, weight, bias);
        return Tape.recordOp(op, out, (g, gi) -> layerNormBackward(xs, g, rows, d, mean, rstd, wd, gi[0],
                iw < 0 ? null : gi[iw], ib < 0 ? null : gi[ib]), inputs);
    }

    /**
     * With {@code xhat = (x - mean) rstd} per row of {@code d} values and {@code dxhat = dy * w}:
     * {@code dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat))} (the batch-norm closed form
     * along the other axis), {@code dw += sum_rows dy xhat}, {@code db += sum_rows dy}.
     */
    private static void layerNormBackward(float[] x, float[] g, int rows, int d, double[] mean, double[] rstd,
                                          float[] w, float[] gx, float[] gw, float[] gb) {
        double[] accW = gw == null ? null : new double[d];
        double[] accB = gb == null ? null : new double[d];
        for (int row = 0; row < rows; row++) {
            int o = row * d;
            double mu = mean[row];
            double rs = rstd[row];
            double sumG = 0;
            double sumGX = 0;
            for (int j = 0; j < d; j++) {
                double xhat = (x[o + j] - mu) * rs;
                double gj = g[o + j];
                if (accW != null) {
                    accW[j] += gj * xhat;
                }
                if (accB != null) {
                    accB[j] += gj;
                }
                double dxhat = w == null ? gj : gj * w[j];
                sumG += dxhat;
                sumGX += dxhat * xhat;
            }
            if (gx != null) {
                double meanG = sumG / d;
                double meanGX = sumGX / d;
                for (int j = 0; j < d; j++) {
                    double xhat = (x[o + j] - mu) * rs;
                    double dxhat = w == null ? g[o + j] : (double) g[o + j] * w[j];
                    gx[o + j] += (float) (rs * (dxhat - meanG - xhat * meanGX));
                }
            }
        }
        if (accW != null) {
            for (int j = 0; j < d; j++) {
                gw[j] += (float) accW[j];
            }
        }
        if (accB != null) {
            for (int j = 0; j < d; j++) {
                gb[j] += (float) accB[j];
            }
        }
    }

    /** {@code {x, a, b}} without the null ones: an op's inputs with optional affine parameters. */
    private static Tensor[] inputs(Tensor x, Tensor a, Tensor b) {
        Tensor[] inputs = new Tensor[1 + (a == null ? 0 : 1) + (b == null ? 0 : 1)];
        inputs[0] = x;
        if (a != null) {
            inputs[1] = a;
        }
        if (b != null) {
            inputs[inputs.length - 1] = b;
        }
        return inputs;
    }

    /** {@code {N, C, S}} for an input {@code [N, C, *]}. */
    private static int[] channels(String op, Tensor x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException(op + ": expected an input [N, C], [N, C, L] or [N, C, H, W], got "
                    + x.shape);
        }
        int[] d = x.shape.dimsView();
        int s = 1;
        for (int i = 2; i < d.length; i++) {
            s *= d[i];
        }
        return new int[] {d[0], d[1], s};
    }

    /** PyTorch's refusal of training batch statistics over a single value per channel. */
    private static void checkMoreThanOneValue(Tensor x, int[] ncs) {
        if ((long) ncs[0] * ncs[2] == 1) {
            throw new IllegalArgumentException("Expected more than 1 value per channel when training, got input size "
                    + x.shape);
        }
    }

    /** A statistic an inference op needs: present and {@code [C]}. */
    private static void checkStatistic(String op, String name, Tensor t, int c, Tensor x) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": the " + name + " is required, got null");
        }
        checkPerChannel(op, name, t, c, x);
    }

    private static void checkPerChannel(String op, String name, Tensor t, int c, Tensor x) {
        if (t != null && (t.rank() != 1 || t.dim(0) != c)) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape + " does not match the " + c
                    + " channels of input " + x.shape);
        }
    }

    private static void checkEps(String op, double eps) {
        if (!(eps >= 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and >= 0, got " + eps);
        }
    }

    private static float[] data(Tensor t) {
        return t == null ? null : t.data;
    }
}
