package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.grad4j.layers.Golden.leaf;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * BatchNorm1d and BatchNorm2d against PyTorch: two training steps (output, input and parameter
 * gradients, running statistics after each), then evaluation mode.
 */
class BatchNormGoldenTest {

    private static void check(String file, BatchNorm bn) {
        SafeTensors g = Golden.load(file);
        assertEquals("1e-05", g.metadata().get("eps"));
        assertEquals("0.1", g.metadata().get("momentum"));
        bn.loadStateDict(Map.of(
                "weight", g.tensor("gamma"), "bias", g.tensor("beta"),
                "running_mean", g.tensor("running_mean_in"), "running_var", g.tensor("running_var_in"),
                "num_batches_tracked", Tensor.scalar(0)), true);
        for (int s = 0; s < 2; s++) {
            bn.zeroGrad();
            Tensor x = leaf(g.tensor("x" + s));
            try (Tape tape = Tape.record()) {
                Tensor y = bn.forward(x);
                assertClose(file + " y" + s, g.tensor("y" + s), y);
                y.backward(g.tensor("dy" + s));
            }
            assertClose(file + " dx" + s, g.tensor("dx" + s), x.grad());
            assertClose(file + " dgamma" + s, g.tensor("dgamma" + s), bn.weight().grad());
            assertClose(file + " dbeta" + s, g.tensor("dbeta" + s), bn.bias().grad());
            assertClose(file + " running_mean" + s, g.tensor("running_mean" + s), bn.runningMean());
            assertClose(file + " running_var" + s, g.tensor("running_var" + s), bn.runningVar());
            assertEquals(s + 1, bn.numBatchesTracked());
        }
        bn.eval();
        Tensor x = leaf(g.tensor("x_eval"));
        try (Tape tape = Tape.record()) {
            Tensor y = bn.forward(x);
            assertClose(file + " y_eval", g.tensor("y_eval"), y);
            y.backward(g.tensor("dy_eval"));
        }
        assertClose(file + " dx_eval", g.tensor("dx_eval"), x.grad());
        assertClose(file + " running_mean unchanged by eval", g.tensor("running_mean1"), bn.runningMean());
        assertClose(file + " running_var unchanged by eval", g.tensor("running_var1"), bn.runningVar());
        assertEquals(2, bn.numBatchesTracked());
    }

    @Test
    void batchNorm2d() {
        check("batchnorm2d", new BatchNorm2d(3));
    }

    @Test
    void batchNorm1d() {
        check("batchnorm1d", new BatchNorm1d(6));
    }
}
