package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.grad4j.layers.Golden.leaf;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** Conv2d, MaxPool2d and Linear as modules against PyTorch's values: outputs and all gradients. */
class LayerGoldenTest {

    /** Loads w and b (none for a null bias) into the module, runs x forward and dy backward, checks y, dx, dw, db. */
    private static void checkWeighted(String file, Module layer, Tensor weight, Tensor bias) {
        SafeTensors g = Golden.load(file);
        layer.loadStateDict(bias == null ? Map.of("weight", g.tensor("w"))
                : Map.of("weight", g.tensor("w"), "bias", g.tensor("b")), true);
        Tensor x = leaf(g.tensor("x"));
        try (Tape tape = Tape.record()) {
            Tensor y = layer.forward(x);
            assertClose(file + " y", g.tensor("y"), y);
            y.backward(g.tensor("dy"));
        }
        assertClose(file + " dx", g.tensor("dx"), x.grad());
        assertClose(file + " dw", g.tensor("dw"), weight.grad());
        if (bias != null) {
            assertClose(file + " db", g.tensor("db"), bias.grad());
        }
    }

    @Test
    void conv2dBasic() {
        Conv2d conv = new Conv2d(3, 4, 5);
        checkWeighted("conv2d_basic", conv, conv.weight(), conv.bias());
    }

    @Test
    void conv2dStride2Pad1() {
        Conv2d conv = new Conv2d(2, 3, 3, 2, 1);
        checkWeighted("conv2d_stride2_pad1", conv, conv.weight(), conv.bias());
    }

    @Test
    void conv2dRectangularKernel() {
        Conv2d conv = new Conv2d(4, 5, new int[] {3, 5}, new int[] {1, 1}, new int[] {0, 0}, true);
        assertEquals(Golden.load("conv2d_k3x5").metadata().get("repr"), conv.toString());
        checkWeighted("conv2d_k3x5", conv, conv.weight(), conv.bias());
    }

    @Test
    void conv2dPerDirectionStrideAndPaddingWithoutBias() {
        Conv2d conv = new Conv2d(4, 5, new int[] {3, 5}, new int[] {2, 1}, new int[] {1, 2}, false);
        SafeTensors g = Golden.load("conv2d_k3x5_s2x1_p1x2");
        assertEquals(g.metadata().get("repr"), conv.toString());
        assertEquals(List.of("weight"), List.copyOf(conv.stateDict().keySet()));
        conv.loadStateDict(Map.of("weight", g.tensor("w")), true);
        Tensor x = leaf(g.tensor("x"));
        try (Tape tape = Tape.record()) {
            Tensor y = conv.forward(x);
            assertClose("y", g.tensor("y"), y);
            y.backward(g.tensor("dy"));
        }
        assertClose("dx", g.tensor("dx"), x.grad());
        assertClose("dw", g.tensor("dw"), conv.weight().grad());
    }

    @Test
    void conv2dDilation() {
        Conv2d conv = new Conv2d(4, 5, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0}, new int[] {2, 1}, true);
        assertEquals(Golden.load("conv2d_dilation2x1").metadata().get("repr"), conv.toString());
        checkWeighted("conv2d_dilation2x1", conv, conv.weight(), conv.bias());
    }

    @Test
    void conv2dDilationWithStridePaddingAndRectangularKernel() {
        Conv2d conv = new Conv2d(4, 5, new int[] {3, 2}, new int[] {2, 1}, new int[] {2, 1}, new int[] {2, 3},
                false);
        assertEquals(Golden.load("conv2d_k3x2_s2x1_p2x1_d2x3").metadata().get("repr"), conv.toString());
        checkWeighted("conv2d_k3x2_s2x1_p2x1_d2x3", conv, conv.weight(), null);
    }

    @Test
    void linear() {
        Linear fc = new Linear(7, 3);
        checkWeighted("linear", fc, fc.weight(), fc.bias());
    }

    @Test
    void maxPool2dK2S2() {
        SafeTensors g = Golden.load("maxpool2d_k2s2");
        Tensor x = leaf(g.tensor("x"));
        try (Tape tape = Tape.record()) {
            Tensor y = new MaxPool2d(2, 2).forward(x);
            assertClose("maxpool y", g.tensor("y"), y);
            y.backward(g.tensor("dy"));
        }
        assertClose("maxpool dx", g.tensor("dx"), x.grad());
    }

    @Test
    void maxPool2dStrideDefaultsToKernel() {
        SafeTensors g = Golden.load("maxpool2d_k2s2");
        assertClose("maxpool y", g.tensor("y"), new MaxPool2d(2).forward(g.tensor("x")));
    }
}
