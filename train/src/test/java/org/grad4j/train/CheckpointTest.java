package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.StateDicts;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.DType;
import org.grad4j.core.io.SafeTensors;
import org.grad4j.layers.Linear;
import org.grad4j.layers.Sequential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    private static final List<EpochMetrics> HISTORY = List.of(
            new EpochMetrics(1, 0.65, 0.77, 0.81, 29770.0, 2.0),
            new EpochMetrics(2, 0.45, 0.84, Double.NaN, 30000.5, 1.9));

    @Test
    void writesPyTorchNamesOptimizerStateAndMetadata(@TempDir Path dir) throws Exception {
        Sequential net = Synthetic.net(345);
        SGD sgd = new SGD(net.parameters(), SGD.options(0.1).momentum(0.9));
        new Trainer(net, sgd).fit(new org.grad4j.data.DataLoader(Synthetic.dataset(64, 1), 32), null, 1);
        Path file = dir.resolve("c.safetensors");
        Checkpoint.save(file, net, sgd, Map.of("seed", "42"), HISTORY);

        SafeTensors st = SafeTensors.read(file);
        assertTrue(st.names().containsAll(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias", "optimizer.momentum_buffer.0")),
                st.names().toString());
        assertEquals(DType.I64, st.dtype("1.num_batches_tracked"));
        assertEquals("pt", st.metadata().get("format"));
        assertEquals(Checkpoint.VERSION, st.metadata().get(Checkpoint.KEY));
        assertEquals("2", st.metadata().get("epoch"));
        assertEquals("42", st.metadata().get("config.seed"));

        Checkpoint c = Checkpoint.read(file);
        assertEquals(2, c.epoch());
        assertEquals(Map.of("seed", "42"), c.config());
        assertEquals(HISTORY.get(0), c.history().get(0));
        assertTrue(Double.isNaN(c.history().get(1).testAccuracy()));

        Sequential other = Synthetic.net(7);
        SGD otherSgd = new SGD(other.parameters(), SGD.options(0.1).momentum(0.9));
        c.restore(other, otherSgd);
        assertEquals(net.stateDict().get("0.weight").get(0, 0, 1, 1), other.stateDict().get("0.weight").get(0, 0, 1, 1));
        assertEquals(sgd.stateDict().keySet(), otherSgd.stateDict().keySet());
    }

    @Test
    void aFileThatIsNotACheckpointIsNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("weights.safetensors");
        new SafeTensors().put("w", Tensor.ones(2)).write(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("weights.safetensors: not a grad4j checkpoint (no metadata 'grad4j.checkpoint')", e.getMessage());
        new SafeTensors().put("w", Tensor.ones(2)).putMetadata(Checkpoint.KEY, "7").write(file);
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("weights.safetensors: checkpoint version: actual 7 != expected 2 (or 1)", e.getMessage());
    }

    @Test
    void inconsistentHistoryIsNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.safetensors");
        new SafeTensors().put("w", Tensor.ones(2)).putMetadata(Checkpoint.KEY, Checkpoint.VERSION)
                .putMetadata("epoch", "3").putMetadata("seed", "1").putMetadata("history", HISTORY.get(0).toJson())
                .write(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: history holds 1 epochs, expected 3", e.getMessage());
        new SafeTensors().put("w", Tensor.ones(2)).putMetadata(Checkpoint.KEY, "1").putMetadata("epoch", "1")
                .write(file);
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: metadata 'seed' is missing", e.getMessage());
    }

    @Test
    void restoringIntoAnotherModelNamesTheMismatches(@TempDir Path dir) throws Exception {
        Sequential net = new Sequential(new Linear(3, 2));
        SGD sgd = new SGD(net.parameters(), 0.1);
        Path file = dir.resolve("c.safetensors");
        Checkpoint.save(file, net, sgd, Map.of(), List.of());
        Sequential other = new Sequential(new Linear(4, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.read(file).restore(other, new SGD(other.parameters(), 0.1)));
        assertTrue(e.getMessage().startsWith("c.safetensors: "), e.getMessage());
        assertTrue(e.getMessage().contains("0.weight"), e.getMessage());
    }

    @Test
    void aFailedWriteKeepsThePreviousCheckpoint(@TempDir Path dir) throws Exception {
        Sequential net = new Sequential(new Linear(3, 2));
        SGD sgd = new SGD(net.parameters(), 0.1);
        Path file = dir.resolve("c.safetensors");
        Checkpoint.save(file, net, sgd, Map.of(), List.of());
        byte[] before = Files.readAllBytes(file);
        Path blocked = dir.resolve("blocked");
        Files.createDirectories(blocked.resolve("inside"));
        assertThrows(java.io.IOException.class, () -> Checkpoint.save(blocked, net, sgd, Map.of(), List.of()));
        assertEquals(before.length, Files.readAllBytes(file).length);
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file is left behind");
        }
    }

    /** A checkpoint of the synthetic net after one step, so that every buffer and momentum buffer exists. */
    private static Sequential trained() {
        Sequential net = Synthetic.net(345);
        SGD sgd = new SGD(net.parameters(), SGD.options(0.1).momentum(0.9));
        new Trainer(net, sgd).fit(new org.grad4j.data.DataLoader(Synthetic.dataset(32, 1), 32), null, 1);
        return net;
    }

    @Test
    void aNonFiniteValueIsNamedWithItsTensorAndIndex(@TempDir Path dir) throws Exception {
        Sequential net = trained();
        net.namedParameters().get("0.weight").set(Float.NaN, 2, 0, 1, 2);
        Path file = dir.resolve("c.safetensors");
        Checkpoint.save(file, net, new SGD(net.parameters(), 0.1), Map.of(), List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: tensor '0.weight' holds NaN at [2, 0, 1, 2], expected finite values",
                e.getMessage());

        net = trained();
        ((BatchNorm2d) net.modules().get(2)).runningVar().set(Float.POSITIVE_INFINITY, 3);
        Checkpoint.save(file, net, new SGD(net.parameters(), 0.1), Map.of(), List.of());
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: tensor '1.running_var' holds Infinity at [3], expected finite values",
                e.getMessage());
    }

    @Test
    void aNonFiniteOptimizerStateIsNamed(@TempDir Path dir) throws Exception {
        Sequential net = new Sequential(new Linear(3, 2));
        SGD sgd = new SGD(net.parameters(), SGD.options(0.1).momentum(0.9));
        Tensor buffer = Tensor.zeros(2, 3).set(Float.NEGATIVE_INFINITY, 1, 0);
        sgd.loadStateDict(Map.of("momentum_buffer.0", buffer));
        Path file = dir.resolve("c.safetensors");
        Checkpoint.save(file, net, sgd, Map.of(), List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: tensor 'optimizer.momentum_buffer.0' holds -Infinity at [1, 0], "
                + "expected finite values", e.getMessage());
    }

    @Test
    void aNegativeRunningVarianceIsNamed(@TempDir Path dir) throws Exception {
        Sequential net = trained();
        ((BatchNorm2d) net.modules().get(2)).runningVar().set(-0.25f, 1);
        Path file = dir.resolve("c.safetensors");
        Checkpoint.save(file, net, new SGD(net.parameters(), 0.1), Map.of(), List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: tensor '1.running_var' holds -0.25 at [1], expected a variance >= 0",
                e.getMessage());
    }

    @Test
    void aNegativeBatchCountIsNamed(@TempDir Path dir) throws Exception {
        Sequential net = trained();
        SafeTensors st = new SafeTensors();
        SafeTensors written = StateDicts.toSafeTensors(net);
        for (String name : written.names()) {
            if (name.equals("1.num_batches_tracked")) {
                st.putLongs(name, new long[] {-3}, org.grad4j.core.Shape.SCALAR);
            } else if (written.dtype(name) == DType.I64) {
                st.putLongs(name, written.longs(name), written.shape(name));
            } else {
                st.put(name, written.tensor(name));
            }
        }
        Path file = dir.resolve("c.safetensors");
        st.putMetadata(Checkpoint.KEY, Checkpoint.VERSION).putMetadata("epoch", "0").putMetadata("history", "")
                .write(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: tensor '1.num_batches_tracked' holds -3, expected a batch count >= 0",
                e.getMessage());
    }

    @Test
    void configIsRecordedAndEveryDifferenceNamedInOneMessage(@TempDir Path dir) throws Exception {
        Sequential net = new Sequential(new Linear(3, 2));
        Path file = dir.resolve("x.safetensors");
        Map<String, String> config = new java.util.LinkedHashMap<>();
        config.put("seed", "1");
        config.put("lr", "1.0");
        config.put("batch_size", "32");
        config.put("train_limit", "100");
        Checkpoint.save(file, net, new SGD(net.parameters(), 0.1), config, List.of());
        Checkpoint c = Checkpoint.read(file);
        assertEquals(List.copyOf(config.entrySet()), List.copyOf(c.config().entrySet()));
        c.checkConfig(config);

        Map<String, String> run = new java.util.LinkedHashMap<>(config);
        run.put("lr", "0.5");
        run.put("batch_size", "64");
        run.remove("train_limit");
        run.put("resize", "96");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.checkConfig(run));
        assertEquals("resume: checkpoint x.safetensors was written with lr=1.0, this run has lr=0.5; "
                + "with batch_size=32, this run has batch_size=64; with train_limit=100, this run has no train_limit; "
                + "without resize, this run has resize=96; the run would not continue exactly", e.getMessage());
    }

    @Test
    void aVersion1CheckpointIsReadAndComparedOnItsSeedOnly(@TempDir Path dir) throws Exception {
        Sequential net = new Sequential(new Linear(3, 2));
        SafeTensors st = StateDicts.toSafeTensors(net);
        // The metadata grad4j wrote before the run configuration was recorded.
        st.putMetadata(Checkpoint.KEY, "1").putMetadata("epoch", "1").putMetadata("seed", "7")
                .putMetadata("learning_rate", "0.1").putMetadata("optimizer", "SGD(lr=0.1)")
                .putMetadata("history", HISTORY.get(0).toJson());
        Path file = dir.resolve("old.safetensors");
        st.write(file);
        Checkpoint c = Checkpoint.read(file);
        assertEquals(1, c.epoch());
        assertEquals(Map.of("seed", "7"), c.config());
        c.checkConfig(Map.of("seed", "7", "lr", "0.5", "batch_size", "64"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.checkConfig(Map.of("seed", "8", "lr", "0.5")));
        assertEquals("resume: checkpoint old.safetensors was written with seed=7, this run has seed=8; "
                + "the run would not continue exactly", e.getMessage());
        Sequential other = new Sequential(new Linear(3, 2));
        c.restore(other, new SGD(other.parameters(), 0.1));
        assertArrayEquals(net.stateDict().get("0.weight").toArray(), other.stateDict().get("0.weight").toArray());
    }

    @Test
    void anEmptyConfigurationKeyIsRejected(@TempDir Path dir) {
        Sequential net = new Sequential(new Linear(3, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(
                dir.resolve("c.safetensors"), net, new SGD(net.parameters(), 0.1), Map.of("", "1"), List.of()));
        assertEquals("checkpoint: a configuration key is empty", e.getMessage());
    }
}
