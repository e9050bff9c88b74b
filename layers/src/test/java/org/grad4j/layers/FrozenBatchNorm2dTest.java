package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.grad4j.layers.Golden.leaf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** FrozenBatchNorm2d against torchvision's: output, input gradient, keys and printing. */
class FrozenBatchNorm2dTest {

    @Test
    void matchesTorchvisionInTrainingMode() {
        SafeTensors g = Golden.load("frozen_batchnorm2d");
        FrozenBatchNorm2d f = new FrozenBatchNorm2d(3, Double.parseDouble(g.metadata().get("eps")));
        assertEquals(List.of(g.metadata().get("keys").split(",")), List.copyOf(f.stateDict().keySet()));
        assertEquals(g.metadata().get("repr"), f.toString());
        f.loadStateDict(Map.of("weight", g.tensor("weight"), "bias", g.tensor("bias"),
                "running_mean", g.tensor("running_mean"), "running_var", g.tensor("running_var")), true);
        f.train();
        assertEquals(List.of(), f.parameters());
        Tensor x = leaf(g.tensor("x"));
        try (Tape tape = Tape.record()) {
            Tensor y = f.forward(x);
            assertClose("y", g.tensor("y"), y);
            y.backward(g.tensor("dy"));
        }
        assertClose("dx", g.tensor("dx"), x.grad());
    }

    @Test
    void ofCopiesABatchNormAndComputesAsItsEvaluation() {
        BatchNorm2d bn = new BatchNorm2d(2);
        Tensor x = Tensor.randn(new Random(3), 4, 2, 3, 3).add(1f);
        bn.forward(x);
        FrozenBatchNorm2d f = FrozenBatchNorm2d.of(bn);
        assertClose("as eval", bn.eval().forward(x), f.forward(x), 1e-6, 1e-6);
        float[] frozenVar = f.runningVar().toArray();
        bn.train().forward(x.mul(3f));
        assertArrayEquals(frozenVar, f.runningVar().toArray(), "a copy: later training does not show");
        assertFalse(java.util.Arrays.equals(frozenVar, bn.runningVar().toArray()));
    }

    @Test
    void errors() {
        assertEquals("FrozenBatchNorm2d(3): input [2, 3] has 2 dimensions, expected 4 ([N, C, H, W])",
                assertThrows(IllegalArgumentException.class, () -> new FrozenBatchNorm2d(3).forward(Tensor.ones(2, 3)))
                        .getMessage());
        assertEquals("FrozenBatchNorm2d(3): input [1, 2, 2, 2] has 2 channels, expected 3",
                assertThrows(IllegalArgumentException.class,
                        () -> new FrozenBatchNorm2d(3).forward(Tensor.ones(1, 2, 2, 2))).getMessage());
        assertEquals("FrozenBatchNorm2d: num_features must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> new FrozenBatchNorm2d(0)).getMessage());
        assertEquals("FrozenBatchNorm2d: eps must be finite and non-negative, got -1.0",
                assertThrows(IllegalArgumentException.class, () -> new FrozenBatchNorm2d(2, -1)).getMessage());
        assertEquals("FrozenBatchNorm2d.of: BatchNorm2d(2) has no running statistics (track_running_stats=False) "
                + "to freeze", assertThrows(IllegalArgumentException.class,
                        () -> FrozenBatchNorm2d.of(new BatchNorm2d(2, 1e-5, 0.1, true, false))).getMessage());
    }
}
