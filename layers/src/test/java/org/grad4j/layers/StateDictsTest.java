package org.grad4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.DType;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Safetensors checkpoints with num_batches_tracked as I64, as PyTorch writes them. */
class StateDictsTest {

    private static Sequential trainedNet(long seed, int steps) {
        Init.manualSeed(seed);
        Sequential net = Nets.bnLeNet(256);
        Random rng = new Random(seed);
        for (int i = 0; i < steps; i++) {
            net.forward(Tensor.rand(rng, 4, 1, 28, 28));
        }
        return net;
    }

    @Test
    void integerBuffersAreI64EverythingElseF32() {
        Sequential net = trainedNet(345, 3);
        SafeTensors st = StateDicts.toSafeTensors(net);
        assertEquals(new ArrayList<>(net.stateDict().keySet()), new ArrayList<>(st.names()));
        assertEquals(DType.I64, st.dtype("1.num_batches_tracked"));
        assertEquals(0, st.shape("1.num_batches_tracked").rank());
        assertArrayEquals(new long[] {3}, st.longs("13.num_batches_tracked"));
        assertEquals(DType.F32, st.dtype("1.running_var"));
        assertArrayEquals(((BatchNorm2d) net.get(1)).runningVar().toArray(), st.tensor("1.running_var").toArray());
        assertEquals(Map.of("format", "pt"), st.metadata());
    }

    @Test
    void roundTripThroughAFile(@TempDir Path dir) throws IOException {
        Sequential trained = trainedNet(345, 2);
        Path file = dir.resolve("bn-lenet.safetensors");
        StateDicts.save(trained, file);
        Sequential fresh = trainedNet(346, 0);
        Module.LoadResult r = StateDicts.load(fresh, file, true);
        assertEquals(List.of(), r.missingKeys());
        Map<String, Tensor> expected = trained.stateDict();
        fresh.stateDict().forEach((k, v) -> assertArrayEquals(expected.get(k).toArray(), v.toArray(), k));
        assertEquals(2, ((BatchNorm1d) fresh.get(10)).numBatchesTracked());
    }

    @Test
    void loadsAPyTorchStyleFileWithI64Counters() {
        BatchNorm1d bn = new BatchNorm1d(2);
        SafeTensors st = new SafeTensors()
                .put("weight", Tensor.of(new float[] {2, 3}))
                .put("bias", Tensor.of(new float[] {0.5f, -0.5f}))
                .put("running_mean", Tensor.of(new float[] {1, 2}))
                .put("running_var", Tensor.of(new float[] {4, 9}))
                .putLongs("num_batches_tracked", new long[] {1234}, org.grad4j.core.Shape.SCALAR);
        StateDicts.load(bn, st, true);
        assertEquals(1234, bn.numBatchesTracked());
        bn.eval();
        // (x - mean) / sqrt(var + eps) * weight + bias
        float[] y = bn.forward(Tensor.of(new float[] {3, 8}, 1, 2)).toArray();
        assertEquals(2 * 2 / Math.sqrt(4 + 1e-5) + 0.5, y[0], 1e-5);
        assertEquals(3 * 6 / Math.sqrt(9 + 1e-5) - 0.5, y[1], 1e-5);
    }

    @Test
    void loadReportsEveryProblem() {
        SafeTensors st = new SafeTensors()
                .put("weight", Tensor.ones(3))
                .putLongs("steps", new long[] {1, 2});
        assertEquals("Error(s) in loading state_dict for BatchNorm1d:\n"
                + "\tMissing key(s) in state_dict: \"bias\", \"running_mean\", \"running_var\", \"num_batches_tracked\".\n"
                + "\tUnexpected key(s) in state_dict: \"steps\".\n"
                + "\tsize mismatch for weight: copying a param with shape [3] from checkpoint, the shape in current "
                + "model is [2].", assertThrows(IllegalArgumentException.class,
                        () -> StateDicts.load(new BatchNorm1d(2), st, true)).getMessage());
    }
}
