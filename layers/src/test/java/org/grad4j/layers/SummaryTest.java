package org.grad4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.grad4j.core.Shape;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** {@link Sequential#summary}: the chapter's per-layer output shapes. */
class SummaryTest {

    @Test
    void bnLeNetAt96x96PrintsTheChaptersShapes() {
        Sequential net = Nets.bnLeNet(16 * 21 * 21);
        assertEquals("Conv2d output shape: [1, 6, 92, 92]\n"
                + "BatchNorm2d output shape: [1, 6, 92, 92]\n"
                + "Sigmoid output shape: [1, 6, 92, 92]\n"
                + "MaxPool2d output shape: [1, 6, 46, 46]\n"
                + "Conv2d output shape: [1, 16, 42, 42]\n"
                + "BatchNorm2d output shape: [1, 16, 42, 42]\n"
                + "Sigmoid output shape: [1, 16, 42, 42]\n"
                + "MaxPool2d output shape: [1, 16, 21, 21]\n"
                + "Flatten output shape: [1, 7056]\n"
                + "Linear output shape: [1, 120]\n"
                + "BatchNorm1d output shape: [1, 120]\n"
                + "Sigmoid output shape: [1, 120]\n"
                + "Linear output shape: [1, 84]\n"
                + "BatchNorm1d output shape: [1, 84]\n"
                + "Sigmoid output shape: [1, 84]\n"
                + "Linear output shape: [1, 10]", net.summary(1, 1, 96, 96));
    }

    @Test
    void outputShapesAreTheSummarysShapesForAnyBatch() {
        Sequential net = Nets.bnLeNet(16 * 4 * 4);
        List<Shape> shapes = net.outputShapes(3, 1, 28, 28);
        assertEquals(net.size(), shapes.size());
        assertEquals(List.of(3, 6, 24, 24), Arrays.stream(shapes.get(0).dims()).boxed().toList());
        assertEquals(List.of(3, 256), Arrays.stream(shapes.get(8).dims()).boxed().toList());
        assertEquals(List.of(3, 10), Arrays.stream(shapes.get(15).dims()).boxed().toList());
        assertTrue(net.isTraining() && net.get(1).isTraining(), "modes restored");
    }

    @Test
    void runsInEvalModeLeavesStateAndRestoresEveryModulesMode() {
        Sequential net = Nets.bnLeNet(256);
        net.get(1).eval();
        net.summary(1, 1, 28, 28);
        assertTrue(net.isTraining());
        assertFalse(net.get(1).isTraining(), "mixed modes are restored one by one");
        assertTrue(net.get(5).isTraining());
        BatchNorm2d bn = (BatchNorm2d) net.get(5);
        assertEquals(0, bn.numBatchesTracked());
        assertEquals(0.0, ModuleTest.maxAbs(bn.runningMean()));
        assertTrue(Tape.isGradEnabled());
    }

    @Test
    void trainingModeOnOneImageWouldFailWhereTheChapterPrintsShapes() {
        Sequential net = Nets.bnLeNet(256);
        assertEquals("Expected more than 1 value per channel when training, got input size [1, 120]",
                assertThrows(IllegalArgumentException.class, () -> net.forward(Tensor.zeros(1, 1, 28, 28)))
                        .getMessage());
    }

    @Test
    void aWrongInputNamesTheLayerAndModesAreStillRestored() {
        Sequential net = Nets.bnLeNet(256);
        assertEquals("Linear(in=256, out=120): input [1, 7056] has 7056 features, expected 256",
                assertThrows(IllegalArgumentException.class, () -> net.summary(1, 1, 96, 96)).getMessage());
        for (Module m : net.modules()) {
            assertTrue(m.isTraining());
        }
    }
}
