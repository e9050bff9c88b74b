package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void factories() {
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0}, Tensor.zeros(2, 3).toArray());
        assertArrayEquals(new float[] {1, 1}, Tensor.ones(2).toArray());
        assertArrayEquals(new float[] {7, 7, 7}, Tensor.full(7, 3, 1).toArray());
        assertEquals(Shape.of(3, 1), Tensor.full(7, 3, 1).shape());
        assertArrayEquals(new float[] {0, 1, 2, 3}, Tensor.arange(4).toArray());
        assertArrayEquals(new float[] {1f, 1.5f, 2f, 2.5f}, Tensor.arange(1, 3, 0.5).toArray());
        assertArrayEquals(new float[] {3, 2, 1}, Tensor.arange(3, 0, -1).toArray());
        assertEquals(0, Tensor.arange(3, 3, 1).size());
        assertEquals(Shape.SCALAR, Tensor.scalar(2).shape());
        assertEquals(Shape.of(3), Tensor.of(new float[] {1, 2, 3}).shape());
    }

    @Test
    void indexOfNonFiniteFindsTheFirstNaNOrInfinity() {
        assertEquals(-1, Tensor.of(new float[] {0, -1, Float.MAX_VALUE, Float.MIN_VALUE}).indexOfNonFinite());
        assertEquals(-1, Tensor.zeros(0).indexOfNonFinite());
        assertEquals(1, Tensor.of(new float[] {1, Float.NaN, Float.POSITIVE_INFINITY}).indexOfNonFinite());
        assertEquals(2, Tensor.of(new float[] {1, 2, Float.NEGATIVE_INFINITY, Float.NaN}, 2, 2).indexOfNonFinite());
        assertEquals(0, Tensor.scalar(Float.POSITIVE_INFINITY).indexOfNonFinite());
    }

    @Test
    void ofCopiesAndWrapShares() {
        float[] v = {1, 2, 3, 4};
        Tensor copy = Tensor.of(v, 2, 2);
        Tensor view = Tensor.wrap(v, 2, 2);
        v[0] = 9;
        assertEquals(1f, copy.get(0, 0));
        assertEquals(9f, view.get(0, 0));
        Tensor scalar = Tensor.wrap(new float[] {5}, Shape.SCALAR);
        assertEquals(Shape.SCALAR, scalar.shape(), "a shape, a scalar too, as an op returns its result");
        Tensor shaped = Tensor.wrap(v, Shape.of(4, 1));
        v[1] = 7;
        assertEquals(7f, shaped.get(1, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.wrap(v, Shape.of(3)));
        assertEquals("tensor: 4 values do not fill shape [3] (expected 3)", e.getMessage());
    }

    /** Issue 11: randn(3, 4) meant "seed 3, shape [4]"; there is no seed-first form any more. */
    @Test
    void randomFactoriesHaveNoSeedFirstForm() {
        assertThrows(NoSuchMethodException.class, () -> Tensor.class.getMethod("randn", long.class, int[].class));
        assertThrows(NoSuchMethodException.class, () -> Tensor.class.getMethod("rand", long.class, int[].class));
    }

    @Test
    void randomFactoriesAreSeeded() {
        assertArrayEquals(Tensor.rand(new Random(345), 5).toArray(), Tensor.rand(new Random(345), 5).toArray());
        assertArrayEquals(Tensor.randn(new Random(345), 3, 2).toArray(),
                Tensor.randn(new Random(345), 3, 2).toArray());
        Random one = new Random(345);
        Tensor first = Tensor.randn(one, 2);
        Tensor second = Tensor.randn(one, 2);
        assertArrayEquals(Tensor.randn(new Random(345), 4).toArray(),
                new float[] {first.get(0), first.get(1), second.get(0), second.get(1)},
                "one generator draws in sequence");
        assertNotEquals(Tensor.randn(new Random(345), 4).get(0), Tensor.randn(new Random(346), 4).get(0));
        for (float f : Tensor.rand(new Random(345), 1000).toArray()) {
            assertTrue(f >= 0 && f < 1);
        }
        float[] n = Tensor.randn(new Random(345), 20000).toArray();
        double mean = 0;
        double sq = 0;
        for (float f : n) {
            mean += f;
            sq += f * f;
        }
        mean /= n.length;
        assertEquals(0, mean, 0.03);
        assertEquals(1, sq / n.length - mean * mean, 0.03);
    }

    @Test
    void getItemAndErrors() {
        Tensor t = Tensor.arange(6).reshape(2, 3);
        assertEquals(5f, t.get(1, 2));
        assertEquals(4f, t.get(1, 1));
        assertEquals(3f, Tensor.scalar(3).item());
        assertEquals(3f, Tensor.of(new float[] {3}, 1, 1).item());
        IllegalStateException e = assertThrows(IllegalStateException.class, t::item);
        assertEquals("item: tensor of shape [2, 3] has 6 elements, expected 1", e.getMessage());
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> t.get(2, 0));
        assertEquals("get: index [2, 0] is out of bounds for shape [2, 3]", a.getMessage());
        a = assertThrows(IllegalArgumentException.class, () -> t.get(1));
        assertEquals("get: index [1] has 1 dimensions, shape [2, 3] has 2", a.getMessage());
    }

    @Test
    void wrongValueCountIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.of(new float[] {1, 2, 3}, 2, 2));
        assertEquals("tensor: 3 values do not fill shape [2, 2] (expected 4)", e.getMessage());
    }

    @Test
    void arangeRejectsZeroStep() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.arange(0, 1, 0));
        assertEquals("arange: step must be finite and non-zero, got 0.0", e.getMessage());
    }

    @Test
    void reshapeAndFlattenShareStorageAndVersion() {
        Tensor t = Tensor.arange(6);
        Tensor m = t.reshape(2, -1);
        assertEquals(Shape.of(2, 3), m.shape());
        m.set(42, 1, 0);
        assertEquals(42f, t.get(3));
        assertEquals(1, t.version());
        assertEquals(Shape.of(6), m.flatten().shape());
        Tensor x = Tensor.zeros(2, 3, 4, 5);
        assertEquals(Shape.of(2, 60), x.flatten(1).shape());
        assertEquals(Shape.of(2, 3, 20), x.flatten(-2).shape());
        assertEquals(Shape.SCALAR, Tensor.of(new float[] {5}).reshape().shape());
    }

    @Test
    void reshapeErrors() {
        Tensor t = Tensor.arange(5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.reshape(2, 3));
        assertEquals("reshape: shape [2, 3] is invalid for input of size 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.reshape(2, -1));
        assertEquals("reshape: shape [2, -1] is invalid for input of size 5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.reshape(-1, -1));
        assertEquals("reshape: only one dimension can be -1, got [-1, -1]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.reshape(-2, 5));
        assertEquals("reshape: invalid dimension -2 in [-2, 5]", e.getMessage());
    }

    @Test
    void inPlaceWritesBumpTheVersion() {
        Tensor t = Tensor.zeros(3);
        t.fill(2);
        t.addInPlace(0.5f, Tensor.of(new float[] {2, 4, 6}));
        t.mulInPlace(2);
        assertArrayEquals(new float[] {6, 8, 10}, t.toArray());
        t.copyFrom(Tensor.ones(3));
        assertArrayEquals(new float[] {1, 1, 1}, t.toArray());
        assertEquals(4, t.version());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.addInPlace(1, Tensor.ones(4)));
        assertEquals("addInPlace: shape [4] does not match [3]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> t.copyFrom(Tensor.ones(3, 1)));
        assertEquals("copyFrom: shape [3, 1] does not match [3]", e.getMessage());
    }

    @Test
    void copyIsASnapshotOfAnyShape() {
        Tensor s = Tensor.scalar(4).requiresGrad(true);
        Tensor c = s.copy();
        assertEquals(Shape.SCALAR, c.shape());
        assertTrue(!c.requiresGrad() && c.isLeaf());
        s.fill(5);
        assertEquals(4f, c.item());
        assertEquals(Shape.of(2, 0), Tensor.zeros(2, 0).copy().shape());
    }

    @Test
    void detachSharesValuesButNotGrad() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        Tensor d = w.detach();
        assertTrue(!d.requiresGrad() && d.isLeaf());
        d.fill(3);
        assertEquals(3f, w.get(0));
        assertEquals(1, w.version());
    }

    @Test
    void printsLikePyTorch() {
        assertEquals("tensor([1., 2., 3.])", Tensor.of(new float[] {1, 2, 3}).toString());
        assertEquals("tensor([[1., 2.],\n        [3., 4.]])", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).toString());
        assertEquals("tensor([0.1000, 0.2500])", Tensor.of(new float[] {0.1f, 0.25f}).toString());
        assertEquals("tensor(3.5000)", Tensor.scalar(3.5f).toString());
        assertEquals("tensor(3.)", Tensor.scalar(3f).toString());
        assertEquals("tensor([1.0000e-05, 1.0000e+00])", Tensor.of(new float[] {1e-5f, 1f}).toString());
        assertEquals("tensor([-1.5000,  2.0000])", Tensor.of(new float[] {-1.5f, 2f}).toString());
        assertEquals("tensor([-1.,  2.])", Tensor.of(new float[] {-1f, 2f}).toString());
        assertEquals("tensor([nan, 1.])", Tensor.of(new float[] {Float.NaN, 1f}).toString());
        assertEquals("tensor([0., 0.])", Tensor.zeros(2).toString());
        assertEquals("tensor([[[0., 0.],\n         [0., 0.]],\n\n        [[0., 0.],\n         [0., 0.]]])",
                Tensor.zeros(2, 2, 2).toString());
        assertEquals("tensor([])", Tensor.zeros(0).toString());
        assertEquals("tensor([], size=(0, 3))", Tensor.zeros(0, 3).toString());
        assertEquals("tensor([1., 2.], requires_grad=True)", Tensor.of(new float[] {1, 2}).requiresGrad(true).toString());
    }

    @Test
    void printsLongAndLargeTensorsLikePyTorch() {
        // torch.arange(2000.)
        assertEquals("tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
                + "        1.9990e+03])", Tensor.arange(2000).toString());
        // torch.arange(20.)
        assertEquals("tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
                + "        14., 15., 16., 17., 18., 19.])", Tensor.arange(20).toString());
        // torch.ones(40, 40)
        String s = Tensor.ones(40, 40).toString();
        assertTrue(s.startsWith("tensor([[1., 1., 1.,  ..., 1., 1., 1.],\n        [1., 1., 1.,  ..., 1., 1., 1.],\n"), s);
        assertTrue(s.contains("        ...,\n"), s);
    }

    @Test
    void zeroGradKeepsStorage() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        w.zeroGrad();
        assertEquals(null, w.grad());
        try (Tape tape = Tape.record()) {
            w.sum().backward();
        }
        Tensor g = w.grad();
        w.zeroGrad();
        assertSame(g, w.grad());
        assertArrayEquals(new float[] {0, 0}, g.toArray());
    }
}
