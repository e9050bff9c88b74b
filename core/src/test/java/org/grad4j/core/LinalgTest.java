package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.grad4j.core.kernels.Gemm;
import org.junit.jupiter.api.Test;

class LinalgTest {
    @Test
    void matmulAgainstNaiveOnAwkwardSizes() {
        Random rng = new Random(345);
        int[] sizes = {1, 2, 7, 15, 17, 33};
        for (int m : sizes) {
            for (int k : sizes) {
                int n = sizes[rng.nextInt(sizes.length)];
                Tensor a = Tensor.randn(rng, m, k);
                Tensor b = Tensor.randn(rng, k, n);
                Naive.assertClose(Naive.matmul(a.toArray(), b.toArray(), m, k, n), a.matmul(b), 1e-5, 1e-5);
            }
        }
    }

    @Test
    void gemmTransposesAndAccumulates() {
        Random rng = new Random(345);
        int m = 5;
        int n = 3;
        int k = 4;
        float[] a = Tensor.randn(rng, m, k).toArray();
        float[] b = Tensor.randn(rng, k, n).toArray();
        double[] ab = Naive.matmul(a, b, m, k, n);
        float[] at = Tensor.wrap(a, m, k).transpose().toArray();
        float[] bt = Tensor.wrap(b, k, n).transpose().toArray();
        for (int variant = 0; variant < 4; variant++) {
            boolean ta = (variant & 1) != 0;
            boolean tb = (variant & 2) != 0;
            float[] c = new float[m * n];
            java.util.Arrays.fill(c, 1f);
            Gemm.gemm(ta, tb, m, n, k, ta ? at : a, tb ? bt : b, c, true);
            double[] expected = ab.clone();
            for (int i = 0; i < expected.length; i++) {
                expected[i] += 1;
            }
            Naive.assertClose(expected, c, 1e-5, 1e-5, "variant " + variant);
            Gemm.gemm(ta, tb, m, n, k, ta ? at : a, tb ? bt : b, c, false);
            Naive.assertClose(ab, c, 1e-5, 1e-5, "variant " + variant + " overwrite");
        }
    }

    @Test
    void gemmWithEmptyInnerDimension() {
        float[] c = {5, 5};
        Gemm.gemm(false, false, 1, 2, 0, new float[0], new float[0], c, false);
        assertArrayEquals(new float[] {0, 0}, c);
    }

    @Test
    void gemmRejectsShortArrays() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gemm.gemm(false, false, 2, 2, 2, new float[3], new float[4], new float[4], false));
        assertEquals("gemm: a holds 3 values, expected at least 4 for [2, 2]", e.getMessage());
    }

    @Test
    void matmulGradients() {
        Tensor a = Tensor.randn(new Random(345), 3, 4).requiresGrad(true);
        Tensor b = Tensor.randn(new Random(346), 4, 2).requiresGrad(true);
        GradCheck.check("matmul", in -> in[0].matmul(in[1]), a, b);
        Tensor c = Tensor.randn(new Random(347), 1, 5).requiresGrad(true);
        Tensor d = Tensor.randn(new Random(348), 5, 1).requiresGrad(true);
        GradCheck.check("matmul", in -> in[0].matmul(in[1]), c, d);
    }

    @Test
    void transposeValuesAndGradient() {
        Tensor x = Tensor.arange(6).reshape(2, 3);
        Tensor t = x.transpose();
        assertEquals(Shape.of(3, 2), t.shape());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toArray());
        GradCheck.check("transpose", in -> in[0].transpose(), Tensor.randn(new Random(345), 3, 5).requiresGrad(true));
    }

    @Test
    void reshapeAndFlattenGradients() {
        Tensor x = Tensor.randn(new Random(345), 2, 3, 4).requiresGrad(true);
        GradCheck.check("reshape", in -> in[0].reshape(4, -1).mul(in[0].reshape(4, 6)), x);
        GradCheck.check("flatten", in -> in[0].flatten(1).square(), x);
    }

    @Test
    void linearComposedFromMatmulAndBroadcastAdd() {
        // y = x W^T + b with W [out, in]: the composition linear layers are checked against.
        Tensor x = Tensor.randn(new Random(345), 4, 3).requiresGrad(true);
        Tensor w = Tensor.randn(new Random(346), 2, 3).requiresGrad(true);
        Tensor b = Tensor.randn(new Random(347), 2).requiresGrad(true);
        GradCheck.check("linear", in -> in[0].matmul(in[1].transpose()).add(in[2]), x, w, b);
    }

    @Test
    void matmulErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 5)));
        assertEquals("matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(4)));
        assertEquals("matmul: expected tensors of at least 2 dimensions, got [2, 3, 4] and [4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(4).transpose());
        assertEquals("transpose: expected a 2-D tensor, got [4]", e.getMessage());
    }
}
