package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.grad4j.core.Tensor;
import org.grad4j.data.DataLoader;
import org.grad4j.data.ImageDataset;
import org.grad4j.layers.BatchNorm1d;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.Flatten;
import org.grad4j.layers.Linear;
import org.grad4j.layers.ReLU;
import org.grad4j.layers.Sequential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    private static final ImageDataset TRAIN = Synthetic.dataset(512, 345);
    private static final ImageDataset TEST = Synthetic.dataset(128, 346);

    private static DataLoader trainLoader() {
        return new DataLoader(TRAIN, 32).withShuffle(7);
    }

    private static DataLoader testLoader() {
        return new DataLoader(TEST, 64);
    }

    @Test
    void learnsTheSyntheticProblemAndReportsEveryEpoch() {
        Sequential net = Synthetic.net(345);
        List<String> events = new ArrayList<>();
        Trainer trainer = new Trainer(net, new SGD(net.parameters(), 0.1)).addListener(new TrainingListener() {
            @Override
            public void onTrainingStart(int firstEpoch, int lastEpoch, int batchesPerEpoch) {
                events.add("start " + firstEpoch + ".." + lastEpoch + " x" + batchesPerEpoch);
            }

            @Override
            public void onEpochEnd(EpochMetrics metrics, List<EpochMetrics> history) {
                events.add("epoch " + metrics.epoch() + " of " + history.size());
            }

            @Override
            public void onTrainingEnd(List<EpochMetrics> history) {
                events.add("end " + history.size());
            }
        });
        List<EpochMetrics> h = trainer.fit(trainLoader(), testLoader(), 3);
        assertEquals(List.of("start 1..3 x16", "epoch 1 of 1", "epoch 2 of 2", "epoch 3 of 3", "end 3"), events);
        assertTrue(h.get(2).trainLoss() < h.get(0).trainLoss(), h.toString());
        assertTrue(h.get(2).trainAccuracy() > 0.9, h.toString());
        assertTrue(h.get(2).testAccuracy() > 0.9, h.toString());
        assertTrue(h.get(0).examplesPerSecond() > 0 && h.get(0).seconds() > 0);
        for (EpochMetrics m : h) {
            // Measured (the JVM reports its collectors), within the epoch.
            assertTrue(m.gcSeconds() >= 0 && m.gcSeconds() <= m.seconds() * 2, m.toString());
        }
        assertTrue(net.isTraining(), "evaluation restores training mode");
    }

    @Test
    void accuracyEvaluatesInEvalModeAndRestoresTheMode() {
        Sequential net = Synthetic.net(345);
        net.eval();
        double acc = Trainer.accuracy(net, testLoader());
        assertTrue(acc >= 0 && acc <= 1);
        assertTrue(!net.isTraining());
    }

    @Test
    void accuracyComparesArgmaxWithLabels() {
        Tensor logits = Tensor.of(new float[] {0, 2, 1, 5, 0, 0, 0, 0, 9}, 3, 3);
        org.grad4j.data.Batch batch = new DataLoader(org.grad4j.data.TensorDataset.of(logits, new int[] {1, 0, 1}), 3)
                .epoch(0).next();
        assertEquals(new Metric.Sum(2, 3), Metric.accuracy().measure(logits, batch));
    }

    @Test
    void divergenceStopsWithAMessageAndKeepsFinishedEpochs(@TempDir Path dir) throws Exception {
        Sequential net = Synthetic.net(345);
        Path metrics = dir.resolve("metrics.jsonl");
        Trainer trainer = new Trainer(net, new SGD(net.parameters(), 1.0))
                .addListener(new MetricsFile(metrics));
        trainer.fit(trainLoader(), null, 1);
        Trainer wild = new Trainer(net, new SGD(net.parameters(), 1e30)).addListener(new MetricsFile(metrics));
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> wild.fit(trainLoader(), null, 1));
        assertTrue(e.getMessage().matches("training diverged at epoch 1, step \\d+: loss is (NaN|Infinity) "
                + "\\((last finite loss \\d+\\.\\d{4} at step \\d+|no finite loss before it)\\); "
                + "try a lower learning rate than 1\\.0E30"), e.getMessage());
        assertEquals(1, MetricsFile.read(metrics).size(), "the finished epoch's metrics stay");
    }

    @Test
    void resumingGivesBitIdenticalWeights(@TempDir Path dir) throws Exception {
        Sequential straight = Synthetic.net(345);
        SGD.Options options = SGD.options(0.1).momentum(0.9).weightDecay(1e-4);
        new Trainer(straight, new SGD(straight.parameters(), options)).withSeed(11)
                .fit(trainLoader(), testLoader(), 2);

        Path ckpt = dir.resolve("ckpt.safetensors");
        Sequential first = Synthetic.net(345);
        new Trainer(first, new SGD(first.parameters(), options)).withSeed(11)
                .withCheckpoint(ckpt).fit(trainLoader(), testLoader(), 1);

        Sequential resumed = Synthetic.net(999);  // other initial weights: all must come from the checkpoint
        SGD sgd = new SGD(resumed.parameters(), options);
        Trainer trainer = new Trainer(resumed, sgd).withSeed(11).resumeFrom(Checkpoint.read(ckpt));
        List<EpochMetrics> h = trainer.fit(trainLoader(), testLoader(), 2);
        assertEquals(2, h.size());

        Map<String, Tensor> a = straight.stateDict();
        Map<String, Tensor> b = resumed.stateDict();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), k);
        }
    }

    @Test
    void resumeNamesEveryConfigurationDifferenceBeforeTraining(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("ckpt.safetensors");
        Sequential net = Synthetic.net(345);
        new Trainer(net, new SGD(net.parameters(), 0.1)).withSeed(1).withConfig("model", "small").withCheckpoint(ckpt)
                .fit(trainLoader(), null, 1);
        byte[] written = Files.readAllBytes(ckpt);
        List<String> events = new ArrayList<>();
        Trainer other = new Trainer(net, new SGD(net.parameters(), 0.05)).withSeed(2).withLabelSmoothing(0.1)
                .withSchedule(LearningRateSchedule.step(2, 0.5)).withConfig("model", "large").withCheckpoint(ckpt)
                .addListener(new TrainingListener() {
                    @Override
                    public void onTrainingStart(int firstEpoch, int lastEpoch, int batchesPerEpoch) {
                        events.add("start");
                    }
                })
                .resumeFrom(Checkpoint.read(ckpt));
        DataLoader smaller = new DataLoader(TRAIN.slice(0, 100), 16).withShuffle(7);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.fit(smaller, null, 2));
        assertEquals("resume: checkpoint ckpt.safetensors was written with seed=1, this run has seed=2; "
                + "with lr=0.1, this run has lr=0.05; "
                + "with schedule=constant, this run has schedule=StepLR(step_size=2, gamma=0.5); "
                + "with loss=CrossEntropyLoss(label_smoothing=0.0), this run has loss=CrossEntropyLoss(label_smoothing=0.1); "
                + "with optimizer=SGD(lr=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=false), "
                + "this run has optimizer=SGD(lr=0.05, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=false); "
                + "with batch_size=32, this run has batch_size=16; with train_examples=512, this run has "
                + "train_examples=100; with train_batches=16, this run has train_batches=7; "
                + "with model=small, this run has model=large; the run would not continue exactly", e.getMessage());
        assertEquals(List.of(), events, "nothing started");
        assertArrayEquals(written, Files.readAllBytes(ckpt), "the checkpoint is left as it was");
    }

    @Test
    void aCustomScheduleOrLossWithoutToStringIsRecordedAsCustom(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("ckpt.safetensors");
        Sequential net = Synthetic.net(345);
        new Trainer(net, new SGD(net.parameters(), 0.1)).withSchedule((epoch, base) -> base / (epoch + 1))
                .withCheckpoint(ckpt).fit(trainLoader(), null, 1);
        Map<String, String> config = Checkpoint.read(ckpt).config();
        assertEquals("custom", config.get("schedule"));
        assertEquals("CrossEntropyLoss(label_smoothing=0.0)", config.get("loss"));
        assertEquals("accuracy", config.get("metric"));
        new Trainer(net, new SGD(net.parameters(), 0.1)).withLoss(Loss.crossEntropy(0.2)::apply).withCheckpoint(ckpt)
                .fit(trainLoader(), null, 1);
        assertEquals("custom", Checkpoint.read(ckpt).config().get("loss"));
        assertEquals("MSELoss()", Loss.mse().toString());
    }

    @Test
    void configurationKeysAreChecked() {
        Sequential net = Synthetic.net(345);
        Trainer t = new Trainer(net, new SGD(net.parameters(), 0.1)).withConfig("resize", "96");
        String own = " (the Trainer records [seed, lr, schedule, clip_norm, loss, metric, optimizer, batch_size, "
                + "train_examples, train_batches])";
        assertEquals("Trainer: configuration key 'lr' is recorded by the Trainer itself" + own,
                assertThrows(IllegalArgumentException.class, () -> t.withConfig("lr", "1")).getMessage());
        assertEquals("Trainer: configuration key 'resize' is already set" + own,
                assertThrows(IllegalArgumentException.class, () -> t.withConfig("resize", "28")).getMessage());
        assertEquals("Trainer: configuration key '' is empty" + own,
                assertThrows(IllegalArgumentException.class, () -> t.withConfig("", "28")).getMessage());
    }

    /** The synthetic training set with one non-finite pixel: image {@code index}, element [0, 3, 5]. */
    private static ImageDataset withBadPixel(ImageDataset clean, int index, float value) {
        Tensor images = Tensor.of(clean.images().toArray(), clean.size(), 1, Synthetic.SIZE, Synthetic.SIZE);
        images.set(value, index, 0, 3, 5);
        return ImageDataset.of(images, clean.labels());
    }

    @Test
    void aNonFiniteTrainingInputIsNamedAndChangesNothing() {
        ImageDataset bad = withBadPixel(TRAIN, 100, Float.NaN);
        DataLoader loader = new DataLoader(bad, 32).withShuffle(7);
        Sequential net = Synthetic.net(345);
        Trainer trainer = new Trainer(net, new SGD(net.parameters(), 0.1));
        int position = 0;
        int[] order = loader.order(0);
        while (order[position] != 100) {
            position++;
        }
        List<Map<String, float[]>> afterEachStep = new ArrayList<>(List.of(values(net)));
        trainer.addListener(new TrainingListener() {
            @Override
            public void onBatchEnd(int epoch, int step, int batches, double loss, double accuracy) {
                afterEachStep.add(values(net));
            }
        });
        int step = position / 32 + 1;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(loader, null, 1));
        assertEquals("training input: epoch 1, step " + step + ": example " + position % 32
                + " of the batch (dataset index 100) holds NaN at [0, 3, 5]; nothing was trained on it "
                + "(weights and running statistics are as before this step)", e.getMessage());
        Map<String, float[]> last = afterEachStep.get(afterEachStep.size() - 1);
        Map<String, float[]> now = values(net);
        for (String k : now.keySet()) {
            assertArrayEquals(last.get(k), now.get(k), k);
        }
    }

    @Test
    void aNonFiniteEvaluationInputIsNamed() {
        ImageDataset bad = withBadPixel(TEST, 70, Float.NEGATIVE_INFINITY);
        Sequential net = Synthetic.net(345);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.accuracy(net, new DataLoader(bad, 64)));
        assertEquals("evaluation input: batch 2: example 6 of the batch (dataset index 70) holds -Infinity at [0, 3, 5]",
                e.getMessage());
        assertTrue(net.isTraining(), "the mode is restored");
    }

    private static Map<String, float[]> values(Sequential net) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        net.stateDict().forEach((k, v) -> out.put(k, v.toArray()));
        return out;
    }

    @Test
    void divergenceRestoresTheRunningStatisticsAndKeepsTheLastCheckpoint(@TempDir Path dir) throws Exception {
        Path ckpt = dir.resolve("ckpt.safetensors");
        Sequential net = Synthetic.net(345);
        List<Map<String, float[]>> afterEachStep = new ArrayList<>();
        List<byte[]> checkpoints = new ArrayList<>();
        Trainer trainer = new Trainer(net, new SGD(net.parameters(), 0.1))
                .withSchedule((epoch, base) -> epoch == 0 ? base : 1e30).withCheckpoint(ckpt)
                .addListener(new TrainingListener() {
                    @Override
                    public void onBatchEnd(int epoch, int step, int batches, double loss, double accuracy) {
                        afterEachStep.add(values(net));
                    }

                    @Override
                    public void onEpochEnd(EpochMetrics metrics, List<EpochMetrics> history) {
                        try {
                            checkpoints.add(Files.readAllBytes(ckpt));
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                });
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> trainer.fit(trainLoader(), null, 2));
        assertEquals(2, e.epoch());
        Map<String, float[]> last = afterEachStep.get(afterEachStep.size() - 1);
        Map<String, float[]> now = values(net);
        for (String k : now.keySet()) {
            assertArrayEquals(last.get(k), now.get(k), k);
        }
        assertEquals(1, checkpoints.size());
        assertArrayEquals(checkpoints.get(0), Files.readAllBytes(ckpt), "the epoch-1 checkpoint stays");
        assertEquals(1, Checkpoint.read(ckpt).epoch());
    }

    @Test
    void invalidArguments() {
        Sequential net = Synthetic.net(345);
        Trainer t = new Trainer(net, new SGD(net.parameters(), 0.1));
        assertEquals("Trainer: invalid number of epochs 0 (expected >= 1)",
                assertThrows(IllegalArgumentException.class, () -> t.fit(trainLoader(), null, 0)).getMessage());
        assertEquals("Trainer: invalid label smoothing 1.5 (expected 0 to 1)",
                assertThrows(IllegalArgumentException.class, () -> t.withLabelSmoothing(1.5)).getMessage());
    }

    /** Counts the training batches that ran. */
    private static final class BatchCounter implements TrainingListener {
        int batches;

        @Override
        public void onBatchEnd(int epoch, int batch, int batches, double loss, double accuracy) {
            this.batches++;
        }
    }

    /** flatten - linear 16 - BatchNorm1d - ReLU - linear 4: cannot train on a batch of one. */
    private static Sequential netWithBatchNorm1d() {
        Random rng = new Random(345);
        return new Sequential(new Flatten(), new Linear(Synthetic.SIZE * Synthetic.SIZE, 16, true, rng),
                new BatchNorm1d(16), new ReLU(), new Linear(16, Synthetic.CLASSES, true, rng));
    }

    private static final String BN = "BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)";

    /**
     * The message of {@code fit}, which must fail before any listener hears of training or any
     * batch runs: no parameter or buffer changes.
     */
    private static String refusal(Sequential net, DataLoader train) {
        List<String> events = new ArrayList<>();
        Map<String, float[]> before = new LinkedHashMap<>();
        net.stateDict().forEach((k, v) -> before.put(k, v.toArray()));
        Trainer t = new Trainer(net, new SGD(net.parameters(), 0.1)).addListener(new TrainingListener() {
            @Override
            public void onTrainingStart(int firstEpoch, int lastEpoch, int batchesPerEpoch) {
                events.add("start");
            }
        });
        String message = assertThrows(IllegalArgumentException.class, () -> t.fit(train, null, 1)).getMessage();
        assertEquals(List.of(), events);
        net.stateDict().forEach((k, v) -> assertArrayEquals(before.get(k), v.toArray(), k));
        return message;
    }

    @Test
    void aBatchSizeOfOneIsRefusedBeforeTrainingNamingTheLayer() {
        assertEquals("Trainer: batch size 1, but " + BN + " needs at least 2 examples per training batch",
                refusal(netWithBatchNorm1d(), new DataLoader(TRAIN, 1)));
    }

    @Test
    void aLastBatchOfOneIsRefusedBeforeTheEpochAndDropLastTrains() {
        ImageDataset train = TRAIN.slice(0, 33);
        assertEquals("Trainer: the last training batch of each epoch holds 1 of 33 examples (batch size 32), but "
                + BN + " needs at least 2 examples per training batch; drop it with DataLoader.withDropLast(true) or "
                + "choose another batch size", refusal(netWithBatchNorm1d(), new DataLoader(train, 32)));
        Sequential net = netWithBatchNorm1d();
        new Trainer(net, new SGD(net.parameters(), 0.1)).fit(new DataLoader(train, 32).withDropLast(true), null, 1);
        assertEquals(1, ((BatchNorm1d) net.modules().get(3)).numBatchesTracked());
        // BatchNorm2d normalises over N*H*W values: a batch of one trains.
        Sequential conv = Synthetic.net(345);
        new Trainer(conv, new SGD(conv.parameters(), 0.1)).fit(new DataLoader(train, 32), null, 1);
        assertEquals(2, ((BatchNorm2d) conv.modules().get(2)).numBatchesTracked());
    }

    /** Synthetic.net with its BatchNorm2d a ghost batch norm over chunks of 4. */
    private static Sequential ghostNet() {
        Sequential net = Synthetic.net(345);
        ((BatchNorm2d) net.modules().get(2)).setVirtualBatchSize(4);
        return net;
    }

    private static final String GHOST = "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, "
            + "track_running_stats=True, virtual_batch_size=4)";

    @Test
    void aGhostLastBatchNotAMultipleOfTheVirtualBatchSizeIsRefusedBeforeTheEpoch() {
        ImageDataset train = TRAIN.slice(0, 70);
        assertEquals("Trainer: the last training batch of each epoch holds 6 of 70 examples (batch size 32), but "
                + GHOST + " needs a multiple of 4 examples per training batch (its virtual batch size); drop it with "
                + "DataLoader.withDropLast(true) or choose another batch size",
                refusal(ghostNet(), new DataLoader(train, 32)));
        Sequential net = ghostNet();
        new Trainer(net, new SGD(net.parameters(), 0.1)).fit(new DataLoader(train, 32).withDropLast(true), null, 1);
        assertEquals(2 * 8, ((BatchNorm2d) net.modules().get(2)).numBatchesTracked(), "2 batches of 8 chunks");
    }

    @Test
    void aGhostBatchSmallerThanTheVirtualBatchSizeIsRefused() {
        assertEquals("Trainer: batch size 2, but " + GHOST + " needs at least 4 examples per training batch (its "
                + "virtual batch size)", refusal(ghostNet(), new DataLoader(TRAIN, 2)));
        assertEquals("Trainer: the only training batch holds all 3 examples (batch size 32), but " + GHOST
                + " needs at least 4 examples per training batch (its virtual batch size)",
                refusal(ghostNet(), new DataLoader(TRAIN.slice(0, 3), 32)));
    }

    @Test
    void frozenBatchNormsTrainOnAnyBatch() {
        Sequential net = ghostNet();
        ((BatchNorm2d) net.modules().get(2)).setFrozen(true);
        Sequential bn1d = netWithBatchNorm1d();
        ((BatchNorm1d) bn1d.modules().get(3)).setFrozen(true);
        float[] weight = bn1d.modules().get(2).parameters().get(0).toArray();
        new Trainer(net, new SGD(net.parameters(), 0.1)).fit(new DataLoader(TRAIN.slice(0, 7), 3), null, 1);
        new Trainer(bn1d, new SGD(bn1d.parameters(), 0.1)).fit(new DataLoader(TRAIN.slice(0, 7), 1), null, 1);
        assertEquals(0, ((BatchNorm2d) net.modules().get(2)).numBatchesTracked());
        assertFalse(Arrays.equals(weight, bn1d.modules().get(2).parameters().get(0).toArray()),
                "the batches of one trained the layers around the frozen one");
    }

    @Test
    void aLoaderWithoutABatchIsRefused() {
        assertEquals("Trainer: the training loader has no batch: 10 samples, batch size 32, the last partial batch "
                + "dropped", refusal(netWithBatchNorm1d(), new DataLoader(TRAIN.slice(0, 10), 32).withDropLast(true)));
    }

    @Test
    void checkpointFileIsLeftAsItWasWhenTheDirectoryIsGone(@TempDir Path dir) throws Exception {
        Sequential net = Synthetic.net(345);
        Path missing = dir.resolve("no-such-dir").resolve("ckpt.safetensors");
        BatchCounter counter = new BatchCounter();
        Trainer t = new Trainer(net, new SGD(net.parameters(), 0.1)).withCheckpoint(missing).addListener(counter);
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
                () -> t.fit(trainLoader(), null, 1));
        assertEquals("checkpoint: cannot write " + missing + ": directory " + missing.getParent()
                + " does not exist (it is not created)", e.getMessage());
        assertEquals(0, counter.batches, "refused before the first step");
        assertTrue(!Files.exists(missing.getParent()));
    }

    @Test
    void aCheckpointPathThatIsADirectoryIsRefusedBeforeTheFirstStep(@TempDir Path dir) throws Exception {
        Sequential net = Synthetic.net(345);
        Path ckpt = Files.createDirectory(dir.resolve("ckpt.safetensors"));
        BatchCounter counter = new BatchCounter();
        Trainer t = new Trainer(net, new SGD(net.parameters(), 0.1)).withCheckpoint(ckpt).addListener(counter);
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
                () -> t.fit(trainLoader(), null, 1));
        assertEquals("checkpoint: cannot write " + ckpt + ": is a directory, expected a regular file", e.getMessage());
        assertEquals(0, counter.batches);
        assertTrue(Files.isDirectory(ckpt));
    }

    @Test
    void aBadMetricsPathIsFoundBeforeTheFirstStepNotAfterAnEpoch(@TempDir Path dir) throws Exception {
        Sequential net = Synthetic.net(345);
        Path notADirectory = Files.writeString(dir.resolve("plain"), "old");
        Path metrics = notADirectory.resolve("metrics.jsonl");
        BatchCounter counter = new BatchCounter();
        Trainer t = new Trainer(net, new SGD(net.parameters(), 0.1)).addListener(counter)
                .addListener(new MetricsFile(metrics));
        java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
                () -> t.fit(trainLoader(), null, 1));
        assertEquals("metrics: cannot write " + metrics + ": " + notADirectory + " is a regular file, expected a "
                + "directory", e.getMessage());
        assertEquals(0, counter.batches);
        assertEquals("old", Files.readString(notADirectory));
    }
}
