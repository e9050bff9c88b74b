package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.grad4j.layers.Golden.leaf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.grad4j.core.GradCheck;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * Ghost batch norm ({@link BatchNorm#setVirtualBatchSize}): PyTorch's BatchNorm2d called on each
 * chunk in order (outputs, gradients, running statistics after each batch, evaluation), the same
 * bits as a plain layer run chunk by chunk, gradcheck, and its errors.
 */
class GhostBatchNormTest {

    @Test
    void matchesPyTorchCalledChunkByChunk() {
        SafeTensors g = Golden.load("ghost_batchnorm2d");
        int v = Integer.parseInt(g.metadata().get("virtual_batch_size"));
        BatchNorm2d bn = new BatchNorm2d(3);
        bn.setVirtualBatchSize(v);
        bn.loadStateDict(Map.of("weight", g.tensor("weight"), "bias", g.tensor("bias"),
                "running_mean", Tensor.zeros(3), "running_var", Tensor.ones(3),
                "num_batches_tracked", Tensor.scalar(0)), true);
        for (int s = 0; s < 2; s++) {
            bn.zeroGrad();
            Tensor x = leaf(g.tensor("x" + s));
            try (Tape tape = Tape.record()) {
                Tensor y = bn.forward(x);
                assertClose("y" + s, g.tensor("y" + s), y);
                y.backward(g.tensor("dy" + s));
            }
            assertClose("dx" + s, g.tensor("dx" + s), x.grad());
            assertClose("dweight" + s, g.tensor("dweight" + s), bn.weight().grad());
            assertClose("dbias" + s, g.tensor("dbias" + s), bn.bias().grad());
            assertClose("running_mean" + s, g.tensor("running_mean" + s), bn.runningMean());
            assertClose("running_var" + s, g.tensor("running_var" + s), bn.runningVar());
            assertEquals((long) g.tensor("num_batches_tracked" + s).item(), bn.numBatchesTracked(), "one per chunk");
        }
        bn.eval();
        assertClose("y_eval", g.tensor("y_eval"), bn.forward(g.tensor("x_eval")));
    }

    /** The oracle: a plain layer fed the chunks one after the other. */
    @Test
    void equalsAPlainLayerRunChunkByChunk() {
        Random rng = new Random(348);
        BatchNorm2d ghost = new BatchNorm2d(4, 1e-5, BatchNorm.Momentum.KERAS, true);
        BatchNorm2d plain = new BatchNorm2d(4, 1e-5, BatchNorm.Momentum.KERAS, true);
        ghost.setVirtualBatchSize(3);
        for (int step = 0; step < 2; step++) {
            Tensor x = Tensor.randn(rng, 9, 4, 3, 2).mul(2f).add(step);
            float[] y = ghost.forward(x).toArray();
            float[] want = new float[y.length];
            for (int c = 0; c < 3; c++) {
                float[] part = plain.forward(x.narrow(0, 3 * c, 3)).toArray();
                System.arraycopy(part, 0, want, c * part.length, part.length);
            }
            assertArrayEquals(want, y, "step " + step + " output");
            assertArrayEquals(plain.runningMean().toArray(), ghost.runningMean().toArray(), "running mean");
            assertArrayEquals(plain.runningVar().toArray(), ghost.runningVar().toArray(), "running var");
            assertEquals(plain.numBatchesTracked(), ghost.numBatchesTracked());
        }
    }

    @Test
    void passesGradcheck() {
        Random rng = new Random(348);
        BatchNorm2d bn2 = new BatchNorm2d(2);
        bn2.setVirtualBatchSize(2);
        GradCheck.check("ghost BatchNorm2d", t -> bn2.forward(t[0]), Tensor.randn(rng, 6, 2, 2, 2).requiresGrad(true));
        BatchNorm1d bn1 = new BatchNorm1d(3);
        bn1.setVirtualBatchSize(3);
        GradCheck.check("ghost BatchNorm1d", t -> bn1.forward(t[0]), Tensor.randn(rng, 6, 3).requiresGrad(true));
    }

    @Test
    void evaluationIgnoresTheVirtualBatchSize() {
        BatchNorm2d bn = new BatchNorm2d(2);
        bn.setVirtualBatchSize(4);
        bn.eval();
        Tensor x = Tensor.randn(new Random(348), 3, 2, 2, 2);
        assertClose("eval", x.div((float) Math.sqrt(1 + 1e-5)), bn.forward(x), 1e-6, 1e-6);
    }

    @Test
    void optionShowsInToStringAndTheTrainingBatchProblems() {
        BatchNorm2d bn = new BatchNorm2d(3);
        assertEquals(Optional.empty(), bn.trainingBatchProblem(7));
        assertEquals(bn, bn.setVirtualBatchSize(16));
        assertEquals(16, bn.virtualBatchSize());
        assertEquals(Optional.empty(), bn.trainingBatchProblem(48));
        assertEquals(Optional.of("needs at least 16 examples per training batch (its virtual batch size)"),
                bn.trainingBatchProblem(8));
        assertEquals(Optional.of("needs a multiple of 16 examples per training batch (its virtual batch size)"),
                bn.trainingBatchProblem(40));
        assertEquals("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, "
                + "virtual_batch_size=16)", bn.toString());
        assertEquals(Optional.of("needs a multiple of 16 examples per training batch (its virtual batch size)"),
                new BatchNorm1d(3).setVirtualBatchSize(16).trainingBatchProblem(20));
        assertEquals(Optional.of("cannot train with a virtual batch size of 1 (one value per channel), expected at "
                + "least 2"), new BatchNorm1d(3).setVirtualBatchSize(1).trainingBatchProblem(4));
        assertEquals(Optional.empty(), bn.setFrozen(true).trainingBatchProblem(5), "frozen: running statistics");
        assertEquals("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)",
                bn.setVirtualBatchSize(0).toString());
    }

    @Test
    void aVirtualBatchSizeThatDoesNotDivideTheBatchIsAnError() {
        BatchNorm2d bn = new BatchNorm2d(3);
        bn.setVirtualBatchSize(3);
        assertEquals("BatchNorm2d(3): virtual batch size 3 does not divide the batch of 8 (input [8, 3, 2, 2])",
                assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(8, 3, 2, 2))).getMessage());
        assertEquals(0, bn.numBatchesTracked(), "nothing updated");
    }

    @Test
    void aNegativeVirtualBatchSizeIsAnError() {
        assertEquals("BatchNorm1d(4): virtual batch size must be positive (or 0 for none), got -2",
                assertThrows(IllegalArgumentException.class, () -> new BatchNorm1d(4).setVirtualBatchSize(-2))
                        .getMessage());
    }
}
