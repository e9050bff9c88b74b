package org.grad4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

class ResizeTest {
    private final Random rng = new Random(345);

    private static SafeTensors golden() throws IOException, URISyntaxException {
        return SafeTensors.read(Path.of(ResizeTest.class.getResource("/golden/resize_96.safetensors").toURI()));
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void matchesPyTorchInterpolateAndStaysWithinOneGrayLevelOfPil() throws Exception {
        SafeTensors g = golden();
        Tensor x = g.tensor("x");
        assertArrayEquals(new int[] {4, 1, 28, 28}, x.shape().dims());
        Tensor y = Resize.bilinear(x, 96, 96);
        assertArrayEquals(new int[] {4, 1, 96, 96}, y.shape().dims());
        float toTorch = maxAbsDiff(g.tensor("tensor_resize").toArray(), y.toArray());
        assertTrue(toTorch <= 1e-5f, "max |resize - tensor_resize| = " + toTorch);
        float toPil = maxAbsDiff(g.tensor("pil_resize").toArray(), y.toArray());
        assertTrue(toPil <= 1f / 255, "max |resize - pil_resize| = " + toPil);
        // The dataset path is the same kernel.
        ImageDataset d = ImageDataset.of(x, new int[] {0, 1, 2, 3}).resize(96, 96);
        assertArrayEquals(y.toArray(), d.images().toArray());
        assertEquals("ImageDataset[4, 1, 96, 96]", d.toString());
    }

    @Test
    void twoByTwoToFourByFourByHand() {
        // Sources along each axis: max(0, (d + 0.5) / 2 - 0.5) = 0, 0.25, 0.75, 1.25 -> clamped to the last pixel.
        float[] c = {0f, 0.25f, 0.75f, 1f};
        float[] expected = new float[16];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                expected[4 * i + j] = 2 * c[i] + c[j];
            }
        }
        assertArrayEquals(expected, Resize.bilinear(new float[] {0, 1, 2, 3}, 1, 2, 2, 4, 4));
    }

    @Test
    void sameSizeIsTheIdentity() {
        float[] x = new float[3 * 7 * 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextFloat();
        }
        assertArrayEquals(x, Resize.bilinear(x, 3, 7, 5, 7, 5));
    }

    @Test
    void matchesASimpleDoubleImplementation() {
        int[][] cases = {{28, 28, 96, 96}, {28, 28, 14, 14}, {5, 7, 11, 3}, {1, 6, 4, 13}, {9, 1, 2, 5}, {3, 3, 1, 1}};
        for (int[] c : cases) {
            int planes = 3;
            float[] x = new float[planes * c[0] * c[1]];
            for (int i = 0; i < x.length; i++) {
                x[i] = rng.nextFloat();
            }
            float[] fast = Resize.bilinear(x, planes, c[0], c[1], c[2], c[3]);
            double[] slow = naive(x, planes, c[0], c[1], c[2], c[3]);
            // The kernel stores source coordinates as float32, as PyTorch: half an ulp of 27 is
            // 9.5e-7 pixels, so values move by up to that much times the local pixel difference.
            for (int i = 0; i < fast.length; i++) {
                assertEquals(slow[i], fast[i], 4e-6, Arrays.toString(c) + " at " + i);
            }
        }
    }

    /**
     * Direct formula, in double: four neighbours, edge-clamped, weights from the source coordinate.
     * Only the scale {@code in / out} is rounded to float first, as PyTorch does for float tensors.
     */
    private static double[] naive(float[] x, int planes, int h, int w, int oh, int ow) {
        double[] out = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < oh; i++) {
                double sy = Math.max(0, (i + 0.5) * ((float) h / oh) - 0.5);
                int y0 = Math.min((int) Math.floor(sy), h - 1);
                int y1 = Math.min(y0 + 1, h - 1);
                double ty = sy - y0;
                for (int j = 0; j < ow; j++) {
                    double sx = Math.max(0, (j + 0.5) * ((float) w / ow) - 0.5);
                    int x0 = Math.min((int) Math.floor(sx), w - 1);
                    int x1 = Math.min(x0 + 1, w - 1);
                    double tx = sx - x0;
                    int base = p * h * w;
                    out[(p * oh + i) * ow + j] = (1 - ty) * ((1 - tx) * x[base + y0 * w + x0] + tx * x[base + y0 * w + x1])
                            + ty * ((1 - tx) * x[base + y1 * w + x0] + tx * x[base + y1 * w + x1]);
                }
            }
        }
        return out;
    }

    @Test
    void parallelResultEqualsPlaneByPlane() {
        int planes = 64;
        float[] x = new float[planes * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextFloat();
        }
        float[] all = Resize.bilinear(x, planes, 28, 28, 40, 33);
        for (int p = 0; p < planes; p++) {
            float[] one = Resize.bilinear(Arrays.copyOfRange(x, p * 784, (p + 1) * 784), 1, 28, 28, 40, 33);
            assertArrayEquals(one, Arrays.copyOfRange(all, p * 40 * 33, (p + 1) * 40 * 33));
        }
    }

    @Test
    void tensorOfAnyLeadingDims() {
        Tensor x = Tensor.rand(new Random(345), 2, 3, 5, 7);
        Tensor y = Resize.bilinear(x, 4, 9);
        assertArrayEquals(new int[] {2, 3, 4, 9}, y.shape().dims());
        assertArrayEquals(Resize.bilinear(x.toArray(), 6, 5, 7, 4, 9), y.toArray());
        assertArrayEquals(new int[] {3, 3}, Resize.bilinear(Tensor.rand(new Random(345), 2, 2), 3, 3).shape().dims());
    }

    @Test
    void badArguments() {
        assertEquals("resize: input [5] has rank 1, expected at least 2 ([..., H, W])",
                assertThrows(IllegalArgumentException.class, () -> Resize.bilinear(Tensor.of(new float[5], 5), 2, 2))
                        .getMessage());
        assertEquals("resize: output size 0x5, expected at least 1x1", assertThrows(IllegalArgumentException.class,
                () -> Resize.bilinear(new float[4], 1, 2, 2, 0, 5)).getMessage());
        assertEquals("resize: input size 2x0, expected at least 1x1", assertThrows(IllegalArgumentException.class,
                () -> Resize.bilinear(new float[0], 1, 2, 0, 3, 5)).getMessage());
        assertEquals("resize: planes: actual -1, expected >= 0", assertThrows(IllegalArgumentException.class,
                () -> Resize.bilinear(new float[0], -1, 2, 2, 3, 5)).getMessage());
        assertEquals("resize: src holds 5 floats, expected 1 x 2 x 2 = 4", assertThrows(IllegalArgumentException.class,
                () -> Resize.bilinear(new float[5], 1, 2, 2, 3, 5)).getMessage());
        assertEquals("resize: 60000 x 224 x 224 = 3010560000 floats, more than a Java array holds (2147483639)",
                assertThrows(IllegalArgumentException.class,
                        () -> Resize.bilinear(new float[60000], 60000, 1, 1, 224, 224)).getMessage());
    }
}
