package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** Shapes, options and error messages of each layer. */
class LayersTest {

    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    private static int[] dims(Tensor t) {
        return t.shape().dims();
    }

    @Test
    void linearShapesAndErrors() {
        Linear fc = new Linear(7056, 120);
        assertEquals("Linear(in=7056, out=120): input [32, 256] has 256 features, expected 7056",
                error(() -> fc.forward(Tensor.zeros(32, 256))));
        assertEquals("Linear(in=7056, out=120): input [] is a scalar, expected [N, 7056]",
                error(() -> fc.forward(Tensor.scalar(1))));
        Linear small = new Linear(4, 3, true, new Random(345));
        assertArrayEquals(new int[] {5, 3}, dims(small.forward(Tensor.ones(5, 4))));
        assertArrayEquals(new int[] {2, 5, 3}, dims(small.forward(Tensor.ones(2, 5, 4))), "[*, in]");
        assertEquals("Linear: in_features and out_features must be positive, got 0 and 3",
                error(() -> new Linear(0, 3)));
    }

    @Test
    void linearWithoutBias() {
        Linear fc = new Linear(2, 2, false, new Random(345));
        assertNull(fc.bias());
        assertEquals(List.of("weight"), new ArrayList<>(fc.stateDict().keySet()));
        try (Tape.NoGrad off = Tape.noGrad()) {
            fc.weight().copyFrom(Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        }
        assertArrayEquals(new float[] {3, 7}, fc.forward(Tensor.of(new float[] {1, 1}, 1, 2)).toArray());
    }

    @Test
    void conv2dShapesAndErrors() {
        Conv2d conv = new Conv2d(1, 6, 5);
        assertArrayEquals(new int[] {2, 6, 24, 24}, dims(conv.forward(Tensor.zeros(2, 1, 28, 28))));
        assertArrayEquals(new int[] {2, 6, 14, 14},
                dims(new Conv2d(1, 6, 5, 2, 2).forward(Tensor.zeros(2, 1, 28, 28))));
        assertEquals("Conv2d(in=1, out=6, kernel=5): input [1, 28, 28] has 3 dimensions, expected 4 ([N, 1, H, W])",
                error(() -> conv.forward(Tensor.zeros(1, 28, 28))));
        assertEquals("Conv2d(in=1, out=6, kernel=5): input [32, 3, 28, 28] has 3 channels, expected 1",
                error(() -> conv.forward(Tensor.zeros(32, 3, 28, 28))));
        assertEquals("Conv2d(in=1, out=6, kernel=5): input [1, 1, 3, 3] is 3x3, smaller than the kernel 5x5",
                error(() -> conv.forward(Tensor.zeros(1, 1, 3, 3))));
        assertEquals("Conv2d(in=1, out=6, kernel=5): input [1, 1, 2, 9] is 2x9 (4x11 padded), smaller than the "
                + "kernel 5x5", error(() -> new Conv2d(1, 6, 5, 1, 1).forward(Tensor.zeros(1, 1, 2, 9))));
        assertEquals("Conv2d: expected positive channels, kernel_size, stride and dilation and non-negative padding, got "
                + "in_channels=1, out_channels=6, kernel_size=5, stride=0, padding=0, dilation=1",
                error(() -> new Conv2d(1, 6, 5, 0, 0)));
        Conv2d noBias = new Conv2d(2, 3, 3, 1, 1, false);
        assertNull(noBias.bias());
        assertEquals(1, noBias.parameters().size());
        assertArrayEquals(new int[] {3, 3}, noBias.kernelSize());
        assertArrayEquals(new int[] {1, 1}, noBias.padding());
    }

    @Test
    void conv2dDilationGeometryAndErrors() {
        Conv2d conv = new Conv2d(3, 4, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 1}, new int[] {2, 1}, true);
        assertArrayEquals(new int[] {2, 4, 6, 11}, dims(conv.forward(Tensor.zeros(2, 3, 10, 11))));
        assertArrayEquals(new int[] {2, 1}, conv.dilation());
        assertArrayEquals(new int[] {1, 1}, new Conv2d(1, 6, 5).dilation());
        assertEquals("Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(0, 1), dilation=(2, 1))",
                conv.toString());
        assertEquals("Conv2d(in=3, out=4, kernel=3, dilation=(2, 1)): input [1, 3, 4, 9] is 4x9 (4x11 padded), "
                + "smaller than the kernel 5x3", error(() -> conv.forward(Tensor.zeros(1, 3, 4, 9))));
        assertEquals("Conv2d: expected positive channels, kernel_size, stride and dilation and non-negative padding, "
                + "got in_channels=3, out_channels=4, kernel_size=3, stride=1, padding=0, dilation=(0, 1)",
                error(() -> new Conv2d(3, 4, new int[] {3, 3}, new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 1},
                        true)));
    }

    @Test
    void conv2dPerDirectionGeometryAndErrors() {
        Conv2d conv = new Conv2d(4, 5, new int[] {3, 5}, new int[] {2, 1}, new int[] {1, 0}, true);
        assertArrayEquals(new int[] {2, 5, 5, 7}, dims(conv.forward(Tensor.zeros(2, 4, 9, 11))));
        assertArrayEquals(new int[] {3, 5}, conv.kernelSize());
        assertArrayEquals(new int[] {2, 1}, conv.stride());
        assertArrayEquals(new int[] {1, 0}, conv.padding());
        assertArrayEquals(new int[] {5, 4, 3, 5}, dims(conv.weight()));
        assertEquals("Conv2d(4, 5, kernel_size=(3, 5), stride=(2, 1), padding=(1, 0))", conv.toString());
        assertEquals("Conv2d(in=4, out=5, kernel=(3, 5)): input [1, 4, 9, 4] is 9x4 (11x4 padded), smaller than "
                + "the kernel 3x5", error(() -> conv.forward(Tensor.zeros(1, 4, 9, 4))));
        assertEquals("Conv2d: kernel_size must have 2 entries (height, width), got [3, 5, 1]",
                error(() -> new Conv2d(4, 5, new int[] {3, 5, 1}, new int[] {1, 1}, new int[] {0, 0}, true)));
        assertEquals("Conv2d: stride must have 2 entries (height, width), got [1]",
                error(() -> new Conv2d(4, 5, new int[] {3, 5}, new int[] {1}, new int[] {0, 0}, true)));
        assertEquals("Conv2d: padding must have 2 entries (height, width), got []",
                error(() -> new Conv2d(4, 5, new int[] {3, 5}, new int[] {1, 1}, new int[0], true)));
        assertEquals("Conv2d: expected positive channels, kernel_size, stride and dilation and non-negative padding, got "
                + "in_channels=4, out_channels=5, kernel_size=(3, 0), stride=1, padding=0, dilation=1",
                error(() -> new Conv2d(4, 5, new int[] {3, 0}, new int[] {1, 1}, new int[] {0, 0}, true)));
        assertEquals("Conv2d: expected positive channels, kernel_size, stride and dilation and non-negative padding, got "
                + "in_channels=4, out_channels=5, kernel_size=3, stride=(1, -1), padding=(0, -2), dilation=1",
                error(() -> new Conv2d(4, 5, new int[] {3, 3}, new int[] {1, -1}, new int[] {0, -2}, true)));
        assertEquals("Conv2d: dilation must have 2 entries (height, width), got [2]",
                error(() -> new Conv2d(4, 5, new int[] {3, 5}, new int[] {1, 1}, new int[] {0, 0}, new int[] {2},
                        true)));
        int[] kernel = {3, 5};
        Conv2d copied = new Conv2d(4, 5, kernel, new int[] {1, 1}, new int[] {0, 0}, true);
        kernel[0] = 7;
        assertArrayEquals(new int[] {3, 5}, copied.kernelSize(), "the tuple is copied");
    }

    @Test
    void poolingShapesAndErrors() {
        assertArrayEquals(new int[] {1, 6, 46, 46}, dims(new MaxPool2d(2, 2).forward(Tensor.zeros(1, 6, 92, 92))));
        assertArrayEquals(new int[] {1, 6, 5, 5}, dims(new MaxPool2d(3, 2, 1).forward(Tensor.zeros(1, 6, 9, 9))));
        assertEquals(2, new AvgPool2d(2).stride());
        assertEquals("MaxPool2d: padding should be at most half of kernel_size, got padding=2 and kernel_size=3",
                error(() -> new MaxPool2d(3, 1, 2)));
        assertEquals("AvgPool2d: expected positive kernel_size and stride and non-negative padding, got "
                + "kernel_size=0, stride=1, padding=0", error(() -> new AvgPool2d(0, 1, 0)));
        assertEquals("MaxPool2d(kernel=2, stride=2): input [6, 4, 4] has 3 dimensions, expected 4 ([N, C, H, W])",
                error(() -> new MaxPool2d(2).forward(Tensor.zeros(6, 4, 4))));
        assertEquals("AvgPool2d(kernel=3, stride=3): input [1, 1, 2, 2] is 2x2, smaller than the kernel 3x3",
                error(() -> new AvgPool2d(3).forward(Tensor.zeros(1, 1, 2, 2))));
    }

    @Test
    void avgPoolAveragesWindowsAndCountsPadding() {
        Tensor x = Tensor.arange(16).reshape(1, 1, 4, 4);
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, new AvgPool2d(2).forward(x).toArray());
        Tensor ones = Tensor.ones(1, 1, 2, 2);
        // Each 2x2 window at stride 2 with padding 1 holds one real value and three zeros of padding.
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, new AvgPool2d(2, 2, 1).forward(ones).toArray());
    }

    @Test
    void maxPoolRoutesTheGradientToTheMaximum() {
        Tensor x = Tensor.of(new float[] {1, 5, 2, 0}, 1, 1, 2, 2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = new MaxPool2d(2).forward(x);
            assertEquals(5f, y.item());
            y.sum().backward();
        }
        assertArrayEquals(new float[] {0, 1, 0, 0}, x.grad().toArray());
    }

    @Test
    void flatten() {
        Tensor x = Tensor.zeros(2, 3, 4, 5);
        assertArrayEquals(new int[] {2, 60}, dims(new Flatten().forward(x)));
        assertArrayEquals(new int[] {120}, dims(new Flatten(0, -1).forward(x)));
        assertArrayEquals(new int[] {2, 12, 5}, dims(new Flatten(1, 2).forward(x)));
        assertArrayEquals(new int[] {2, 3, 4, 5}, dims(new Flatten(2, 2).forward(x)));
        assertEquals("Flatten(start_dim=1, end_dim=-1): input [7] has 1 dimensions, expected dimensions 1 to -1 "
                + "to exist in this order", error(() -> new Flatten().forward(Tensor.zeros(7))));
        assertEquals("Flatten(start_dim=2, end_dim=1): input [2, 3, 4, 5] has 4 dimensions, expected dimensions "
                + "2 to 1 to exist in this order", error(() -> new Flatten(2, 1).forward(x)));
    }

    @Test
    void activations() {
        Tensor x = Tensor.of(new float[] {-2, 0, 3}, 3);
        assertArrayEquals(new float[] {0, 0, 3}, new ReLU().forward(x).toArray());
        float[] s = new Sigmoid().forward(x).toArray();
        assertEquals(1 / (1 + Math.exp(2)), s[0], 1e-7);
        assertEquals(0.5, s[1], 1e-7);
    }

    @Test
    void dropoutOnlyInTrainingMode() {
        Tensor x = Tensor.ones(100, 100);
        Dropout drop = new Dropout(0.5, new Random(345));
        Tensor y = drop.forward(x);
        int kept = 0;
        for (float v : y.toArray()) {
            assertTrue(v == 0f || v == 2f, "dropped or scaled by 1/(1-p): " + v);
            kept += v == 2f ? 1 : 0;
        }
        assertEquals(5000, kept, 200);
        assertSame(x, drop.eval().forward(x), "identity in eval mode");
        try (Tape.NoGrad off = Tape.noGrad()) {
            drop.train();
            assertTrue(ModuleTest.maxAbs(drop.forward(x).sub(1f)) > 0, "grad mode plays no part");
        }
        assertSame(x, new Dropout(0, new Random(345)).forward(x));
        assertEquals(0.0, ModuleTest.maxAbs(new Dropout(1, new Random(345)).forward(x)));
        assertEquals("Dropout: p must be between 0 and 1, got 1.5", error(() -> new Dropout(1.5)));
    }

    @Test
    void dropoutIsReproducibleFromItsSeed() {
        Tensor x = Tensor.ones(10, 10);
        Dropout a = new Dropout(0.3, new Random(345));
        Dropout b = new Dropout(0.3);
        b.setRandom(new Random(345));
        assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray());
        assertEquals(0.3, a.p());
    }

    @Test
    void dropoutGradientUsesTheSameMask() {
        Tensor x = Tensor.ones(4, 5).requiresGrad(true);
        Tensor y;
        try (Tape tape = Tape.record()) {
            y = new Dropout(0.5, new Random(345)).forward(x);
            y.sum().backward();
        }
        assertArrayEquals(y.toArray(), x.grad().toArray());
    }

    @Test
    void layerNormNormalisesEachSample() {
        LayerNorm ln = new LayerNorm(2, 3);
        assertEquals(List.of("weight", "bias"), new ArrayList<>(ln.stateDict().keySet()));
        assertArrayEquals(new int[] {2, 3}, dims(ln.weight()));
        Tensor x = Tensor.randn(new Random(345), 4, 2, 3).mul(5f).add(2f);
        Tensor y = ln.forward(x);
        float[] v = y.toArray();
        for (int n = 0; n < 4; n++) {
            double sum = 0;
            double sq = 0;
            for (int i = 0; i < 6; i++) {
                sum += v[n * 6 + i];
                sq += v[n * 6 + i] * v[n * 6 + i];
            }
            assertEquals(0.0, sum / 6, 1e-5);
            assertEquals(1.0, sq / 6, 1e-3, "biased variance 1");
        }
        assertArrayEquals(y.toArray(), ln.eval().forward(x).toArray(), "no mode dependence");
        assertEquals("LayerNorm([2, 3]): input [4, 3, 2] does not end in the normalized shape [2, 3]",
                error(() -> ln.forward(Tensor.zeros(4, 3, 2))));
        assertEquals("LayerNorm([6]): input [6, 5] does not end in the normalized shape [6]",
                error(() -> new LayerNorm(6).forward(Tensor.zeros(6, 5))));
        LayerNorm plain = new LayerNorm(new int[] {3}, 1e-3, false);
        assertEquals(List.of(), plain.parameters());
        assertEquals(1e-3, plain.eps());
        assertClose("no affine", new LayerNorm(3).forward(x.reshape(8, 3)), plain.forward(x.reshape(8, 3)), 1e-3, 1e-3);
    }

    @Test
    void sequentialChainsAndIndexes() {
        Linear a = new Linear(3, 4);
        ReLU b = new ReLU();
        Sequential net = new Sequential(a).add(b);
        assertEquals(2, net.size());
        assertSame(a, net.get(0));
        assertSame(b, net.get(1));
        List<Module> seen = new ArrayList<>();
        net.forEach(seen::add);
        assertEquals(List.of(a, b), seen);
        Tensor x = Tensor.randn(new Random(345), 2, 3);
        assertArrayEquals(a.forward(x).relu().toArray(), net.forward(x).toArray());
        Tensor same = Tensor.ones(1);
        assertSame(same, new Sequential().forward(same));
        assertThrows(IndexOutOfBoundsException.class, () -> net.get(2));
        Sequential typed = new Sequential(new Linear(1, 1)).eval();
        assertEquals(1, typed.size());
    }
}
