package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.DType;
import org.grad4j.core.io.SafeTensors;
import org.grad4j.core.io.SafeTensorsFormatException;
import org.grad4j.layers.Sequential;

/**
 * Fuzzes the safetensors reader ({@link SafeTensors#parse}, which {@link SafeTensors#read} shares
 * all its code with but the file access) and the checkpoint reader on top of it with arbitrary
 * file contents. In a normal test run this replays the regression inputs in
 * {@code src/test/resources/org/grad4j/train/CheckpointFuzzTestInputs/read/}; with
 * {@code JAZZER_FUZZ=1} it fuzzes (see docs/reliability.md).
 *
 * <p>The property: {@link SafeTensors#read} either returns tensors consistent with their shapes or
 * throws a {@link SafeTensorsFormatException} naming the file; {@link Checkpoint#read} (after the file is read) either
 * returns a checkpoint whose values are finite or throws an {@link IllegalArgumentException} naming
 * the file; restoring it into a model either works or throws an {@link IllegalArgumentException}
 * naming the file. Any other exception or error (an {@code OutOfMemoryError} from a hostile
 * header, an index error, a stack overflow) is a finding.
 */
class CheckpointFuzzTest {
    private static final String NAME = "fuzz.safetensors";

    @FuzzTest(maxDuration = "5m")
    void read(byte[] input) {
        String name = NAME + ": ";
        SafeTensors st;
        try {
            st = SafeTensors.parse(input, NAME);
        } catch (SafeTensorsFormatException e) {
            assertTrue(e.getMessage().startsWith(name), e.getMessage());
            return;
        }
        for (String tensor : st.names()) {
            int size = st.shape(tensor).size();
            assertEquals(size, st.dtype(tensor) == DType.F32 ? st.tensor(tensor).size() : st.longs(tensor).length);
        }

        Checkpoint c;
        try {
            c = Checkpoint.of(st, NAME);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().startsWith(name), e.getMessage());
            return;
        }
        assertEquals(c.epoch(), c.history().size());
        for (String tensor : st.names()) {
            if (st.dtype(tensor) == DType.F32) {
                assertEquals(-1, st.tensor(tensor).indexOfNonFinite(), tensor);
            }
        }
        Sequential net = Synthetic.net(345);
        SGD sgd = new SGD(net.parameters(), SGD.options(0.1).momentum(0.9));
        try {
            c.restore(net, sgd);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().startsWith(name), e.getMessage());
            return;
        }
        for (Tensor t : net.stateDict().values()) {
            assertEquals(-1, t.indexOfNonFinite());
        }
    }
}
