package org.grad4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** Initialisers: PyTorch's bounds, seeding, and the xavier distribution. */
class InitTest {

    private static void assertWithin(String what, Tensor t, double bound) {
        for (float v : t.toArray()) {
            assertTrue(Math.abs(v) <= bound * (1 + 1e-6), what + ": " + v + " outside +-" + bound);
        }
    }

    private static double maxAbs(Tensor t) {
        return ModuleTest.maxAbs(t);
    }

    @Test
    void fans() {
        Tensor conv = Tensor.zeros(16, 6, 5, 5);
        assertEquals(150, Init.fanIn(conv));
        assertEquals(400, Init.fanOut(conv));
        Tensor fc = Tensor.zeros(120, 256);
        assertEquals(256, Init.fanIn(fc));
        assertEquals(120, Init.fanOut(fc));
        assertEquals("fanIn: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, "
                + "got shape [5]", assertThrows(IllegalArgumentException.class, () -> Init.fanIn(Tensor.zeros(5)))
                .getMessage());
    }

    @Test
    void linearAndConvDefaultsArePyTorchsBounds() {
        Linear fc = new Linear(256, 120, true, new Random(345));
        assertWithin("linear weight", fc.weight(), 1 / 16.0);
        assertWithin("linear bias", fc.bias(), 1 / 16.0);
        assertTrue(maxAbs(fc.weight()) > 0.99 / 16, "the range is used");
        Conv2d conv = new Conv2d(6, 16, 5, 1, 0, true, new Random(345));
        double b = 1 / Math.sqrt(150);
        assertWithin("conv weight", conv.weight(), b);
        assertWithin("conv bias", conv.bias(), b);
        assertTrue(maxAbs(conv.weight()) > 0.99 * b);
    }

    @Test
    void kaimingUniformBound() {
        Tensor w = Init.kaimingUniform(Tensor.zeros(50, 24), 0, new Random(345));
        double b = Math.sqrt(2.0) * Math.sqrt(3.0 / 24);
        assertWithin("kaiming a=0", w, b);
        assertTrue(maxAbs(w) > 0.98 * b);
    }

    @Test
    void seededConstructionIsDeterministic() {
        Linear a = new Linear(5, 4, true, new Random(345));
        Linear b = new Linear(5, 4, true, new Random(345));
        Linear c = new Linear(5, 4, true, new Random(346));
        assertArrayEquals(a.weight().toArray(), b.weight().toArray());
        assertArrayEquals(a.bias().toArray(), b.bias().toArray());
        assertFalse(Arrays.equals(a.weight().toArray(), c.weight().toArray()));

        Init.manualSeed(7);
        Sequential n1 = Nets.bnLeNet(256);
        Init.manualSeed(7);
        Sequential n2 = Nets.bnLeNet(256);
        n1.stateDict().forEach((k, v) -> assertArrayEquals(v.toArray(), n2.stateDict().get(k).toArray(), k));
        assertFalse(Arrays.equals(((Linear) n1.get(12)).weight().toArray(),
                new Linear(120, 84).weight().toArray()), "the shared generator moves on");
    }

    @Test
    void xavierUniformHasTheRightRangeAndMoments() {
        Tensor w = Init.xavierUniform(Tensor.zeros(200, 300), new Random(345));
        double b = Math.sqrt(6.0 / 500);
        float[] v = w.toArray();
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        double sum = 0;
        double sumSq = 0;
        for (float x : v) {
            min = Math.min(min, x);
            max = Math.max(max, x);
            sum += x;
            sumSq += (double) x * x;
        }
        double mean = sum / v.length;
        double var = sumSq / v.length - mean * mean;
        assertTrue(min >= -b && max <= b * (1 + 1e-6), "inside +-" + b);
        assertTrue(min < -0.999 * b && max > 0.999 * b, "fills the range: " + min + ", " + max);
        // U(-b, b) has mean 0 (standard error b/sqrt(3n) = 0.0003) and variance b^2/3 (within 1%).
        assertEquals(0.0, mean, 0.002);
        assertEquals(b * b / 3, var, 0.01 * b * b / 3);
    }

    @Test
    void xavierForConvUsesReceptiveField() {
        Tensor w = Init.xavierUniform(Tensor.zeros(16, 6, 5, 5), 2.0, new Random(345));
        double b = 2 * Math.sqrt(6.0 / (150 + 400));
        assertWithin("conv xavier", w, b);
        assertTrue(maxAbs(w) > 0.99 * b);
    }

    @Test
    void xavierUniformWeightsTouchesOnlyConvAndLinearWeights() {
        Sequential net = Nets.bnLeNet(256);
        float[] bias = ((Conv2d) net.get(0)).bias().toArray();
        float[] fc3Before = ((Linear) net.get(15)).weight().toArray();
        assertSame(net, Init.xavierUniformWeights(net, new Random(345)));
        assertArrayEquals(bias, ((Conv2d) net.get(0)).bias().toArray());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, ((BatchNorm2d) net.get(1)).weight().toArray());
        Tensor fc3 = ((Linear) net.get(15)).weight();
        assertFalse(Arrays.equals(fc3Before, fc3.toArray()));
        assertWithin("fc3 xavier", fc3, Math.sqrt(6.0 / 94));
        Tensor conv1 = ((Conv2d) net.get(0)).weight();
        double b = Math.sqrt(6.0 / (25 + 150));
        assertWithin("conv1 xavier", conv1, b);
        assertTrue(maxAbs(conv1) > 0.95 * b);
    }

    @Test
    void initWorksOnParametersWhileATapeRecords() {
        Linear fc = new Linear(3, 2);
        try (Tape tape = Tape.record()) {
            Init.xavierUniform(fc.weight(), new Random(345));
            Init.zeros(fc.bias());
        }
        assertArrayEquals(new float[2], fc.bias().toArray());
        assertTrue(fc.weight().requiresGrad());
    }

    @Test
    void uniformAndConstant() {
        Tensor t = Init.uniform(Tensor.zeros(1000), 2, 3, new Random(345));
        for (float v : t.toArray()) {
            assertTrue(v >= 2 && v <= 3);
        }
        assertArrayEquals(new float[] {4, 4}, Init.constant(Tensor.zeros(2), 4).toArray());
        assertArrayEquals(new float[] {1, 1}, Init.ones(Tensor.zeros(2)).toArray());
        assertEquals("uniform: expected finite low <= high, got [1.0, 0.0]",
                assertThrows(IllegalArgumentException.class, () -> Init.uniform(Tensor.zeros(1), 1, 0, new Random()))
                        .getMessage());
    }
}
