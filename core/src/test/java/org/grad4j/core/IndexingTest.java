package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** indexSelect, gather, softmax and batched matmul: values against naive loops, gradients by gradcheck. */
class IndexingTest {
    @Test
    void indexSelectPicksSlicesWithRepeats() {
        Tensor x = Tensor.randn(new Random(345), 2, 4, 3).requiresGrad(true);
        int[] index = {3, 0, 3};
        Tensor y = x.indexSelect(1, index);
        assertEquals(Shape.of(2, 3, 3), y.shape());
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 3; k++) {
                for (int j = 0; j < 3; j++) {
                    assertEquals(x.get(i, index[k], j), y.get(i, k, j));
                }
            }
        }
        GradCheck.check("indexSelect", in -> in[0].indexSelect(1, index), x);
        GradCheck.check("indexSelect", in -> in[0].indexSelect(-1, new int[] {2, 2}), x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> x.indexSelect(1, new int[] {0, 4}));
        assertEquals("indexSelect: index[1] = 4 is out of range [0, 4) for dimension 1 of shape [2, 4, 3]",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.indexSelect(1, null));
        assertEquals("indexSelect: index is null", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> x.gather(1, null));
        assertEquals("gather: index is null", e.getMessage());
    }

    @Test
    void gatherPicksOneValuePerPosition() {
        Tensor logits = Tensor.randn(new Random(345), 4, 5).requiresGrad(true);
        int[] labels = {2, 0, 4, 2};
        Tensor picked = logits.gather(1, labels);
        assertEquals(Shape.of(4, 1), picked.shape());
        for (int i = 0; i < 4; i++) {
            assertEquals(logits.get(i, labels[i]), picked.get(i, 0));
        }
        Tensor x = Tensor.randn(new Random(346), 3, 2, 2).requiresGrad(true);
        int[] index = {0, 2, 1, 1, 2, 2, 0, 0};
        Tensor y = x.gather(0, index);
        assertEquals(Shape.of(2, 2, 2), y.shape());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                for (int k = 0; k < 2; k++) {
                    assertEquals(x.get(index[(i * 2 + j) * 2 + k], j, k), y.get(i, j, k));
                }
            }
        }
        GradCheck.check("gather", in -> in[0].gather(1, labels), logits);
        GradCheck.check("gather", in -> in[0].gather(0, index), x);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> logits.gather(1, new int[] {1, 2, 3}));
        assertEquals("gather: 3 indices do not fit shape [4, 5] along dimension 1 (expected a multiple of 4, "
                + "the size of the other dimensions)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> logits.gather(1, new int[] {1, 2, -1, 0}));
        assertEquals("gather: index[2] = -1 is out of range [0, 5) for dimension 1 of shape [4, 5]", e.getMessage());
    }

    @Test
    void softmaxAgainstNaiveAndLogSoftmax() {
        Tensor x = Tensor.randn(new Random(345), 3, 4, 2).mul(3).requiresGrad(true);
        for (int dim = -3; dim < 3; dim++) {
            Tensor y = Functional.softmax(x, dim);
            Naive.assertClose(Functional.logSoftmax(x, dim).exp(), y, 1e-6, 1e-5, "softmax dim " + dim);
            Tensor sums = y.sum(dim, false);
            for (float s : sums.toArray()) {
                assertEquals(1f, s, 1e-6f);
            }
            int d = dim;
            GradCheck.check("softmax", in -> Functional.softmax(in[0], d), x);
        }
        float[] big = Functional.softmax(Tensor.of(new float[] {1000, 0, -1000}), 0).toArray();
        assertArrayEquals(new float[] {1, 0, 0}, big, "finite for large logits");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Functional.softmax(x, 3));
        assertEquals("softmax: dimension 3 is out of range for shape [3, 4, 2] (expected -3 to 2)", e.getMessage());
    }

    @Test
    void batchedMatmulAgainstNaivePerBatch() {
        Tensor a = Tensor.randn(new Random(345), 2, 3, 4, 5).requiresGrad(true);
        Tensor b = Tensor.randn(new Random(346), 3, 5, 2).requiresGrad(true);
        Tensor c = a.matmul(b);
        assertEquals(Shape.of(2, 3, 4, 2), c.shape());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                Tensor ai = a.select(0, i).select(0, j);
                Tensor bj = b.select(0, j);
                Naive.assertClose(Naive.matmul(ai.toArray(), bj.toArray(), 4, 5, 2),
                        c.select(0, i).select(0, j), 1e-5, 1e-5);
            }
        }
        GradCheck.check("bmm", in -> in[0].matmul(in[1]), a, b);
        Tensor w = Tensor.randn(new Random(347), 5, 3).requiresGrad(true);
        GradCheck.check("bmm by one matrix", in -> in[0].matmul(in[1]), a, w);
        Tensor row = Tensor.randn(new Random(348), 1, 2, 5).requiresGrad(true);
        GradCheck.check("bmm broadcasting", in -> in[0].matmul(in[1]), row, b);
        assertEquals(Shape.of(3, 2, 2), row.matmul(b).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 3, 4).matmul(Tensor.zeros(3, 4, 5)));
        assertEquals("matmul: shapes [2] and [3] cannot broadcast", e.getMessage());
    }

    @Test
    void stackedMatmulEqualsOneMatmulPerMatrix() {
        Tensor a = Tensor.randn(new Random(345), 4, 3);
        Tensor b = Tensor.randn(new Random(346), 3, 2);
        Tensor c = Tensor.randn(new Random(347), 4, 3);
        Tensor batched = Tensor.stack(List.of(a, c), 0).matmul(b);
        assertArrayEquals(a.matmul(b).toArray(), batched.select(0, 0).toArray());
        assertArrayEquals(c.matmul(b).toArray(), batched.select(0, 1).toArray());
    }

    /** The example of docs/user-guide.md ("Tensors"), with the shapes its comments claim. */
    @Test
    void userGuideExample() {
        Tensor x = Tensor.randn(new Random(345), 2, 3, 4);
        Tensor p = Functional.softmax(x, -1);
        Tensor t = x.transpose(1, 2);
        Tensor h = x.permute(2, 0, 1).clamp(-1, 1);
        Tensor big = Tensor.where(x.abs().sub(0.5f).relu(), x, Tensor.zeros(4));
        List<Tensor> parts = x.split(2, -1);
        Tensor back = Tensor.cat(parts, -1);
        Tensor both = Tensor.stack(List.of(x, x), 0);
        Tensor row = x.select(0, 1).narrow(1, 0, 2);
        Tensor prod = x.matmul(Tensor.randn(new Random(346), 4, 5));
        int[] best = x.argmax(-1);
        Tensor picked = x.reshape(6, 4).gather(1, best);
        assertEquals(1f, p.sum(-1, false).get(1, 2), 1e-6f);
        assertEquals(Shape.of(2, 4, 3), t.shape());
        assertEquals(Shape.of(4, 2, 3), h.shape());
        assertEquals(Math.abs(x.get(0, 0, 0)) > 0.5f ? x.get(0, 0, 0) : 0f, big.get(0, 0, 0));
        assertEquals(List.of(Shape.of(2, 3, 2), Shape.of(2, 3, 2)), parts.stream().map(Tensor::shape).toList());
        assertArrayEquals(x.toArray(), back.toArray());
        assertEquals(Shape.of(2, 2, 3, 4), both.shape());
        assertEquals(x.get(1, 2, 1), row.get(2, 1));
        assertEquals(Shape.of(2, 3, 5), prod.shape());
        assertEquals(6, best.length);
        assertArrayEquals(x.reshape(6, 4).max(1, true).toArray(), picked.toArray());
    }
}
