package org.grad4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {
    private static final float[] FOUR_PIXELS = {0.1f, 0.2f, 0.3f, 0.4f};

    @Test
    void holdsCopies() {
        float[] x = FOUR_PIXELS.clone();
        int[] labels = {3, 1};
        ImageDataset d = ImageDataset.of(Tensor.wrap(x, 2, 1, 1, 2), labels);
        x[0] = 9;
        labels[0] = 9;
        assertEquals(0.1f, d.images().get(0, 0, 0, 0));
        assertEquals(3, d.label(0));
        d.labels()[1] = 7;
        assertArrayEquals(new int[] {3, 1}, d.labels());
        assertEquals(2, d.size());
        assertEquals(1, d.channels());
        assertEquals(1, d.height());
        assertEquals(2, d.width());
    }

    @Test
    void slice() {
        ImageDataset d = ImageDataset.of(Tensor.of(FOUR_PIXELS, 4, 1, 1, 1), new int[] {0, 1, 2, 3});
        ImageDataset s = d.slice(1, 3);
        assertArrayEquals(new float[] {0.2f, 0.3f}, s.images().toArray());
        assertArrayEquals(new int[] {1, 2}, s.labels());
        assertEquals("Range [3, 5) out of bounds for length 4",
                assertThrows(IndexOutOfBoundsException.class, () -> d.slice(3, 5)).getMessage());
        assertEquals("Index 4 out of bounds for length 4",
                assertThrows(IndexOutOfBoundsException.class, () -> d.label(4)).getMessage());
    }

    @Test
    void badTensorsAndLabels() {
        assertEquals("images: shape [2, 2] has rank 2, expected [N, C, H, W]", assertThrows(
                IllegalArgumentException.class, () -> ImageDataset.of(Tensor.of(FOUR_PIXELS, 2, 2), new int[2]))
                .getMessage());
        assertEquals("labels: actual 3 != expected 2 (one per image of [2, 1, 1, 2])",
                assertThrows(IllegalArgumentException.class,
                        () -> ImageDataset.of(Tensor.of(FOUR_PIXELS, 2, 1, 1, 2), new int[3])).getMessage());
        assertEquals("labels[1]: actual -1, expected >= 0", assertThrows(IllegalArgumentException.class,
                () -> ImageDataset.of(Tensor.of(FOUR_PIXELS, 2, 1, 1, 2), new int[] {0, -1})).getMessage());
    }

    @Test
    void fromIdxChecksRanksAndClasses() throws IOException {
        IdxArray labels = Idx.parse(Fixtures.labels((byte) 1, (byte) 2), "l");
        IdxArray images = Idx.parse(Fixtures.idx(Idx.IMAGES, new long[] {2, 1, 2}, new byte[] {0, 51, (byte) 255, 1}),
                "i");
        ImageDataset d = ImageDataset.fromIdx(images, labels, 3);
        assertArrayEquals(new float[] {0f, 0.2f, 1f, 1 / 255f}, d.images().toArray());
        assertEquals("l: rank: actual 1 != expected 3",
                assertThrows(IllegalArgumentException.class, () -> ImageDataset.fromIdx(labels, labels, 3)).getMessage());
        assertEquals("i: rank: actual 3 != expected 1",
                assertThrows(IllegalArgumentException.class, () -> ImageDataset.fromIdx(images, images, 3)).getMessage());
        assertEquals("classes: actual 0, expected at least 1",
                assertThrows(IllegalArgumentException.class, () -> ImageDataset.fromIdx(images, labels, 0)).getMessage());
        assertEquals("l: label at index 1: actual 2, expected 0 to 1",
                assertThrows(InvalidDatasetException.class, () -> ImageDataset.fromIdx(images, labels, 2)).getMessage());
    }
}
