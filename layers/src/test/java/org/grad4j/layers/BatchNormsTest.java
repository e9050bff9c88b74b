package org.grad4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchNorms#recalibrate} against a double-precision oracle (all of a layer's inputs pooled
 * into one array, mean and variance by two plain passes), and {@link BatchNorms#freeze}.
 */
class BatchNormsTest {

    /** Batches of {@code [n, c, 3, 2]} with batch-dependent shifts and scales; the last is smaller. */
    private static List<Tensor> images(int c, int... sizes) {
        Random rng = new Random(12);
        List<Tensor> out = new ArrayList<>();
        for (int b = 0; b < sizes.length; b++) {
            out.add(Tensor.randn(rng, sizes[b], c, 3, 2).mul(1 + b).add(0.5f * b - 1));
        }
        return out;
    }

    /** The oracle: per channel, the mean and unbiased variance of every value of every tensor, in double. */
    static double[][] pooled(List<Tensor> xs) {
        int c = xs.get(0).dim(1);
        double[] sum = new double[c];
        long[] n = new long[c];
        for (Tensor x : xs) {
            float[] v = x.toArray();
            int inner = v.length / (x.dim(0) * c);
            for (int i = 0; i < v.length; i++) {
                int ch = (i / inner) % c;
                sum[ch] += v[i];
                n[ch]++;
            }
        }
        double[] mean = new double[c];
        double[] var = new double[c];
        for (int ch = 0; ch < c; ch++) {
            mean[ch] = sum[ch] / n[ch];
        }
        for (Tensor x : xs) {
            float[] v = x.toArray();
            int inner = v.length / (x.dim(0) * c);
            for (int i = 0; i < v.length; i++) {
                int ch = (i / inner) % c;
                var[ch] += (v[i] - mean[ch]) * (v[i] - mean[ch]);
            }
        }
        for (int ch = 0; ch < c; ch++) {
            var[ch] /= n[ch] - 1;
        }
        return new double[][] {mean, var};
    }

    /** The running statistics equal the oracle's doubles rounded to float (within one float ulp). */
    private static void assertStatistics(String what, double[][] expected, BatchNorm bn) {
        float[] mean = bn.runningMean().toArray();
        float[] var = bn.runningVar().toArray();
        for (int c = 0; c < mean.length; c++) {
            assertEquals(expected[0][c], mean[c], Math.ulp((float) expected[0][c]), what + " mean " + c);
            assertEquals(expected[1][c], var[c], Math.ulp((float) expected[1][c]), what + " var " + c);
        }
    }

    @Test
    void oneLayerGetsTheExactStatisticsOfTheWholeDataset() {
        BatchNorm2d bn = new BatchNorm2d(3);
        List<Tensor> data = images(3, 5, 4, 5, 2);
        assertEquals(4, BatchNorms.recalibrate(bn, data));
        assertStatistics("BatchNorm2d", pooled(data), bn);
        assertEquals(0, bn.numBatchesTracked(), "num_batches_tracked is left as it was");
    }

    @Test
    void exactIsNeitherTheAverageOfBatchVariancesNorAMovingAverage() {
        List<Tensor> data = images(3, 5, 4, 5, 2);
        BatchNorm2d exact = new BatchNorm2d(3);
        BatchNorms.recalibrate(exact, data);
        // PyTorch's momentum=None after resetting: swa_utils.update_bn's result.
        BatchNorm2d averaged = new BatchNorm2d(3, 1e-5, null, true, true);
        try (Tape.NoGrad off = Tape.noGrad()) {
            data.forEach(averaged::forward);
        }
        float[] e = exact.runningVar().toArray();
        float[] a = averaged.runningVar().toArray();
        for (int c = 0; c < 3; c++) {
            assertTrue(Math.abs(e[c] - a[c]) > 0.05 * e[c], "channel " + c + ": " + e[c] + " vs " + a[c]);
        }
    }

    @Test
    void deepLayersSeeInputsNormalisedWithBatchStatistics() {
        Init.manualSeed(7);
        Sequential net = new Sequential(new Conv2d(3, 4, 2), new BatchNorm2d(4), new Sigmoid(), new Flatten(),
                new Linear(4 * 2, 5), new BatchNorm1d(5));
        net.eval();
        List<Tensor> data = images(3, 6, 6, 3);
        // The oracle runs a copy of the net layer by layer in training mode and keeps each BN's inputs.
        Sequential copy = new Sequential(new Conv2d(3, 4, 2), new BatchNorm2d(4), new Sigmoid(), new Flatten(),
                new Linear(4 * 2, 5), new BatchNorm1d(5));
        copy.loadStateDict(net.stateDict(), true);
        List<Tensor> in1 = new ArrayList<>();
        List<Tensor> in5 = new ArrayList<>();
        try (Tape.NoGrad off = Tape.noGrad()) {
            for (Tensor x : data) {
                Tensor h = copy.get(0).forward(x);
                in1.add(h);
                h = copy.get(3).forward(copy.get(2).forward(copy.get(1).forward(h)));
                h = copy.get(4).forward(h);
                in5.add(h);
            }
        }
        BatchNorms.recalibrate(net, data);
        assertStatistics("layer 1", pooled(in1), (BatchNorm) net.get(1));
        assertStatistics("layer 5", pooled(in5), (BatchNorm) net.get(5));
        assertFalse(net.isTraining(), "the training flags are restored");
        assertFalse(net.get(1).isTraining());
    }

    @Test
    void modesParametersAndOtherLayersAreLeftAsTheyWere() {
        Init.manualSeed(8);
        BatchNorm2d frozen = new BatchNorm2d(3);
        BatchNorm2d untracked = new BatchNorm2d(3, 1e-5, 0.1, true, false);
        BatchNorm2d live = new BatchNorm2d(3);
        Sequential net = new Sequential(frozen, new Sigmoid(), untracked, live);
        try (Tape.NoGrad off = Tape.noGrad()) {
            net.forward(images(3, 4).get(0));
        }
        frozen.setFrozen(true);
        net.get(1).eval();
        Map<String, Tensor> before = copyOf(net.stateDict());
        BatchNorms.recalibrate(net, images(3, 4, 4));
        Map<String, Tensor> after = net.stateDict();
        for (String key : before.keySet()) {
            boolean recalibrated = key.equals("3.running_mean") || key.equals("3.running_var");
            assertEquals(!recalibrated, java.util.Arrays.equals(before.get(key).toArray(), after.get(key).toArray()), key);
        }
        assertTrue(net.isTraining());
        assertFalse(net.get(1).isTraining());
        assertTrue(net.get(3).isTraining());
    }

    private static Map<String, Tensor> copyOf(Map<String, Tensor> state) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }

    @Test
    void maxBatchesLimitsThePass() {
        BatchNorm2d bn = new BatchNorm2d(3);
        List<Tensor> data = images(3, 5, 4, 5, 2);
        assertEquals(2, BatchNorms.recalibrate(bn, data, 2));
        assertStatistics("first two batches", pooled(data.subList(0, 2)), bn);
    }

    @Test
    void aFailingBatchLeavesTheModelUntouchedAndLaterTrainingUpdatesAsUsual() {
        BatchNorm2d bn = new BatchNorm2d(3);
        List<Tensor> data = new ArrayList<>(images(3, 4));
        data.add(Tensor.zeros(2, 5, 3, 2));
        assertEquals("BatchNorm2d(3): input [2, 5, 3, 2] has 5 channels, expected 3",
                assertThrows(IllegalArgumentException.class, () -> BatchNorms.recalibrate(bn, data)).getMessage());
        assertArrayEquals(new float[] {0, 0, 0}, bn.runningMean().toArray());
        assertArrayEquals(new float[] {1, 1, 1}, bn.runningVar().toArray());
        assertNull(bn.census);
        bn.forward(data.get(0));
        assertEquals(1, bn.numBatchesTracked());
    }

    @Test
    void aModelWithoutBatchNormIsAnError() {
        assertEquals("recalibrate: Sequential has no BatchNorm layer with running statistics that is not frozen",
                assertThrows(IllegalArgumentException.class,
                        () -> BatchNorms.recalibrate(new Sequential(new Linear(2, 2)), List.of())).getMessage());
    }

    @Test
    void inputsWithoutBatchesAreAnError() {
        BatchNorm2d bn = new BatchNorm2d(3);
        assertEquals("recalibrate: the inputs gave no batch",
                assertThrows(IllegalArgumentException.class, () -> BatchNorms.recalibrate(bn, List.of())).getMessage());
        assertArrayEquals(new float[] {1, 1, 1}, bn.runningVar().toArray());
    }

    @Test
    void maxBatchesMustBePositive() {
        assertEquals("recalibrate: maxBatches must be positive, got 0",
                assertThrows(IllegalArgumentException.class,
                        () -> BatchNorms.recalibrate(new BatchNorm2d(3), images(3, 4), 0)).getMessage());
    }

    /** A module with a batch norm that its forward never calls. */
    private static final class Unused extends Module {
        private final BatchNorm1d used = child("used", new BatchNorm1d(2));
        private final BatchNorm1d spare = child("spare", new BatchNorm1d(2));

        @Override
        public Tensor forward(Tensor x) {
            return used.forward(x);
        }
    }

    @Test
    void aLayerThatSawNoInputIsAnErrorAndNothingIsWritten() {
        Unused m = new Unused();
        assertEquals("recalibrate: BatchNorm1d(2) 'spare' saw no input in 1 batches (is it used by forward?)",
                assertThrows(IllegalArgumentException.class,
                        () -> BatchNorms.recalibrate(m, List.of(Tensor.randn(new Random(1), 4, 2)))).getMessage());
        assertArrayEquals(new float[] {0, 0}, m.used.runningMean().toArray());
    }

    // ---------------------------------------------------------------- freezing

    @Test
    void aFrozenLayerComputesAsInEvaluationAndStaysFrozenThroughTrain() {
        BatchNorm2d bn = new BatchNorm2d(3);
        Tensor x = images(3, 4).get(0);
        bn.forward(x);
        Map<String, Tensor> before = copyOf(bn.stateDict());
        Tensor expected = bn.eval().forward(x);
        assertEquals(1, BatchNorms.freeze(new Sequential(bn)));
        bn.train();
        assertTrue(bn.isFrozen());
        assertFalse(bn.weight().requiresGrad());
        assertFalse(bn.bias().requiresGrad());
        Tensor leaf = x.copy().requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = bn.forward(leaf);
            assertArrayEquals(expected.toArray(), y.toArray());
            y.sum().backward();
        }
        assertNull(bn.weight().grad(), "no gradient for a frozen weight");
        float[] scale = new float[3];
        for (int c = 0; c < 3; c++) {
            scale[c] = (float) (1 / Math.sqrt(bn.runningVar().toArray()[c] + 1e-5));
        }
        assertEquals(scale[1], leaf.grad().get(0, 1, 0, 0), 1e-6, "dy/dx is the fixed scale");
        assertEquals(before.keySet(), bn.stateDict().keySet());
        before.forEach((k, v) -> assertArrayEquals(v.toArray(), bn.stateDict().get(k).toArray(), k));
        bn.setFrozen(false);
        assertTrue(bn.weight().requiresGrad());
        bn.forward(x);
        assertEquals(2, bn.numBatchesTracked());
    }

    @Test
    void freezeChecksEveryLayerFirst() {
        BatchNorm1d tracked = new BatchNorm1d(2);
        Sequential net = new Sequential(tracked, new Sequential(new BatchNorm1d(2, 1e-5, 0.1, true, false)));
        assertEquals("freeze: BatchNorm1d(2) '1.0' has no running statistics (track_running_stats=False) to keep fixed",
                assertThrows(IllegalArgumentException.class, () -> BatchNorms.freeze(net)).getMessage());
        assertFalse(tracked.isFrozen());
        assertEquals("BatchNorm1d(2): cannot freeze a layer without running statistics (track_running_stats=False)",
                assertThrows(IllegalArgumentException.class,
                        () -> new BatchNorm1d(2, 1e-5, 0.1, true, false).setFrozen(true)).getMessage());
    }

    @Test
    void freezingAModelWithoutBatchNormIsAnError() {
        assertEquals("freeze: Sequential has no BatchNorm layer",
                assertThrows(IllegalArgumentException.class, () -> BatchNorms.freeze(new Sequential(new ReLU())))
                        .getMessage());
    }

    @Test
    void momentsOfShardsMergedAreTheWholeDatasetsStatistics() {
        Init.manualSeed(9);
        Sequential net = new Sequential(new Conv2d(3, 4, 2), new BatchNorm2d(4), new Flatten(), new Linear(4 * 2, 5),
                new BatchNorm1d(5));
        List<Tensor> data = images(3, 5, 4, 6, 2, 3);
        Map<String, Tensor> before = new java.util.LinkedHashMap<>();
        net.stateDict().forEach((k, v) -> before.put(k, v.copy()));
        Map<String, PooledMoments> first = BatchNorms.moments(net, data.subList(0, 2), Integer.MAX_VALUE);
        Map<String, PooledMoments> second = BatchNorms.moments(net, data.subList(2, 5), Integer.MAX_VALUE);
        assertEquals(List.of("1", "4"), List.copyOf(first.keySet()));
        before.forEach((k, v) -> assertArrayEquals(v.toArray(), net.stateDict().get(k).toArray(), k + " changed"));
        first.forEach((k, m) -> m.merge(second.get(k)));
        assertEquals(20L * 2 * 1, first.get("1").count());
        Sequential whole = new Sequential(new Conv2d(3, 4, 2), new BatchNorm2d(4), new Flatten(),
                new Linear(4 * 2, 5), new BatchNorm1d(5));
        whole.loadStateDict(net.stateDict(), true);
        BatchNorms.recalibrate(whole, data);
        BatchNorms.setRunningStatistics(net, first);
        for (String key : List.of("1.running_mean", "1.running_var", "4.running_mean", "4.running_var")) {
            float[] expected = whole.stateDict().get(key).toArray();
            float[] actual = net.stateDict().get(key).toArray();
            for (int c = 0; c < expected.length; c++) {
                assertEquals(expected[c], actual[c], 2 * Math.ulp(expected[c]), key + " " + c);
            }
        }
    }

    @Test
    void mergingMomentsOfAnotherChannelCountIsAnError() {
        Map<String, PooledMoments> three = BatchNorms.moments(new BatchNorm2d(3), images(3, 2), 1);
        Map<String, PooledMoments> four = BatchNorms.moments(new BatchNorm2d(4), images(4, 2), 1);
        assertEquals("merge: moments of 4 channels, expected 3",
                assertThrows(IllegalArgumentException.class, () -> three.get("").merge(four.get(""))).getMessage());
    }

    @Test
    void runningStatisticsForAnUnknownLayerOrAnotherChannelCountAreRefusedBeforeAnyWrite() {
        Sequential net = new Sequential(new BatchNorm2d(3), new BatchNorm2d(3));
        PooledMoments three = BatchNorms.moments(new BatchNorm2d(3), images(3, 2), 1).get("");
        PooledMoments four = BatchNorms.moments(new BatchNorm2d(4), images(4, 2), 1).get("");
        Map<String, PooledMoments> unknown = new java.util.LinkedHashMap<>();
        unknown.put("0", three);
        unknown.put("2", three);
        assertEquals("setRunningStatistics: '2' is not a BatchNorm layer of Sequential with running statistics that "
                + "is not frozen; those are [0, 1]",
                assertThrows(IllegalArgumentException.class, () -> BatchNorms.setRunningStatistics(net, unknown))
                        .getMessage());
        Map<String, PooledMoments> wide = new java.util.LinkedHashMap<>();
        wide.put("0", three);
        wide.put("1", four);
        assertEquals("setRunningStatistics: BatchNorm2d(3) '1' got moments of 4 channels over 12 values each, expected "
                + "3 channels over at least 2 values",
                assertThrows(IllegalArgumentException.class, () -> BatchNorms.setRunningStatistics(net, wide))
                        .getMessage());
        assertArrayEquals(new float[] {0, 0, 0}, ((BatchNorm) net.get(0)).runningMean().toArray(), "written");
    }
}
