package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.assertGolden;
import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.param;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.grad4j.core.io.SafeTensors;
import org.grad4j.core.kernels.Workspace;
import org.junit.jupiter.api.Test;

/**
 * {@link Functional#conv2d}: PyTorch's values, direct nested loops in double, gradcheck, and
 * the workspace reuse that im2col relies on.
 */
class Conv2dTest {

    // ------------------------------------------------------------------ 1. PyTorch

    private static void golden(String name) throws Exception {
        SafeTensors g = FunctionalTest.golden(name);
        int stride = Integer.parseInt(g.metadata().get("stride"));
        int padding = Integer.parseInt(g.metadata().get("padding"));
        Tensor x = g.tensor("x").requiresGrad(true);
        Tensor w = g.tensor("w").requiresGrad(true);
        Tensor b = g.tensor("b").requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = Functional.conv2d(x, w, b, stride, padding);
            assertEquals(g.shape("y"), y.shape(), name + " y shape");
            assertGolden(g.tensor("y"), y, name + " y");
            y.backward(g.tensor("dy"));
        }
        assertGolden(g.tensor("dx"), x.grad(), name + " dx");
        assertGolden(g.tensor("dw"), w.grad(), name + " dw");
        assertGolden(g.tensor("db"), b.grad(), name + " db");
    }

    @Test
    void matchesPyTorchBasic() throws Exception {
        golden("conv2d_basic");
    }

    @Test
    void matchesPyTorchWithStride2AndPadding1() throws Exception {
        golden("conv2d_stride2_pad1");
    }

    // ------------------------------------------------------------------ 2. naive loops

    /** One convolution: N, C, H, W, F, kh, kw, sh, sw, ph, pw and optionally dh, dw (else 1, 1). */
    private static final int[][] CASES = {
        {2, 3, 9, 9, 4, 5, 5, 1, 1, 0, 0},
        {1, 1, 7, 5, 2, 3, 3, 2, 2, 1, 1},
        {3, 2, 6, 7, 3, 1, 1, 1, 1, 0, 0},
        {2, 3, 5, 5, 2, 1, 1, 2, 2, 1, 1},
        {2, 4, 5, 6, 5, 3, 2, 2, 1, 1, 0},
        {1, 3, 4, 4, 2, 4, 4, 3, 3, 2, 2},
        {2, 1, 8, 8, 3, 3, 3, 3, 2, 0, 1},
        {2, 2, 1, 1, 3, 1, 1, 1, 1, 0, 0},
        {1, 2, 3, 3, 1, 5, 5, 1, 1, 2, 2},
        {1, 1, 11, 13, 6, 5, 5, 1, 1, 2, 2},
        {3, 5, 7, 9, 4, 3, 5, 2, 3, 1, 2},
        // Dilation: unpadded stride 1 (where the undilated layer takes the fast layouts), with
        // stride and padding, per direction, and the dilated kernel as large as the padded input.
        {2, 2, 20, 35, 3, 3, 3, 1, 1, 0, 0, 2, 3},
        {2, 3, 12, 12, 4, 5, 5, 1, 1, 0, 0, 2, 2},
        {3, 2, 10, 11, 3, 3, 2, 2, 1, 2, 1, 2, 3},
        {1, 1, 7, 5, 2, 3, 3, 1, 1, 1, 0, 3, 2},
        {2, 2, 9, 9, 2, 3, 3, 3, 2, 1, 1, 4, 1},
    };

    private static int dilation(int[] c, int i) {
        return c.length > 11 ? c[11 + i] : 1;
    }

    /** y, dx, dw, db by the definition, in double. */
    private static double[][] naive(float[] x, float[] w, float[] b, float[] dy, int[] c) {
        int n = c[0];
        int ch = c[1];
        int h = c[2];
        int wd = c[3];
        int f = c[4];
        int kh = c[5];
        int kw = c[6];
        int sh = c[7];
        int sw = c[8];
        int ph = c[9];
        int pw = c[10];
        int dh = dilation(c, 0);
        int dwl = dilation(c, 1);
        int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        int ow = (wd + 2 * pw - dwl * (kw - 1) - 1) / sw + 1;
        double[] y = new double[n * f * oh * ow];
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        double[] db = new double[f];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < f; o++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        int yi = ((i * f + o) * oh + r) * ow + q;
                        double s = b == null ? 0 : b[o];
                        double g = dy[yi];
                        db[o] += g;
                        for (int cc = 0; cc < ch; cc++) {
                            for (int u = 0; u < kh; u++) {
                                for (int v = 0; v < kw; v++) {
                                    int ih = r * sh - ph + u * dh;
                                    int iw = q * sw - pw + v * dwl;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) {
                                        continue;
                                    }
                                    int xi = ((i * ch + cc) * h + ih) * wd + iw;
                                    int wi = ((o * ch + cc) * kh + u) * kw + v;
                                    s += (double) w[wi] * x[xi];
                                    dx[xi] += g * w[wi];
                                    dw[wi] += g * x[xi];
                                }
                            }
                        }
                        y[yi] = s;
                    }
                }
            }
        }
        return new double[][] {y, dx, dw, db};
    }

    @Test
    void agreesWithNaiveLoops() {
        Random rng = new Random(345);
        for (int[] c : CASES) {
            for (boolean withBias : new boolean[] {true, false}) {
                Tensor x = param(rng, c[0], c[1], c[2], c[3]);
                Tensor w = param(rng, c[4], c[1], c[5], c[6]);
                Tensor b = withBias ? param(rng, c[4]) : null;
                int dh = dilation(c, 0);
                int dw = dilation(c, 1);
                int oh = (c[2] + 2 * c[9] - dh * (c[5] - 1) - 1) / c[7] + 1;
                int ow = (c[3] + 2 * c[10] - dw * (c[6] - 1) - 1) / c[8] + 1;
                Tensor dy = Tensor.randn(rng, c[0], c[4], oh, ow);
                List<float[]> got = valuesAndGrads(t -> Functional.conv2d(t[0], t[1], withBias ? t[2] : null,
                        c[7], c[8], c[9], c[10], dh, dw), dy, withBias ? new Tensor[] {x, w, b} : new Tensor[] {x, w});
                double[][] want = naive(x.toArray(), w.toArray(), withBias ? b.toArray() : null, dy.toArray(), c);
                String what = "conv2d " + java.util.Arrays.toString(c) + (withBias ? "" : " no bias");
                assertClose(want[0], got.get(0), 1e-4, 1e-4, what + " y");
                assertClose(want[1], got.get(1), 1e-4, 1e-4, what + " dx");
                assertClose(want[2], got.get(2), 1e-4, 1e-4, what + " dw");
                if (withBias) {
                    assertClose(want[3], got.get(3), 1e-4, 1e-4, what + " db");
                }
            }
        }
    }

    @Test
    void agreesWithNaiveLoopsOnRandomGeometries() {
        Random rng = new Random(345);
        int done = 0;
        while (done < 40) {
            int[] c = {1 + rng.nextInt(3), 1 + rng.nextInt(4), 1 + rng.nextInt(9), 1 + rng.nextInt(9),
                1 + rng.nextInt(4), 1 + rng.nextInt(5), 1 + rng.nextInt(5), 1 + rng.nextInt(3), 1 + rng.nextInt(3),
                rng.nextInt(3), rng.nextInt(3), 1 + rng.nextInt(3), 1 + rng.nextInt(3)};
            int dh = c[11];
            int dw = c[12];
            if (c[2] + 2 * c[9] < dh * (c[5] - 1) + 1 || c[3] + 2 * c[10] < dw * (c[6] - 1) + 1) {
                continue;
            }
            done++;
            Tensor x = param(rng, c[0], c[1], c[2], c[3]);
            Tensor w = param(rng, c[4], c[1], c[5], c[6]);
            Tensor b = param(rng, c[4]);
            int oh = (c[2] + 2 * c[9] - dh * (c[5] - 1) - 1) / c[7] + 1;
            int ow = (c[3] + 2 * c[10] - dw * (c[6] - 1) - 1) / c[8] + 1;
            Tensor dy = Tensor.randn(rng, c[0], c[4], oh, ow);
            List<float[]> got = valuesAndGrads(t -> Functional.conv2d(t[0], t[1], t[2], c[7], c[8], c[9], c[10], dh,
                    dw), dy, x, w, b);
            double[][] want = naive(x.toArray(), w.toArray(), b.toArray(), dy.toArray(), c);
            String what = "conv2d " + java.util.Arrays.toString(c);
            assertClose(want[0], got.get(0), 1e-4, 1e-4, what + " y");
            assertClose(want[1], got.get(1), 1e-4, 1e-4, what + " dx");
            assertClose(want[2], got.get(2), 1e-4, 1e-4, what + " dw");
            assertClose(want[3], got.get(3), 1e-4, 1e-4, what + " db");
        }
    }

    @Test
    void outputShapeFollowsTheFloorFormula() {
        Tensor y = Functional.conv2d(Tensor.zeros(1, 1, 96, 96), Tensor.zeros(6, 1, 5, 5), null, 1, 0);
        assertEquals(Shape.of(1, 6, 92, 92), y.shape());
        y = Functional.conv2d(Tensor.zeros(2, 3, 8, 7), Tensor.zeros(4, 3, 3, 3), null, 2, 1);
        assertEquals(Shape.of(2, 4, 4, 4), y.shape());
        y = Functional.conv2d(Tensor.zeros(1, 2, 10, 9), Tensor.zeros(3, 2, 3, 2), null, 3, 2, 0, 1);
        assertEquals(Shape.of(1, 3, 3, 5), y.shape());
    }

    @Test
    void squareFormIsTheGeneralFormWithEqualArguments() {
        Random rng = new Random(345);
        Tensor x = Tensor.randn(rng, 2, 3, 7, 7);
        Tensor w = Tensor.randn(rng, 4, 3, 3, 3);
        Tensor b = Tensor.randn(rng, 4);
        assertArrayEquals(Functional.conv2d(x, w, b, 2, 2, 1, 1).toArray(), Functional.conv2d(x, w, b, 2, 1).toArray());
    }

    // ------------------------------------------------------------------ 3. gradcheck

    @Test
    void passesGradcheck() {
        Random rng = new Random(345);
        GradCheck.check("conv2d", t -> Functional.conv2d(t[0], t[1], t[2], 1, 0),
                param(rng, 2, 2, 5, 5), param(rng, 3, 2, 3, 3), param(rng, 3));
        GradCheck.check("conv2d stride 2 pad 1", t -> Functional.conv2d(t[0], t[1], t[2], 2, 1),
                param(rng, 1, 2, 6, 5), param(rng, 2, 2, 3, 3), param(rng, 2));
        GradCheck.check("conv2d rectangular", t -> Functional.conv2d(t[0], t[1], null, 1, 2, 2, 0),
                param(rng, 2, 1, 6, 7), param(rng, 2, 1, 3, 2));
        GradCheck.check("conv2d 1x1", t -> Functional.conv2d(t[0], t[1], t[2], 1, 0),
                param(rng, 3, 3, 2, 3), param(rng, 2, 3, 1, 1), param(rng, 2));
        GradCheck.check("conv2d weight only", t -> Functional.conv2d(t[0], t[1], t[2], 1, 1),
                Tensor.randn(rng, 2, 2, 4, 4), param(rng, 2, 2, 3, 3), Tensor.randn(rng, 2));
        GradCheck.check("conv2d dilation (2, 1)", t -> Functional.conv2d(t[0], t[1], t[2], 1, 1, 0, 0, 2, 1),
                param(rng, 2, 2, 7, 5), param(rng, 3, 2, 3, 3), param(rng, 3));
        GradCheck.check("conv2d dilation (2, 3) stride 2 pad 1", t -> Functional.conv2d(t[0], t[1], null, 2, 1, 1,
                1, 2, 3), param(rng, 1, 2, 7, 8), param(rng, 2, 2, 2, 3));
    }

    // ------------------------------------------------------------------ the workspace

    @Test
    void backwardIsRightAfterOtherConvolutionsReusedTheWorkspace() {
        Random rng = new Random(345);
        Tensor x1 = param(rng, 2, 3, 9, 9);
        Tensor w1 = param(rng, 4, 3, 3, 3);
        Tensor x2 = param(rng, 3, 2, 12, 12);
        Tensor w2 = param(rng, 5, 2, 5, 5);
        Tensor dy1 = Tensor.randn(rng, 2, 4, 7, 7);
        Tensor dy2 = Tensor.randn(rng, 3, 5, 8, 8);
        List<float[]> alone1 = valuesAndGrads(t -> Functional.conv2d(t[0], t[1], null, 1, 0), dy1, x1, w1);
        List<float[]> alone2 = valuesAndGrads(t -> Functional.conv2d(t[0], t[1], null, 1, 0), dy2, x2, w2);
        Workspace.release();
        try (Tape tape = Tape.record()) {
            Tensor y1 = Functional.conv2d(x1, w1, null, 1, 0);
            Tensor y2 = Functional.conv2d(x2, w2, null, 1, 0);   // larger: regrows and overwrites the buffers
            Tensor loss = y1.mul(dy1).sum().add(y2.mul(dy2).sum());
            loss.backward();
        }
        assertArrayEquals(alone1.get(1), x1.grad().toArray(), "dx1");
        assertArrayEquals(alone1.get(2), w1.grad().toArray(), "dw1");
        assertArrayEquals(alone2.get(1), x2.grad().toArray(), "dx2");
        assertArrayEquals(alone2.get(2), w2.grad().toArray(), "dw2");
        assertTrue(Workspace.heldFloats() >= 50L * 64, "the workspace holds the largest column matrix of one image");
    }

    @Test
    void workspaceStopsGrowingOnceItFits() {
        Random rng = new Random(345);
        Tensor x = param(rng, 4, 3, 12, 12);
        Tensor w = param(rng, 6, 3, 5, 5);
        try (Tape tape = Tape.record()) {
            Functional.conv2d(x, w, null, 1, 2).sum().backward();
        }
        long held = Workspace.heldFloats();
        for (int i = 0; i < 3; i++) {
            try (Tape tape = Tape.record()) {
                Functional.conv2d(x, w, null, 1, 2).sum().backward();
            }
            assertEquals(held, Workspace.heldFloats(), "step " + i);
        }
    }

    @Test
    void workspaceRejectsAnUnknownSlot() {
        assertEquals("workspace: no slot 3 (expected 0 to 2)", message(() -> Workspace.get(3, 10)));
    }

    @Test
    void workspaceRejectsANegativeSize() {
        assertEquals("workspace: negative size -1", message(() -> Workspace.get(Workspace.COLS, -1)));
    }

    // ------------------------------------------------------------------ errors

    @Test
    void columnMatrixLargerThanAnArray() {
        // 64 channels, 1x1 kernel, padding 3000: 64 x 6001^2 column entries, checked before allocating.
        assertEquals("conv2d: input [1, 64, 1, 1] and weight [1, 64, 1, 1] need a column matrix of 2304768064 "
                        + "values per image, more than a Java array holds",
                message(() -> Functional.conv2d(Tensor.zeros(1, 64, 1, 1), Tensor.zeros(1, 64, 1, 1), null, 1, 3000)));
    }

    @Test
    void outputLargerThanAnArray() {
        // 1 channel, 64 filters, 1x1 kernel, padding 3000: 64 x 6001^2 outputs, checked before allocating.
        assertEquals("conv2d: input [1, 1, 1, 1] and weight [64, 1, 1, 1] give an output of 2304768064 "
                        + "values, more than a Java array holds; split the batch",
                message(() -> Functional.conv2d(Tensor.zeros(1, 1, 1, 1), Tensor.zeros(64, 1, 1, 1), null, 1, 3000)));
    }

    @Test
    void channelMismatch() {
        assertEquals("conv2d: input [2, 3, 9, 9] has 3 channels, expected 4 (weight [4, 4, 5, 5])",
                message(() -> Functional.conv2d(Tensor.zeros(2, 3, 9, 9), Tensor.zeros(4, 4, 5, 5), null, 1, 0)));
    }

    @Test
    void inputNotFourDimensional() {
        assertEquals("conv2d: expected a 4-D input [N, C, H, W], got [3, 9, 9]",
                message(() -> Functional.conv2d(Tensor.zeros(3, 9, 9), Tensor.zeros(4, 3, 5, 5), null, 1, 0)));
    }

    @Test
    void weightNotFourDimensional() {
        assertEquals("conv2d: expected a 4-D weight [F, C, kh, kw], got [4, 3, 5]",
                message(() -> Functional.conv2d(Tensor.zeros(2, 3, 9, 9), Tensor.zeros(4, 3, 5), null, 1, 0)));
    }

    @Test
    void biasOfTheWrongSize() {
        assertEquals("conv2d: bias [3] does not match 4 output channels (weight [4, 3, 5, 5])",
                message(() -> Functional.conv2d(Tensor.zeros(2, 3, 9, 9), Tensor.zeros(4, 3, 5, 5),
                        Tensor.zeros(3), 1, 0)));
    }

    @Test
    void strideBelowOne() {
        assertEquals("conv2d: stride must be positive, got [0, 1]",
                message(() -> Functional.conv2d(Tensor.zeros(2, 3, 9, 9), Tensor.zeros(4, 3, 5, 5), null,
                        0, 1, 0, 0)));
    }

    @Test
    void negativePadding() {
        assertEquals("conv2d: padding must be non-negative, got [-1, -1]",
                message(() -> Functional.conv2d(Tensor.zeros(2, 3, 9, 9), Tensor.zeros(4, 3, 5, 5), null, 1, -1)));
    }

    @Test
    void dilationBelowOne() {
        assertEquals("conv2d: dilation must be positive, got [1, 0]",
                message(() -> Functional.conv2d(Tensor.zeros(2, 3, 9, 9), Tensor.zeros(4, 3, 5, 5), null,
                        1, 1, 0, 0, 1, 0)));
    }

    @Test
    void dilatedKernelLargerThanThePaddedInput() {
        assertEquals("conv2d: input [1, 1, 6, 9] padded by [1, 0] is 8x9, smaller than the kernel 3x3 dilated by "
                        + "[4, 1] (9x3) (weight [2, 1, 3, 3])",
                message(() -> Functional.conv2d(Tensor.zeros(1, 1, 6, 9), Tensor.zeros(2, 1, 3, 3), null,
                        1, 1, 1, 0, 4, 1)));
    }

    @Test
    void kernelLargerThanThePaddedInput() {
        assertEquals("conv2d: input [1, 1, 4, 4] padded by [0, 0] is 4x4, smaller than the kernel 5x5 "
                        + "(weight [6, 1, 5, 5])",
                message(() -> Functional.conv2d(Tensor.zeros(1, 1, 4, 4), Tensor.zeros(6, 1, 5, 5), null, 1, 0)));
    }
}
