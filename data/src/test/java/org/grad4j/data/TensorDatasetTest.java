package org.grad4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.grad4j.core.Shape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** {@link TensorDataset} through the same {@link DataLoader} as images: rows, targets, shuffling, errors. */
class TensorDatasetTest {
    private static final Tensor X = Tensor.randn(new Random(345), 10, 3);
    private static final Tensor Y = Tensor.randn(new Random(346), 10, 2);

    /** Row {@code i} of a {@code [N, k]} array. */
    private static float[] row(float[] a, int k, int i) {
        float[] out = new float[k];
        System.arraycopy(a, i * k, out, 0, k);
        return out;
    }

    @Test
    void floatTargetsFollowTheirFeaturesThroughAShuffledLoader() {
        TensorDataset data = TensorDataset.of(X, Y);
        assertEquals(10, data.size());
        assertEquals(Shape.of(3), data.sampleShape());
        assertEquals(Shape.of(2), data.targetShape());
        assertFalse(data.hasLabels());
        DataLoader loader = new DataLoader(data, 4).withShuffle(345);
        int[] order = loader.order(2);
        int k = 0;
        try (DataLoader.Epoch it = loader.epoch(2)) {
            while (it.hasNext()) {
                Batch b = it.next();
                assertFalse(b.hasLabels());
                assertEquals(k < 8 ? 4 : 2, b.size());
                assertArrayEquals(new int[] {b.size(), 3}, b.features().shape().dims());
                assertArrayEquals(new int[] {b.size(), 2}, b.targets().shape().dims());
                for (int i = 0; i < b.size(); i++, k++) {
                    assertArrayEquals(row(X.toArray(), 3, order[k]), row(b.features().toArray(), 3, i));
                    assertArrayEquals(row(Y.toArray(), 2, order[k]), row(b.targets().toArray(), 2, i));
                }
            }
        }
        assertEquals(10, k);
    }

    @Test
    void targetsOfOneValuePerSample() {
        Batch b = new DataLoader(TensorDataset.of(X, Tensor.of(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10)), 3)
                .epoch(0).next();
        assertEquals(Shape.of(3), b.targets().shape());
        assertArrayEquals(new float[] {0, 1, 2}, b.targets().toArray());
    }

    @Test
    void labelsForClassification() {
        int[] labels = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
        TensorDataset data = TensorDataset.of(X, labels);
        labels[0] = 7;
        assertTrue(data.hasLabels());
        assertEquals(Shape.SCALAR, data.targetShape());
        Batch b = new DataLoader(data, 4).epoch(0).next();
        assertArrayEquals(new int[] {3, 1, 4, 1}, b.labels());
        assertEquals("batch: the targets are 4 class labels, not float tensors; use labels() (a classification loss) "
                + "or a dataset with float targets", assertThrows(IllegalStateException.class, b::targets).getMessage());
    }

    @Test
    void prefetchGivesTheSameBatches() {
        TensorDataset data = TensorDataset.of(X, Y);
        DataLoader plain = new DataLoader(data, 3).withShuffle(7);
        DataLoader ahead = plain.withPrefetch(true);
        try (DataLoader.Epoch a = plain.epoch(1); DataLoader.Epoch b = ahead.epoch(1)) {
            while (a.hasNext()) {
                Batch x = a.next();
                Batch y = b.next();
                assertArrayEquals(x.features().toArray(), y.features().toArray());
                assertArrayEquals(x.targets().toArray(), y.targets().toArray());
            }
            assertFalse(b.hasNext());
        }
    }

    @Test
    void theDatasetHoldsCopies() {
        Tensor x = X.copy();
        TensorDataset data = TensorDataset.of(x, Y);
        x.mulInPlace(0f);
        assertArrayEquals(X.toArray(), new DataLoader(data, 10).epoch(0).next().features().toArray());
    }

    @Test
    void describesItself() {
        assertEquals("TensorDataset[10 samples, features [3], targets [2]]", TensorDataset.of(X, Y).toString());
        assertEquals("TensorDataset[10 samples, features [3], labels]", TensorDataset.of(X, new int[10]).toString());
    }

    @Test
    void floatTargetsAreNotLabels() {
        Batch b = new DataLoader(TensorDataset.of(X, Y), 4).epoch(0).next();
        assertEquals("batch: the targets are float tensors [4, 2], not class labels; use targets() (a regression loss) "
                + "or a dataset with int labels", assertThrows(IllegalStateException.class, b::labels).getMessage());
    }

    @Test
    void wrongNumberOfLabels() {
        assertEquals("TensorDataset: 9 labels do not match features [10, 3] (expected 10)",
                assertThrows(IllegalArgumentException.class, () -> TensorDataset.of(X, new int[9])).getMessage());
    }

    @Test
    void negativeLabel() {
        assertEquals("TensorDataset: labels[2] = -1 (expected a class index >= 0)",
                assertThrows(IllegalArgumentException.class,
                        () -> TensorDataset.of(X, new int[] {0, 0, -1, 0, 0, 0, 0, 0, 0, 0})).getMessage());
    }

    @Test
    void targetsOfAnotherLength() {
        assertEquals("TensorDataset: targets [9, 1] do not match features [10, 3] (expected [10, ...])",
                assertThrows(IllegalArgumentException.class, () -> TensorDataset.of(X, Tensor.zeros(9, 1))).getMessage());
    }

    @Test
    void scalarFeatures() {
        assertEquals("TensorDataset: features are a scalar (expected [N, ...])",
                assertThrows(IllegalArgumentException.class, () -> TensorDataset.of(Tensor.scalar(1f), new int[0]))
                        .getMessage());
    }
}
