package org.grad4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.layers.BatchNorm1d;
import org.grad4j.layers.BatchNorms;
import org.grad4j.layers.Linear;
import org.grad4j.layers.Module;
import org.grad4j.layers.ReLU;
import org.grad4j.layers.Sequential;
import org.grad4j.train.EpochMetrics;
import org.grad4j.train.Optimizer;
import org.grad4j.train.SGD;
import org.junit.jupiter.api.Test;

class SparkTrainerTest {
    private static final OptimizerFactory PLAIN = params -> new SGD(params, 0.1);
    private static final OptimizerFactory MOMENTUM =
            params -> new SGD(params, SGD.options(0.05).momentum(0.9).weightDecay(1e-3));

    /**
     * Single-process training on the global batches the Spark run uses: step t of epoch e takes,
     * from each partition in order, rows [t b, (t+1) b) of that partition's permutation. With
     * {@code perShard}, each partition's rows go through the model separately (each batch-norm
     * normalises one shard) and the loss is the mean of the shards' mean losses; otherwise the rows
     * are one batch.
     */
    private static Module singleProcess(ModelFactory factory, List<List<Example>> shards,
                                        OptimizerFactory opt, int batch, int epochs, long seed,
                                        boolean perShard) {
        Module net = factory.create();
        Optimizer optimizer = opt.create(net.parameters());
        int steps = shards.stream().mapToInt(List::size).min().orElseThrow() / batch;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            for (int t = 0; t < steps; t++) {
                List<List<Example>> parts = new ArrayList<>();
                for (int p = 0; p < shards.size(); p++) {
                    int[] order = Replica.permutation(seed, epoch, p, shards.get(p).size());
                    List<Example> part = new ArrayList<>();
                    for (int i = t * batch; i < (t + 1) * batch; i++) {
                        part.add(shards.get(p).get(order[i]));
                    }
                    parts.add(part);
                }
                if (!perShard) {
                    List<Example> global = new ArrayList<>();
                    parts.forEach(global::addAll);
                    parts = List.of(global);
                }
                optimizer.zeroGrad();
                try (Tape tape = Tape.record()) {
                    Tensor loss = null;
                    for (List<Example> part : parts) {
                        int[] rows = new int[part.size()];
                        Arrays.setAll(rows, i -> i);
                        int[] labels = part.stream().mapToInt(Example::label).toArray();
                        Tensor l = Functional.crossEntropy(net.forward(LocalSpark.features(part, rows)), labels);
                        loss = loss == null ? l : loss.add(l);
                    }
                    (parts.size() == 1 ? loss : loss.div(parts.size())).backward();
                }
                optimizer.step();
            }
        }
        return net;
    }

    private static Module singleProcess(List<List<Example>> shards, OptimizerFactory opt, int batch,
                                        int epochs, long seed) {
        return singleProcess(LocalSpark::mlp, shards, opt, batch, epochs, seed, false);
    }

    private static void assertClose(float[] expected, float[] actual, float tolerance) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance * Math.max(1, Math.abs(expected[i])), "parameter " + i);
        }
    }

    private static JavaRDD<Example> rdd(List<Example> examples, int partitions) {
        return LocalSpark.context().parallelize(examples, partitions);
    }

    @Test
    void onePartitionIsSingleProcessTrainingBitForBit() {
        JavaRDD<Example> data = rdd(LocalSpark.examples(40, 1), 1);
        SparkTrainer trainer = new SparkTrainer(LocalSpark::mlp, MOMENTUM, 4).withSeed(7);
        List<EpochMetrics> history = trainer.fit(data, 8, 2);
        Module expected = singleProcess(data.glom().collect(), MOMENTUM, 8, 2, 7);
        assertEquals(2, history.size());
        assertArrayEquals(LocalSpark.flat(expected), LocalSpark.flat(trainer.model()));
    }

    @Test
    void twoPartitionsEqualSingleProcessOnTheGlobalBatch() {
        JavaRDD<Example> data = rdd(LocalSpark.examples(64, 2), 2);
        SparkTrainer trainer = new SparkTrainer(LocalSpark::mlp, PLAIN, 4).withSeed(3);
        trainer.fit(data, 8, 3); // 4 steps per epoch, 12 steps of a global batch of 16
        float[] expected = LocalSpark.flat(singleProcess(data.glom().collect(), PLAIN, 8, 3, 3));
        float[] actual = LocalSpark.flat(trainer.model());
        float[] initial = LocalSpark.flat(LocalSpark.mlp());
        assertClose(expected, actual, 2e-6f);
        assertTrue(!Arrays.equals(initial, actual), "training changed nothing");
    }

    @Test
    void sameBitsEveryRun() {
        JavaRDD<Example> data = rdd(LocalSpark.examples(60, 4), 3);
        SparkTrainer a = new SparkTrainer(LocalSpark::mlp, MOMENTUM, 4);
        SparkTrainer b = new SparkTrainer(LocalSpark::mlp, MOMENTUM, 4);
        List<EpochMetrics> ha = a.fit(data, 5, 2);
        List<EpochMetrics> hb = b.fit(data, 5, 2);
        assertArrayEquals(LocalSpark.flat(a.model()), LocalSpark.flat(b.model()));
        assertEquals(ha.get(1).trainLoss(), hb.get(1).trainLoss());
    }

    /** Counts forward passes in partition 1's first attempts and throws at the chosen one. */
    static final class FailingOnce extends Module {
        static final AtomicInteger COUNTDOWN = new AtomicInteger(-1);
        private final Module inner = child("inner", LocalSpark.mlp());

        @Override
        public Tensor forward(Tensor x) {
            TaskContext task = TaskContext.get();
            if (task != null && task.partitionId() == 1 && task.attemptNumber() == 0
                    && COUNTDOWN.getAndDecrement() == 0) {
                throw new IllegalStateException("injected failure");
            }
            return inner.forward(x);
        }
    }

    @Test
    void aFailedTaskIsRetriedWithTheSameResult() {
        JavaRDD<Example> data = rdd(LocalSpark.examples(48, 5), 2);
        SparkTrainer clean = new SparkTrainer(FailingOnce::new, MOMENTUM, 4);
        FailingOnce.COUNTDOWN.set(-1);
        clean.fit(data, 6, 2);
        FailingOnce.COUNTDOWN.set(2); // the third step's task of partition 1 fails on its first attempt
        SparkTrainer retried = new SparkTrainer(FailingOnce::new, MOMENTUM, 4);
        retried.fit(data, 6, 2);
        assertTrue(FailingOnce.COUNTDOWN.get() < 0, "the failure was not injected");
        assertArrayEquals(LocalSpark.flat(clean.model()), LocalSpark.flat(retried.model()));
    }

    private static void assertRefused(SparkTrainer trainer, JavaRDD<Example> data, int batch, String message) {
        float[] before = LocalSpark.flat(trainer.model());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(data, batch, 1));
        assertEquals(message, e.getMessage());
        assertArrayEquals(before, LocalSpark.flat(trainer.model()), "trained although refused");
    }

    @Test
    void anEmptyPartitionIsRefusedBeforeTraining() {
        List<Example> some = LocalSpark.examples(10, 6);
        JavaRDD<Example> data = rdd(some, 1).union(rdd(List.of(), 1));
        assertRefused(new SparkTrainer(LocalSpark::mlp, PLAIN, 4), data, 4,
                "SparkTrainer: partition 1 holds 0 examples, fewer than the batch of 4 per partition");
    }

    @Test
    void examplesOfAnotherShapeAreRefusedBeforeTraining() {
        List<Example> some = new ArrayList<>(LocalSpark.examples(10, 7));
        some.set(8, new Example(new float[5], 1));
        assertRefused(new SparkTrainer(LocalSpark::mlp, PLAIN, 4), rdd(some, 2), 4,
                "SparkTrainer: example 3 of partition 1 has 5 features, expected 4 (input shape [4])");
    }

    @Test
    void aLabelOutsideTheModelsOutputsIsRefusedBeforeTraining() {
        List<Example> some = new ArrayList<>(LocalSpark.examples(10, 7));
        some.set(2, new Example(new float[4], 3));
        assertRefused(new SparkTrainer(LocalSpark::mlp, PLAIN, 4), rdd(some, 2), 4,
                "SparkTrainer: example 2 of partition 0 has label 3, expected 0 to 2 (the model has 3 outputs)");
    }

    /** A factory whose replica for partition 1 has a wider hidden layer. */
    static Module wideOnPartitionOne() {
        TaskContext task = TaskContext.get();
        int hidden = task != null && task.partitionId() == 1 ? 9 : 8;
        return new Sequential(new Linear(4, hidden), new ReLU(), new Linear(hidden, 3));
    }

    @Test
    void replicasWithOtherParameterShapesAreRefusedBeforeTraining() {
        assertRefused(new SparkTrainer(SparkTrainerTest::wideOnPartitionOne, PLAIN, 4),
                rdd(LocalSpark.examples(20, 8), 2), 4,
                "SparkTrainer: the model factory gave partition 1 parameter shapes [[9, 4], [9], [3, 9], [3]], "
                        + "the driver's are [[8, 4], [8], [3, 8], [3]]");
    }

    @Test
    void badArgumentsAreRefused() {
        SparkTrainer trainer = new SparkTrainer(LocalSpark::mlp, PLAIN, 4);
        JavaRDD<Example> data = rdd(LocalSpark.examples(8, 9), 1);
        assertEquals("SparkTrainer: invalid batch per partition 0 (expected >= 1)",
                assertThrows(IllegalArgumentException.class, () -> trainer.fit(data, 0, 1)).getMessage());
        assertEquals("SparkTrainer: invalid number of epochs 0 (expected >= 1)",
                assertThrows(IllegalArgumentException.class, () -> trainer.fit(data, 4, 0)).getMessage());
        assertEquals("SparkTrainer: invalid input shape [4, 0] (expected one or more dimensions >= 1)",
                assertThrows(IllegalArgumentException.class, () -> new SparkTrainer(LocalSpark::mlp, PLAIN, 4, 0))
                        .getMessage());
    }

    /** The MLP with a BatchNorm1d after its hidden layer. */
    static Module bnMlp() {
        Random rng = new Random(345);
        return new Sequential(new Linear(4, 8, true, rng), new BatchNorm1d(8), new ReLU(), new Linear(8, 3, true, rng));
    }

    @Test
    void batchNormReplicasNormaliseTheirOwnShard() {
        JavaRDD<Example> data = rdd(LocalSpark.examples(64, 10), 2);
        SparkTrainer trainer = new SparkTrainer(SparkTrainerTest::bnMlp, PLAIN, 4).withSeed(1);
        trainer.fit(data, 8, 2);
        List<List<Example>> shards = data.glom().collect();
        float[] actual = LocalSpark.flat(trainer.model());
        assertClose(LocalSpark.flat(singleProcess(SparkTrainerTest::bnMlp, shards, PLAIN, 8, 2, 1, true)), actual, 2e-6f);
        // Not one batch norm over the global batch (SyncBatchNorm): that trains other parameters.
        float[] global = LocalSpark.flat(singleProcess(SparkTrainerTest::bnMlp, shards, PLAIN, 8, 2, 1, false));
        double maxDiff = 0;
        for (int i = 0; i < global.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(global[i] - actual[i]));
        }
        assertTrue(maxDiff > 1e-3, "per-shard and global batch norm agree to " + maxDiff);
    }

    @Test
    void runningStatisticsArePooledExactlyOverAllShards() {
        JavaRDD<Example> data = rdd(LocalSpark.examples(50, 11), 2); // 25 per partition: 3 full batches of 8 each
        SparkTrainer trainer = new SparkTrainer(SparkTrainerTest::bnMlp, MOMENTUM, 4);
        trainer.fit(data, 8, 1);
        Module expected = bnMlp();
        expected.loadStateDict(trainer.model().stateDict(), true);
        List<Tensor> batches = new ArrayList<>();
        for (List<Example> shard : data.glom().collect()) {
            for (int i = 0; i + 8 <= shard.size(); i += 8) {
                int from = i;
                int[] rows = new int[8];
                Arrays.setAll(rows, r -> from + r);
                batches.add(LocalSpark.features(shard, rows));
            }
        }
        BatchNorms.recalibrate(expected, batches);
        for (String key : List.of("1.running_mean", "1.running_var")) {
            float[] e = expected.stateDict().get(key).toArray();
            float[] a = trainer.model().stateDict().get(key).toArray();
            for (int c = 0; c < e.length; c++) {
                assertEquals(e[c], a[c], 2 * Math.ulp(e[c]), key + " " + c);
            }
        }
    }

    @Test
    void localStepsOfOneAreSynchronousSgd() {
        JavaRDD<Example> data = rdd(LocalSpark.examples(64, 12), 2);
        SparkTrainer sync = new SparkTrainer(LocalSpark::mlp, PLAIN, 4);
        SparkTrainer local = new SparkTrainer(LocalSpark::mlp, PLAIN, 4).withLocalSteps(1);
        sync.fit(data, 8, 2);
        local.fit(data, 8, 2);
        assertClose(LocalSpark.flat(sync.model()), LocalSpark.flat(local.model()), 2e-6f);
    }

    @Test
    void oneReplicaWithLocalStepsIsSingleProcessTrainingBitForBit() {
        JavaRDD<Example> data = rdd(LocalSpark.examples(56, 13), 1); // 7 steps per epoch: rounds of 3, 3, 1
        SparkTrainer trainer = new SparkTrainer(LocalSpark::mlp, PLAIN, 4).withSeed(2).withLocalSteps(3);
        trainer.fit(data, 8, 2);
        assertArrayEquals(LocalSpark.flat(singleProcess(data.glom().collect(), PLAIN, 8, 2, 2)),
                LocalSpark.flat(trainer.model()));
    }

    @Test
    void localStepsMustBePositive() {
        assertEquals("SparkTrainer: invalid number of local steps 0 (expected >= 1)",
                assertThrows(IllegalArgumentException.class,
                        () -> new SparkTrainer(LocalSpark::mlp, PLAIN, 4).withLocalSteps(0)).getMessage());
    }

    @Test
    void aBatchTooSmallForAModuleIsRefusedBeforeTraining() {
        assertRefused(new SparkTrainer(SparkTrainerTest::bnMlp, PLAIN, 4), rdd(LocalSpark.examples(8, 15), 2), 1,
                "SparkTrainer: batch per partition 1, but BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, "
                        + "track_running_stats=True) needs at least 2 examples per training batch on each replica");
    }

    @Test
    void aModelWithoutLogitsIsRefusedBeforeTraining() {
        assertRefused(new SparkTrainer(() -> new Sequential(new ReLU()), PLAIN, 3, 2),
                rdd(LocalSpark.examples(8, 16), 2), 2,
                "SparkTrainer: Sequential gives output [1, 3, 2] for input [1, 3, 2], expected logits [1, classes]");
    }

    @Test
    void aNonFiniteLossStopsTrainingBeforeItsStep() {
        List<Example> nan = new ArrayList<>();
        for (Example e : LocalSpark.examples(16, 17)) {
            float[] x = e.features().clone();
            x[0] = Float.NaN;
            nan.add(new Example(x, e.label()));
        }
        SparkTrainer trainer = new SparkTrainer(LocalSpark::mlp, PLAIN, 4);
        float[] before = LocalSpark.flat(trainer.model());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer.fit(rdd(nan, 2), 4, 1));
        assertEquals("SparkTrainer: the loss of epoch 1 step 1 is NaN; the parameters are those before that step",
                e.getMessage());
        assertArrayEquals(before, LocalSpark.flat(trainer.model()));
    }
}
