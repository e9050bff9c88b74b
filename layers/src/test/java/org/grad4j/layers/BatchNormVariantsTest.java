package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.grad4j.core.GradCheck;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mean-only and scale-only batch norms ({@link BatchNorm.Variant}) as layers: what they
 * register and print, training and evaluation against the same math composed from {@link Tensor}
 * ops on the tape, the running statistics under the momentum conventions, gradcheck, state dicts
 * and checkpoints, {@link BatchNorms#recalibrate}, {@link BatchNorms#fold} and
 * {@link BatchNorms#freeze}, and each error. There is no PyTorch golden: PyTorch has no such layers.
 */
class BatchNormVariantsTest {
    private static final BatchNorm.Variant MEAN = BatchNorm.Variant.MEAN_ONLY;
    private static final BatchNorm.Variant SCALE = BatchNorm.Variant.SCALE_ONLY;

    private static BatchNorm layer(int rank, int c, BatchNorm.Variant v) {
        return rank == 4 ? new BatchNorm2d(c, v) : new BatchNorm1d(c, v);
    }

    /** The reduced dimensions of {@code [N, C]} or {@code [N, C, H, W]}, and the shape of a per-channel tensor. */
    private static int[] reduced(Tensor x) {
        return x.rank() == 2 ? new int[] {0} : new int[] {0, 2, 3};
    }

    private static Tensor perChannel(Tensor t, Tensor x) {
        return x.rank() == 2 ? t.reshape(1, x.dim(1)) : t.reshape(1, x.dim(1), 1, 1);
    }

    /**
     * The variant in training mode from Tensor ops: mean-only {@code x - mean(x) + bias},
     * scale-only {@code x / sqrt(mean((x - mean(x))^2) + eps) * weight}.
     */
    private static Tensor composedTraining(BatchNorm bn, Tensor x) {
        Tensor mean = x.mean(reduced(x), true);
        if (bn.variant() == MEAN) {
            return x.sub(mean).add(perChannel(bn.bias(), x));
        }
        Tensor var = x.sub(mean).square().mean(reduced(x), true);
        return x.div(var.add((float) bn.eps()).sqrt()).mul(perChannel(bn.weight(), x));
    }

    /** The variant in evaluation mode from Tensor ops, with the running statistic as a constant. */
    private static Tensor composedEval(BatchNorm bn, Tensor x) {
        if (bn.variant() == MEAN) {
            return x.sub(perChannel(bn.runningMean(), x)).add(perChannel(bn.bias(), x));
        }
        return x.div(perChannel(bn.runningVar(), x).add((float) bn.eps()).sqrt()).mul(perChannel(bn.weight(), x));
    }

    /** {mean, biased variance} per channel of {@code x [N, C, *]}, in double. */
    private static double[][] moments(Tensor x) {
        int c = x.dim(1);
        int inner = x.size() / (x.dim(0) * c);
        int m = x.size() / c;
        float[] v = x.toArray();
        double[] mean = new double[c];
        double[] var = new double[c];
        for (int i = 0; i < v.length; i++) {
            mean[i / inner % c] += v[i] / (double) m;
        }
        for (int i = 0; i < v.length; i++) {
            double d = v[i] - mean[i / inner % c];
            var[i / inner % c] += d * d / m;
        }
        return new double[][] {mean, var};
    }

    private static Tensor vector(double[] v) {
        return BatchNormTest.vector(v);
    }

    /** Output, dx and the parameter's gradient of a forward and backward with upstream {@code dy}. */
    private static Tensor[] step(BatchNorm bn, Tensor x, Tensor dy, boolean composed, boolean eval) {
        Tensor param = bn.variant() == MEAN ? bn.bias() : bn.weight();
        Tensor leaf = x.copy().requiresGrad(true);
        bn.zeroGrad();
        Tensor y;
        try (Tape tape = Tape.record()) {
            y = composed ? (eval ? composedEval(bn, leaf) : composedTraining(bn, leaf)) : bn.forward(leaf);
            y.backward(dy);
        }
        return new Tensor[] {y.detach(), leaf.grad(), param.grad().copy()};
    }

    private static void setParameter(BatchNorm bn, Random rng) {
        try (Tape.NoGrad off = Tape.noGrad()) {
            Tensor p = bn.variant() == MEAN ? bn.bias() : bn.weight();
            p.copyFrom(Tensor.randn(rng, bn.numFeatures()).add(bn.variant() == MEAN ? 0f : 1f));
        }
    }

    @Test
    void eachVariantRegistersOnlyWhatItsFormulaUses() {
        BatchNorm2d mean = new BatchNorm2d(6, MEAN);
        assertEquals(List.of("bias", "running_mean", "num_batches_tracked"), List.copyOf(mean.stateDict().keySet()));
        assertNull(mean.weight());
        assertNull(mean.runningVar());
        assertEquals(List.of(mean.bias()), mean.parameters());
        BatchNorm1d scale = new BatchNorm1d(120, SCALE);
        assertEquals(List.of("weight", "running_var", "num_batches_tracked"), List.copyOf(scale.stateDict().keySet()));
        assertNull(scale.bias());
        assertNull(scale.runningMean());
        assertEquals(List.of("num_batches_tracked"), List.copyOf(scale.integerStateKeys()));
        BatchNorm2d plain = new BatchNorm2d(4, 1e-3, BatchNorm.Momentum.D2L, false, SCALE);
        assertEquals(List.of("running_var", "num_batches_tracked"), List.copyOf(plain.stateDict().keySet()));
        assertFalse(plain.affine());
        assertTrue(plain.trackRunningStats());
        assertEquals(BatchNorm.Variant.FULL, new BatchNorm2d(4).variant());
        assertEquals("BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, variant=mean_only)",
                mean.toString());
        assertEquals("BatchNorm1d(120, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, "
                + "variant=scale_only)", scale.toString());
        assertEquals("BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
                new BatchNorm2d(4).toString(), "FULL prints as PyTorch");
    }

    /**
     * Two training steps of each variant, 1d and 2d, against the composed ops (output, dx, the
     * parameter's gradient), with the running statistic after each step from the batch's moments
     * (PyTorch's convention: the unbiased variance); then evaluation against the composed ops with
     * the running statistic.
     */
    @Test
    void trainingAndEvaluationMatchTheComposedTensorOps() {
        Random rng = new Random(351);
        for (BatchNorm.Variant v : new BatchNorm.Variant[] {MEAN, SCALE}) {
            for (int[] dims : new int[][] {{8, 5}, {4, 3, 5, 6}}) {
                BatchNorm bn = layer(dims.length, dims[1], v);
                setParameter(bn, rng);
                double[] expected = new double[dims[1]];
                java.util.Arrays.fill(expected, v == MEAN ? 0 : 1);
                for (int s = 0; s < 2; s++) {
                    String what = v + " " + java.util.Arrays.toString(dims) + " step " + s;
                    Tensor x = Tensor.randn(rng, dims).mul(2f).add(1.5f);
                    Tensor dy = Tensor.randn(rng, dims);
                    Tensor[] want = step(bn, x, dy, true, false);
                    Tensor[] got = step(bn, x, dy, false, false);
                    assertClose(what + " y", want[0], got[0]);
                    assertClose(what + " dx", want[1], got[1]);
                    assertClose(what + " dparam", want[2], got[2]);
                    double[][] mv = moments(x);
                    int m = x.size() / dims[1];
                    for (int ch = 0; ch < dims[1]; ch++) {
                        double batch = v == MEAN ? mv[0][ch] : mv[1][ch] * m / (m - 1);
                        expected[ch] = 0.9 * expected[ch] + 0.1 * batch;
                    }
                    assertClose(what + " running statistic", vector(expected),
                            v == MEAN ? bn.runningMean() : bn.runningVar(), 1e-6, 1e-5);
                    assertEquals(s + 1, bn.numBatchesTracked());
                }
                bn.eval();
                Tensor x = Tensor.randn(rng, dims);
                Tensor dy = Tensor.randn(rng, dims);
                Tensor[] want = step(bn, x, dy, true, true);
                Tensor[] got = step(bn, x, dy, false, true);
                String what = v + " " + java.util.Arrays.toString(dims) + " eval";
                assertClose(what + " y", want[0], got[0]);
                assertClose(what + " dx", want[1], got[1]);
                assertClose(what + " dparam", want[2], got[2]);
                assertEquals(2, bn.numBatchesTracked(), "evaluation updates nothing");
            }
        }
    }

    @Test
    void theScaleOnlyOutputIsNotCentred() {
        BatchNorm1d bn = new BatchNorm1d(1, SCALE);
        Tensor y = bn.forward(Tensor.of(new float[] {1, 3}, 2, 1));
        // mean 2, biased variance 1: y = x / sqrt(1 + eps).
        assertClose("y", Tensor.of(new float[] {1, 3}, 2, 1).div((float) Math.sqrt(1 + 1e-5)), y);
        assertClose("running_var", Tensor.of(new float[] {0.9f + 0.1f * 2f}, 1), bn.runningVar());
    }

    @Test
    void runningStatisticsFollowTheMomentumConvention() {
        Random rng = new Random(352);
        Tensor a = Tensor.randn(rng, 6, 2, 3, 3);
        Tensor b = Tensor.randn(rng, 6, 2, 3, 3).add(1f);
        // d2l: the weight of the old value, and the biased variance.
        BatchNorm2d d2l = new BatchNorm2d(2, 1e-5, BatchNorm.Momentum.D2L, true, SCALE);
        d2l.forward(a);
        double[] va = moments(a)[1];
        assertClose("d2l running_var", vector(new double[] {0.9 + 0.1 * va[0], 0.9 + 0.1 * va[1]}),
                d2l.runningVar(), 1e-6, 1e-5);
        // Cumulative (PyTorch's momentum=None): the plain mean of the batches' means.
        BatchNorm2d cumulative = new BatchNorm2d(2, 1e-5, BatchNorm.Momentum.cumulative(), true, MEAN);
        cumulative.forward(a);
        cumulative.forward(b);
        double[] ma = moments(a)[0];
        double[] mb = moments(b)[0];
        assertClose("cumulative running_mean", vector(new double[] {(ma[0] + mb[0]) / 2, (ma[1] + mb[1]) / 2}),
                cumulative.runningMean(), 1e-6, 1e-5);
    }

    @Test
    void trainingModePassesGradcheck() {
        Random rng = new Random(353);
        for (BatchNorm.Variant v : new BatchNorm.Variant[] {MEAN, SCALE}) {
            for (int[] dims : new int[][] {{5, 3}, {3, 2, 2, 3}}) {
                BatchNorm bn = layer(dims.length, dims[1], v);
                setParameter(bn, rng);
                Tensor param = v == MEAN ? bn.bias() : bn.weight();
                GradCheck.check(v + " " + bn.typeName(), t -> bn.forward(t[0]),
                        Tensor.randn(rng, dims).requiresGrad(true), param);
            }
        }
    }

    @Test
    void checkpointsRoundTripAndAFullBatchNormsDictDoesNotFit(@TempDir Path dir) throws IOException {
        Random rng = new Random(354);
        Sequential net = new Sequential(new BatchNorm2d(3, MEAN), new BatchNorm2d(3, SCALE));
        net.forward(Tensor.randn(rng, 4, 3, 2, 2).mul(3f).add(1f));
        Path file = dir.resolve("lite.safetensors");
        StateDicts.save(net, file);
        Sequential fresh = new Sequential(new BatchNorm2d(3, MEAN), new BatchNorm2d(3, SCALE));
        assertEquals(new Module.LoadResult(List.of(), List.of()), StateDicts.load(fresh, file, true));
        net.stateDict().forEach((k, t) -> assertArrayEquals(t.toArray(), fresh.stateDict().get(k).toArray(), k));
        assertEquals(1, ((BatchNorm) fresh.get(1)).numBatchesTracked());
        Map<String, Tensor> full = new BatchNorm2d(3).stateDict();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BatchNorm2d(3, MEAN).loadStateDict(full, true));
        assertEquals("Error(s) in loading state_dict for BatchNorm2d:\n"
                + "\tUnexpected key(s) in state_dict: \"weight\", \"running_var\".", e.getMessage());
    }

    @Test
    void recalibrationSetsTheStatisticEachVariantKeeps() {
        Random rng = new Random(355);
        List<Tensor> batches = List.of(Tensor.randn(rng, 5, 2, 3, 3).add(2f), Tensor.randn(rng, 3, 2, 3, 3).mul(2f));
        double[][] pooled = BatchNormsTest.pooled(batches);
        for (BatchNorm.Variant v : new BatchNorm.Variant[] {MEAN, SCALE}) {
            Sequential net = new Sequential(new BatchNorm2d(2, v));
            net.eval();
            assertEquals(2, BatchNorms.recalibrate(net, batches));
            BatchNorm bn = (BatchNorm) net.get(0);
            if (v == MEAN) {
                assertClose("recalibrated running_mean", vector(pooled[0]), bn.runningMean(), 1e-6, 1e-6);
            } else {
                assertClose("recalibrated running_var", vector(pooled[1]), bn.runningVar(), 1e-6, 1e-6);
            }
            assertEquals(0, bn.numBatchesTracked());
            assertFalse(bn.isTraining(), "the mode is restored");
        }
    }

    /** A conv and a linear layer, each followed by a variant, with trained statistics and parameters. */
    private static Sequential trainedNet(BatchNorm.Variant conv, BatchNorm.Variant linear) {
        Random rng = new Random(356);
        Sequential net = new Sequential(new Conv2d(1, 3, 3, 1, 1, true, rng), new BatchNorm2d(3, conv), new Sigmoid(),
                new Flatten(), new Linear(3 * 4 * 4, 5, true, rng), new BatchNorm1d(5, linear));
        for (Module m : net.modules()) {
            if (m instanceof BatchNorm) {
                setParameter((BatchNorm) m, rng);
            }
        }
        for (int s = 0; s < 3; s++) {
            net.forward(Tensor.randn(rng, 8, 1, 4, 4).mul(2f).add(0.5f));
        }
        return net.eval();
    }

    @Test
    void foldingIsExactForBothVariants() {
        Random rng = new Random(357);
        for (BatchNorm.Variant[] vs : new BatchNorm.Variant[][] {{MEAN, SCALE}, {SCALE, MEAN}}) {
            Sequential net = trainedNet(vs[0], vs[1]);
            Sequential folded = BatchNorms.fold(net);
            assertEquals(4, folded.size());
            Tensor x = Tensor.randn(rng, 4, 1, 4, 4);
            assertClose(vs[0] + "/" + vs[1] + " folded", net.forward(x), folded.forward(x), 1e-5, 1e-5);
            int mean = vs[0] == MEAN ? 0 : 4;
            int foldedMean = vs[0] == MEAN ? 0 : 3;
            assertArrayEquals(net.get(mean).namedParameters().get("weight").toArray(),
                    folded.get(foldedMean).namedParameters().get("weight").toArray(),
                    "a mean-only fold leaves the weight as it was");
        }
    }

    @Test
    void freezingUsesTheRunningStatisticInTrainingMode() {
        Sequential net = trainedNet(MEAN, SCALE);
        Tensor x = Tensor.randn(new Random(358), 4, 1, 4, 4);
        Tensor eval = net.forward(x);
        Map<String, float[]> before = new java.util.HashMap<>();
        net.stateDict().forEach((k, t) -> before.put(k, t.toArray()));
        assertEquals(2, BatchNorms.freeze(net));
        net.train();
        assertArrayEquals(eval.toArray(), net.forward(x).toArray(), "frozen: the running statistics");
        net.stateDict().forEach((k, t) -> assertArrayEquals(before.get(k), t.toArray(), k));
        assertFalse(((BatchNorm) net.get(1)).bias().requiresGrad());
        assertFalse(((BatchNorm) net.get(5)).weight().requiresGrad());
        ((BatchNorm) net.get(1)).setFrozen(false);
        assertTrue(((BatchNorm) net.get(1)).bias().requiresGrad());
    }

    @Test
    void meanOnlyTrainsOnOneValuePerChannel() {
        BatchNorm1d bn = new BatchNorm1d(2, MEAN);
        assertEquals(Optional.empty(), bn.trainingBatchProblem(1));
        try (Tape.NoGrad off = Tape.noGrad()) {
            bn.bias().copyFrom(Tensor.of(new float[] {0.5f, -1f}, 2));
        }
        assertArrayEquals(new float[] {0.5f, -1f}, bn.forward(Tensor.of(new float[] {3, 4}, 1, 2)).toArray());
        assertArrayEquals(new float[] {0.3f, 0.4f}, bn.runningMean().toArray());
    }

    // ------------------------------------------------------------------ errors

    @Test
    void scaleOnlyRefusesABatchOfOneBeforeAndDuringTraining() {
        BatchNorm1d bn = new BatchNorm1d(4, SCALE);
        assertEquals(Optional.of("needs at least 2 examples per training batch"), bn.trainingBatchProblem(1));
        assertEquals(Optional.empty(), bn.trainingBatchProblem(2));
        assertEquals("Expected more than 1 value per channel when training, got input size [1, 4]",
                assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.ones(1, 4))).getMessage());
        assertEquals(0, bn.numBatchesTracked());
        assertArrayEquals(new float[] {1, 1, 1, 1}, bn.runningVar().toArray(), "nothing updated");
    }

    @Test
    void wrongChannelCount() {
        assertEquals("BatchNorm2d(6): input [2, 3, 5, 5] has 3 channels, expected 6",
                assertThrows(IllegalArgumentException.class,
                        () -> new BatchNorm2d(6, MEAN).forward(Tensor.zeros(2, 3, 5, 5))).getMessage());
        assertEquals("BatchNorm1d(6): input [4, 5] has 5 channels, expected 6",
                assertThrows(IllegalArgumentException.class,
                        () -> new BatchNorm1d(6, SCALE).eval().forward(Tensor.zeros(4, 5))).getMessage());
    }

    @Test
    void nullVariant() {
        assertEquals("BatchNorm2d: variant is null",
                assertThrows(NullPointerException.class, () -> new BatchNorm2d(3, null)).getMessage());
    }

    @Test
    void torchvisionsFrozenLayerTakesOnlyFullBatchNorm() {
        assertEquals("FrozenBatchNorm2d.of: BatchNorm2d(3) is MEAN_ONLY, expected FULL (FrozenBatchNorm2d normalises "
                + "with a mean and a variance; BatchNorms.freeze freezes any variant)",
                assertThrows(IllegalArgumentException.class,
                        () -> FrozenBatchNorm2d.of(new BatchNorm2d(3, MEAN))).getMessage());
    }
}
