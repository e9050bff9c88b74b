package org.grad4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    /** {@code n} images of 1x2x3 whose pixels all equal the image index; label = index. */
    private static ImageDataset numbered(int n) {
        float[] x = new float[n * 6];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(x, i * 6, (i + 1) * 6, i);
            labels[i] = i;
        }
        return ImageDataset.of(Tensor.of(x, n, 1, 2, 3), labels);
    }

    /** Every batch of an epoch: its labels, after checking the images carry the same indices. */
    private static List<int[]> drain(DataLoader.Epoch epoch) {
        List<int[]> out = new ArrayList<>();
        while (epoch.hasNext()) {
            Batch b = epoch.next();
            int[] dims = b.images().shape().dims();
            assertArrayEquals(new int[] {b.size(), 1, 2, 3}, dims);
            float[] x = b.images().toArray();
            for (int i = 0; i < b.size(); i++) {
                for (int k = 0; k < 6; k++) {
                    assertEquals(b.labels()[i], x[i * 6 + k]);
                }
            }
            out.add(b.labels());
        }
        return out;
    }

    @Test
    void inOrderKeepingTheLastPartialBatch() {
        DataLoader loader = new DataLoader(numbered(10), 4);
        assertEquals(3, loader.batchCount());
        assertEquals(4, loader.batchSize());
        List<int[]> batches = drain(loader.epoch(0));
        assertEquals(3, batches.size());
        assertArrayEquals(new int[] {0, 1, 2, 3}, batches.get(0));
        assertArrayEquals(new int[] {4, 5, 6, 7}, batches.get(1));
        assertArrayEquals(new int[] {8, 9}, batches.get(2));
    }

    @Test
    void dropLast() {
        DataLoader loader = new DataLoader(numbered(10), 4).withDropLast(true);
        assertEquals(2, loader.batchCount());
        List<int[]> batches = drain(loader.epoch(0));
        assertEquals(2, batches.size());
        assertArrayEquals(new int[] {4, 5, 6, 7}, batches.get(1));
        DataLoader exact = new DataLoader(numbered(8), 4).withDropLast(true);
        assertEquals(2, exact.batchCount());
    }

    @Test
    void fewerImagesThanOneBatch() {
        assertEquals(0, new DataLoader(numbered(3), 4).withDropLast(true).batchCount());
        assertFalse(new DataLoader(numbered(3), 4).withDropLast(true).withPrefetch(true).epoch(0).hasNext());
        List<int[]> one = drain(new DataLoader(numbered(3), 4).epoch(0));
        assertEquals(1, one.size());
        assertArrayEquals(new int[] {0, 1, 2}, one.get(0));
        assertFalse(new DataLoader(numbered(0), 4).epoch(0).hasNext());
    }

    @Test
    void shuffleIsAFreshReproduciblePermutationEachEpoch() {
        DataLoader loader = new DataLoader(numbered(100), 7).withShuffle(345);
        int[] e0 = loader.order(0);
        int[] e1 = loader.order(1);
        int[] sorted = e0.clone();
        Arrays.sort(sorted);
        assertArrayEquals(new DataLoader(numbered(100), 7).order(0), sorted);
        assertNotEquals(Arrays.toString(e0), Arrays.toString(e1));
        assertArrayEquals(e0, new DataLoader(numbered(100), 3).withShuffle(345).order(0));
        assertNotEquals(Arrays.toString(e0), Arrays.toString(loader.withShuffle(346).order(0)));
        // Pinned: the same program gives the same order on every run and every machine.
        assertArrayEquals(new int[] {1, 0, 8, 2, 6, 3, 9, 4, 7, 5},
                new DataLoader(numbered(10), 4).withShuffle(345).order(0));
        // The batches follow the order and cover every image once.
        List<int[]> batches = drain(loader.epoch(1));
        int[] seen = batches.stream().flatMapToInt(Arrays::stream).toArray();
        assertArrayEquals(e1, seen);
    }

    @Test
    void eachForEachLoopIsTheNextEpoch() {
        DataLoader loader = new DataLoader(numbered(20), 6).withShuffle(345);
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Integer> seen = new ArrayList<>();
            for (Batch b : loader) {
                for (int label : b.labels()) {
                    seen.add(label);
                }
            }
            assertEquals(Arrays.stream(loader.order(epoch)).boxed().toList(), seen);
        }
    }

    @Test
    void prefetchGivesTheSameBatchesAndStopsItsThread() {
        DataLoader plain = new DataLoader(numbered(50), 8).withShuffle(345);
        DataLoader prefetching = plain.withPrefetch(true);
        for (int epoch = 0; epoch < 3; epoch++) {
            DataLoader.Epoch it = prefetching.epoch(epoch);
            List<int[]> a = drain(it);
            List<int[]> b = drain(plain.epoch(epoch));
            assertEquals(b.size(), a.size());
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(b.get(i), a.get(i));
            }
            assertTrue(it.prefetcherTerminated(), "an epoch read to its end closes itself");
        }
    }

    @Test
    void closingEarlyStopsTheEpoch() {
        DataLoader loader = new DataLoader(numbered(10), 4).withPrefetch(true);
        DataLoader.Epoch it = loader.epoch(0);
        try (it) {
            assertEquals(0, it.number());
            assertArrayEquals(new int[] {0, 1, 2, 3}, it.next().labels());
        }
        assertTrue(it.prefetcherTerminated());
        assertFalse(it.hasNext());
        assertEquals("epoch 0: no batch after 1 of 3 (closed)",
                assertThrows(NoSuchElementException.class, it::next).getMessage());
        it.close();
    }

    @Test
    void nextAfterTheLastBatch() {
        DataLoader.Epoch it = new DataLoader(numbered(10), 4).epoch(2);
        drain(it);
        assertEquals("epoch 2: no batch after 3 of 3", assertThrows(NoSuchElementException.class, it::next).getMessage());
    }

    @Test
    void badArguments() {
        ImageDataset d = numbered(3);
        assertEquals("batchSize: actual 0, expected at least 1",
                assertThrows(IllegalArgumentException.class, () -> new DataLoader(d, 0)).getMessage());
        assertEquals("epoch: actual -1, expected >= 0",
                assertThrows(IllegalArgumentException.class, () -> new DataLoader(d, 1).epoch(-1)).getMessage());
        assertEquals(d, new DataLoader(d, 1).dataset());
    }
}
