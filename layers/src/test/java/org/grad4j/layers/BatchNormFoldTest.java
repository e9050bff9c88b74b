package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** {@link BatchNorms#fold} against PyTorch's own folding ({@code torch.nn.utils.fusion}) and the original model. */
class BatchNormFoldTest {

    /** The golden's net: conv - BN - sigmoid - pool, conv (3, 2) without bias - BN - relu, flatten, linear - BN - sigmoid, linear. */
    private static Sequential net() {
        return new Sequential(
                new Conv2d(1, 3, 3), new BatchNorm2d(3), new Sigmoid(), new MaxPool2d(2, 2),
                new Conv2d(3, 4, new int[] {3, 2}, new int[] {1, 1}, new int[] {0, 0}, false), new BatchNorm2d(4),
                new ReLU(), new Flatten(),
                new Linear(24, 6), new BatchNorm1d(6), new Sigmoid(), new Linear(6, 3));
    }

    private static Map<String, Tensor> withPrefix(SafeTensors g, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String k : g.names()) {
            if (k.startsWith(prefix)) {
                out.put(k.substring(prefix.length()), g.tensor(k));
            }
        }
        return out;
    }

    /** {@code |a - e| <= 1e-5 * max |e|}: the relative bound, over the whole output. */
    private static void assertRelative(String what, Tensor expected, Tensor actual) {
        float[] e = expected.toArray();
        float[] a = actual.toArray();
        double scale = 0;
        for (float v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-5 * scale, what + " index " + i);
        }
    }

    @Test
    void foldsAsPyTorchAndLoadsIntoTheModelWithoutBatchNorms() {
        SafeTensors g = Golden.load("folded_bn");
        Sequential net = net();
        net.loadStateDict(withPrefix(g, "net."), true);
        Sequential folded = BatchNorms.fold(net);
        assertEquals(g.metadata().get("folded"), folded.toString());
        Map<String, Tensor> expected = withPrefix(g, "folded.");
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(folded.stateDict().keySet()));
        expected.forEach((k, v) -> assertClose(k, v, folded.stateDict().get(k)));
        Tensor x = g.tensor("x");
        Tensor y;
        try (Tape.NoGrad off = Tape.noGrad()) {
            y = folded.forward(x);
        }
        assertClose("PyTorch's folded net", g.tensor("y_folded"), y);
        assertRelative("the original in eval mode", g.tensor("y"), y);
    }

    @Test
    void theOriginalIsUntouchedAndTheCopyIsEvalOnly() {
        Init.manualSeed(21);
        Sequential net = net();
        try (Tape.NoGrad off = Tape.noGrad()) {
            for (int s = 0; s < 3; s++) {
                net.forward(Tensor.randn(new Random(s), 8, 1, 10, 10).mul(2f).add(1f));
            }
        }
        net.get(3).eval();
        Map<String, Tensor> before = new LinkedHashMap<>();
        net.stateDict().forEach((k, v) -> before.put(k, v.copy()));
        Sequential folded = BatchNorms.fold(net);
        net.stateDict().forEach((k, v) -> assertArrayEquals(before.get(k).toArray(), v.toArray(), k));
        assertTrue(net.isTraining());
        assertFalse(net.get(3).isTraining());
        assertTrue(net.get(1).isTraining());
        assertEquals(9, folded.size());
        for (Module m : folded.modules()) {
            assertFalse(m.isTraining(), m.typeName());
        }
        for (Tensor p : folded.parameters()) {
            assertFalse(p.requiresGrad());
        }
        Tensor x = Tensor.randn(new Random(4), 4, 1, 10, 10);
        Tensor expected;
        try (Tape.NoGrad off = Tape.noGrad()) {
            expected = net.eval().forward(x);
            float[] y = folded.forward(x).toArray();
            assertRelative("folded", expected, Tensor.of(y, 4, 3));
            // Later training of the original does not reach the copy.
            net.train().forward(Tensor.randn(new Random(5), 8, 1, 10, 10));
            assertArrayEquals(y, folded.forward(x).toArray());
        }
    }

    @Test
    void nestedSequentialsAndFrozenLayersFold() {
        Init.manualSeed(22);
        Sequential inner = new Sequential(new Linear(5, 4, false), new BatchNorm1d(4), new ReLU());
        Sequential net = new Sequential(inner, new Dropout(0.3), new Linear(4, 2));
        try (Tape.NoGrad off = Tape.noGrad()) {
            net.forward(Tensor.randn(new Random(1), 16, 5).add(2f));
        }
        BatchNorms.freeze(net);
        Sequential folded = BatchNorms.fold(net);
        assertEquals(List.of("0.0.weight", "0.0.bias", "2.weight", "2.bias"), new ArrayList<>(folded.stateDict().keySet()));
        Tensor x = Tensor.randn(new Random(2), 6, 5);
        try (Tape.NoGrad off = Tape.noGrad()) {
            assertRelative("nested", net.eval().forward(x), folded.forward(x));
        }
    }

    @Test
    void aDilatedConvolutionKeepsItsDilationWhenFolded() {
        Init.manualSeed(23);
        Sequential net = new Sequential(new Conv2d(2, 3, new int[] {3, 2}, new int[] {1, 1}, new int[] {1, 0},
                new int[] {2, 3}, true), new BatchNorm2d(3));
        try (Tape.NoGrad off = Tape.noGrad()) {
            net.forward(Tensor.randn(new Random(23), 4, 2, 9, 8).add(1f));
        }
        Sequential folded = BatchNorms.fold(net);
        assertArrayEquals(new int[] {2, 3}, ((Conv2d) folded.get(0)).dilation());
        Tensor x = Tensor.randn(new Random(24), 2, 2, 9, 8);
        try (Tape.NoGrad off = Tape.noGrad()) {
            assertRelative("dilated", net.eval().forward(x), folded.forward(x));
        }
    }

    private static String error(Sequential net) {
        return assertThrows(IllegalArgumentException.class, () -> BatchNorms.fold(net)).getMessage();
    }

    @Test
    void aBatchNormThatFollowsNoConvOrLinearIsAnError() {
        assertEquals("fold: BatchNorm1d(3) '0' follows nothing (it is first in its Sequential), expected a Linear",
                error(new Sequential(new BatchNorm1d(3), new Linear(3, 2))));
        assertEquals("fold: BatchNorm2d(3) '2' follows Sigmoid, expected a Conv2d",
                error(new Sequential(new Conv2d(1, 3, 3), new Sigmoid(), new BatchNorm2d(3))));
        assertEquals("fold: BatchNorm2d(3) '1' follows Linear, expected a Conv2d",
                error(new Sequential(new Linear(3, 3), new BatchNorm2d(3))));
    }

    @Test
    void aBatchNormWithAnotherChannelCountIsAnError() {
        assertEquals("fold: BatchNorm2d(4) '1' has 4 channels, but the Conv2d before it has 3 outputs",
                error(new Sequential(new Conv2d(1, 3, 3), new BatchNorm2d(4))));
    }

    @Test
    void aBatchNormWithoutRunningStatisticsIsAnError() {
        assertEquals("fold: BatchNorm1d(3) '1' has no running statistics (track_running_stats=False): it normalises "
                + "with batch statistics in evaluation too",
                error(new Sequential(new Linear(2, 3), new BatchNorm1d(3, 1e-5, 0.1, true, false))));
    }

    @Test
    void aModuleThatCannotBeCopiedIsAnError() {
        assertEquals("fold: cannot copy LayerNorm '2'; fold takes Sequential, Conv2d, Linear, BatchNorm1d/2d, "
                + "MaxPool2d, AvgPool2d, Sigmoid, ReLU, Flatten and Dropout",
                error(new Sequential(new Linear(2, 3), new BatchNorm1d(3), new LayerNorm(3))));
    }

    @Test
    void aModelWithoutBatchNormIsAnError() {
        assertEquals("fold: Sequential has no BatchNorm layer to fold", error(new Sequential(new Linear(2, 3))));
    }
}
