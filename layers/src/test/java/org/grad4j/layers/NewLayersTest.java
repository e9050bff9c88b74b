package org.grad4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.grad4j.core.Functional;
import org.grad4j.core.Shape;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** Identity, AdaptiveAvgPool2d and ModuleList: what they compute, register and print, and their errors. */
class NewLayersTest {
    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void identityReturnsItsInputAndPassesTheGradient() {
        Tensor x = Tensor.randn(new Random(345), 2, 3).requiresGrad(true);
        Identity id = new Identity();
        assertSame(x, id.forward(x));
        try (Tape tape = Tape.record()) {
            id.forward(x).mul(x).sum().backward();
        }
        float[] xs = x.toArray();
        float[] g = x.grad().toArray();
        for (int i = 0; i < xs.length; i++) {
            assertEquals(2 * xs[i], g[i], 1e-6);
        }
        assertEquals("Identity()", id.toString());
        assertEquals(0, id.stateDict().size());
    }

    @Test
    void adaptiveAvgPoolIsTheFunctionalOp() {
        Tensor x = Tensor.randn(new Random(345), 2, 3, 7, 5);
        assertArrayEquals(Functional.adaptiveAvgPool2d(x, 3, 2).toArray(),
                new AdaptiveAvgPool2d(3, 2).forward(x).toArray());
        Tensor global = new AdaptiveAvgPool2d(1).forward(x);
        assertEquals(Shape.of(2, 3, 1, 1), global.shape());
        assertArrayEquals(x.mean(new int[] {2, 3}, true).toArray(), global.toArray(), 1e-6f);
        assertEquals(0, new AdaptiveAvgPool2d(1).stateDict().size());
    }

    @Test
    void adaptiveAvgPoolPrintsLikePyTorch() {
        assertEquals("AdaptiveAvgPool2d(output_size=1)", new AdaptiveAvgPool2d(1).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=(1, 1))", new AdaptiveAvgPool2d(1, 1).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=(3, 2))", new AdaptiveAvgPool2d(3, 2).toString());
    }

    @Test
    void adaptiveAvgPoolErrors() {
        assertEquals("AdaptiveAvgPool2d: output size must be positive, got 0", message(() -> new AdaptiveAvgPool2d(0)));
        assertEquals("AdaptiveAvgPool2d: output size must be positive, got (2, -1)",
                message(() -> new AdaptiveAvgPool2d(2, -1)));
        assertEquals("AdaptiveAvgPool2d(output_size=(1, 1)): expected a 4-D input [N, C, H, W], got [2, 512]",
                message(() -> new AdaptiveAvgPool2d(1, 1).forward(Tensor.zeros(2, 512))));
    }

    /** A user module holding its layers in a ModuleList and calling them in its own forward. */
    private static final class Residuals extends Module {
        private final ModuleList blocks = child("blocks", new ModuleList(new Linear(4, 4), new Linear(4, 4)));

        @Override
        public Tensor forward(Tensor x) {
            for (Module b : blocks) {
                x = x.add(b.forward(x));
            }
            return x;
        }
    }

    @Test
    void moduleListRegistersItsModulesUnderIndices() {
        Residuals net = new Residuals();
        assertEquals(List.of("blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"),
                List.copyOf(net.stateDict().keySet()));
        assertEquals(4, net.parameters().size());
        net.eval();
        assertEquals(false, net.blocks.get(1).isTraining(), "the training flag reaches the list's modules");
        assertEquals(2, net.blocks.size());
        Tensor x = Tensor.randn(new Random(345), 3, 4);
        Tensor h = x.add(net.blocks.get(0).forward(x));
        assertArrayEquals(h.add(net.blocks.get(1).forward(h)).toArray(), net.forward(x).toArray());
        assertEquals("ModuleList(\n  (0): Linear(in_features=4, out_features=4, bias=True)\n"
                + "  (1): Linear(in_features=4, out_features=4, bias=True)\n)", net.blocks.toString());
        assertThrows(IndexOutOfBoundsException.class, () -> net.blocks.get(2));
        assertThrows(UnsupportedOperationException.class, () -> {
            java.util.Iterator<Module> it = net.blocks.iterator();
            it.next();
            it.remove();
        });
    }

    @Test
    void moduleListHasNoForward() {
        ModuleList list = new ModuleList(new ReLU());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> list.forward(Tensor.zeros(1)));
        assertEquals("ModuleList has no forward: call its modules in the forward of the module that holds it"
                + " (or use a Sequential to chain them)", e.getMessage());
    }

    @Test
    void moduleListRefusesItselfAndNull() {
        ModuleList list = new ModuleList();
        assertEquals("ModuleList: child '0' is this module or contains it", message(() -> list.add(list)));
        assertThrows(NullPointerException.class, () -> list.add(null));
        assertEquals(0, list.size());
    }
}
