package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.grad4j.layers.Golden.leaf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** The chapter's from-scratch batch norm: its conventions, computed by hand, and its mode switch. */
class ScratchBatchNormTest {
    private static final double EPS = 1e-5;

    private static Tensor t(float[] v, int... dims) {
        return Tensor.of(v, dims);
    }

    @Test
    void twoDimensionalStepsMatchTheChaptersFormulasByHand() {
        ScratchBatchNorm bn = new ScratchBatchNorm(2, 2);
        // Column 0: 1 3 5 7 (mean 4, biased var 5); column 1: 2 6 10 14 (mean 8, biased var 20).
        Tensor y = bn.forward(t(new float[] {1, 2, 3, 6, 5, 10, 7, 14}, 4, 2));
        double s0 = Math.sqrt(5 + EPS);
        double s1 = Math.sqrt(20 + EPS);
        assertClose("y1", t(new float[] {
            (float) (-3 / s0), (float) (-6 / s1), (float) (-1 / s0), (float) (-2 / s1),
            (float) (1 / s0), (float) (2 / s1), (float) (3 / s0), (float) (6 / s1)}, 4, 2), y, 1e-6, 1e-5);
        // moving = 0.9 * 0 + 0.1 * batch, with the BIASED variance.
        assertClose("moving_mean1", t(new float[] {0.4f, 0.8f}, 1, 2), bn.movingMean(), 1e-7, 1e-6);
        assertClose("moving_var1", t(new float[] {0.5f, 2.0f}, 1, 2), bn.movingVar(), 1e-7, 1e-6);

        // Column 0: 0 2 4 6 (mean 3, var 5); column 1: 0 4 8 12 (mean 6, var 20).
        bn.forward(t(new float[] {0, 0, 2, 4, 4, 8, 6, 12}, 4, 2));
        // 0.9 * [0.4, 0.8] + 0.1 * [3, 6] and 0.9 * [0.5, 2] + 0.1 * [5, 20].
        assertClose("moving_mean2", t(new float[] {0.66f, 1.32f}, 1, 2), bn.movingMean(), 1e-6, 1e-5);
        assertClose("moving_var2", t(new float[] {0.95f, 3.8f}, 1, 2), bn.movingVar(), 1e-6, 1e-5);

        bn.eval();
        Tensor yEval = bn.forward(t(new float[] {1, 2}, 1, 2));
        assertClose("y_eval", t(new float[] {
            (float) ((1 - 0.66) / Math.sqrt(0.95 + EPS)), (float) ((2 - 1.32) / Math.sqrt(3.8 + EPS))}, 1, 2),
                yEval, 1e-6, 1e-5);
        assertClose("eval leaves the moving statistics", t(new float[] {0.66f, 1.32f}, 1, 2), bn.movingMean(),
                1e-6, 1e-5);
    }

    @Test
    void fourDimensionalStatisticsAreOverBatchAndSpace() {
        ScratchBatchNorm bn = new ScratchBatchNorm(1, 4);
        assertArrayEquals(new int[] {1, 1, 1, 1}, bn.gamma().shape().dims());
        // Values 1..8: mean 4.5, biased variance 5.25.
        bn.forward(t(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 1, 2, 2));
        assertEquals(0.45f, bn.movingMean().item(), 1e-7);
        assertEquals(0.525f, bn.movingVar().item(), 1e-7);
    }

    @Test
    void movingStatisticsStartAtZeroAsInTheChapter() {
        ScratchBatchNorm bn = new ScratchBatchNorm(3, 4);
        assertArrayEquals(new float[3], bn.movingMean().toArray());
        assertArrayEquals(new float[3], bn.movingVar().toArray());
        // Before any training step, eval divides by sqrt(eps).
        Tensor y = bn.eval().forward(Tensor.full(0.01f, 1, 3, 1, 1));
        assertEquals(0.01 / Math.sqrt(EPS), y.get(0, 0, 0, 0), 1e-4);
    }

    @Test
    void trainingNormalisationEqualsPyTorchsBatchNorm2d() {
        SafeTensors g = Golden.load("batchnorm2d");
        ScratchBatchNorm bn = new ScratchBatchNorm(3, 4);
        try (Tape.NoGrad off = Tape.noGrad()) {
            bn.gamma().copyFrom(g.tensor("gamma").reshape(1, 3, 1, 1));
            bn.beta().copyFrom(g.tensor("beta").reshape(1, 3, 1, 1));
        }
        Tensor x = leaf(g.tensor("x0"));
        try (Tape tape = Tape.record()) {
            Tensor y = bn.forward(x);
            assertClose("y0", g.tensor("y0"), y);
            y.backward(g.tensor("dy0"));
        }
        assertClose("dx0", g.tensor("dx0"), x.grad());
        assertClose("dgamma0", g.tensor("dgamma0").reshape(1, 3, 1, 1), bn.gamma().grad());
        assertClose("dbeta0", g.tensor("dbeta0").reshape(1, 3, 1, 1), bn.beta().grad());
    }

    @Test
    void modeFollowsTrainAndEvalNotGradMode() {
        Tensor x = Tensor.randn(new Random(345), 6, 2).mul(3f).add(4f);

        // Training mode with grad mode off (no tape either): batch statistics, moving update.
        ScratchBatchNorm bn = new ScratchBatchNorm(2, 2);
        Tensor y;
        try (Tape.NoGrad off = Tape.noGrad()) {
            y = bn.forward(x);
        }
        float[] v = y.toArray();
        assertEquals(0.0, (v[0] + v[2] + v[4] + v[6] + v[8] + v[10]) / 6, 1e-5, "normalised by the batch");
        float[] moved = bn.movingMean().toArray();
        assertNotEquals(0f, moved[0], "moving mean updated without grad mode");

        // Evaluation mode while recording gradients: moving statistics, no update, gradients flow.
        bn.eval();
        Tensor xg = Tensor.of(x.toArray(), 6, 2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor out = bn.forward(xg);
            assertEquals((x.get(0, 0) - moved[0]) / Math.sqrt(bn.movingVar().get(0, 0) + EPS), out.get(0, 0), 1e-4);
            out.sum().backward();
        }
        assertArrayEquals(moved, bn.movingMean().toArray(), "eval does not update");
        assertEquals(1 / Math.sqrt(bn.movingVar().get(0, 1) + EPS), xg.grad().get(3, 1), 1e-4);
        assertEquals(6.0f, bn.beta().grad().get(0, 0), 1e-6);
    }

    @Test
    void stateDictKeysAndErrors() {
        ScratchBatchNorm bn = new ScratchBatchNorm(6, 4);
        assertEquals(List.of("gamma", "beta", "moving_mean", "moving_var"), new ArrayList<>(bn.stateDict().keySet()));
        assertEquals(2, bn.parameters().size());
        assertEquals("ScratchBatchNorm(6, num_dims=4): input [2, 6] has 2 dimensions, expected 4",
                assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.ones(2, 6))).getMessage());
        assertEquals("ScratchBatchNorm(6, num_dims=4): input [2, 5, 3, 3] has 5 channels, expected 6",
                assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.ones(2, 5, 3, 3))).getMessage());
        assertEquals("ScratchBatchNorm: expected positive num_features and num_dims 2 or 4, got 6 and 3",
                assertThrows(IllegalArgumentException.class, () -> new ScratchBatchNorm(6, 3)).getMessage());
    }
}
