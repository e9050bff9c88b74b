package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        Checkpoint.save(file, net, sgd, 42, HISTORY);

        SafeTensors st = SafeTensors.read(file);
        assertTrue(st.names().containsAll(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias", "optimizer.momentum_buffer.0")),
                st.names().toString());
        assertEquals(DType.I64, st.dtype("1.num_batches_tracked"));
        assertEquals("pt", st.metadata().get("format"));
        assertEquals(Checkpoint.VERSION, st.metadata().get(Checkpoint.KEY));
        assertEquals("2", st.metadata().get("epoch"));
        assertEquals("42", st.metadata().get("seed"));

        Checkpoint c = Checkpoint.read(file);
        assertEquals(2, c.epoch());
        assertEquals(42, c.seed());
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
        assertEquals("weights.safetensors: checkpoint version: actual 7 != expected 1", e.getMessage());
    }

    @Test
    void inconsistentHistoryIsNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.safetensors");
        new SafeTensors().put("w", Tensor.ones(2)).putMetadata(Checkpoint.KEY, Checkpoint.VERSION)
                .putMetadata("epoch", "3").putMetadata("seed", "1").putMetadata("history", HISTORY.get(0).toJson())
                .write(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: history holds 1 epochs, expected 3", e.getMessage());
        new SafeTensors().put("w", Tensor.ones(2)).putMetadata(Checkpoint.KEY, Checkpoint.VERSION).putMetadata("epoch", "1")
                .write(file);
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: metadata 'seed' is missing", e.getMessage());
    }

    @Test
    void restoringIntoAnotherModelNamesTheMismatches(@TempDir Path dir) throws Exception {
        Sequential net = new Sequential(new Linear(3, 2));
        SGD sgd = new SGD(net.parameters(), 0.1);
        Path file = dir.resolve("c.safetensors");
        Checkpoint.save(file, net, sgd, 0, List.of());
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
        Checkpoint.save(file, net, sgd, 5, List.of());
        byte[] before = Files.readAllBytes(file);
        Path blocked = dir.resolve("blocked");
        Files.createDirectories(blocked.resolve("inside"));
        assertThrows(java.io.IOException.class, () -> Checkpoint.save(blocked, net, sgd, 6, List.of()));
        assertEquals(before.length, Files.readAllBytes(file).length);
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary file is left behind");
        }
    }
}
