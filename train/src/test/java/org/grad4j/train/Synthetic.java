package org.grad4j.train;

import java.util.Random;
import org.grad4j.core.Tensor;
import org.grad4j.data.ImageDataset;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.Conv2d;
import org.grad4j.layers.Flatten;
import org.grad4j.layers.Linear;
import org.grad4j.layers.ReLU;
import org.grad4j.layers.Sequential;

/** Small seeded problems that train in milliseconds. */
final class Synthetic {
    static final int CLASSES = 4;
    static final int SIZE = 8;

    private Synthetic() {
    }

    /** Images [n, 1, 8, 8]: noise plus a bright 3x3 patch in the corner given by the label. */
    static ImageDataset dataset(int n, long seed) {
        Random rng = new Random(seed);
        float[] pixels = new float[n * SIZE * SIZE];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int label = rng.nextInt(CLASSES);
            labels[i] = label;
            int r0 = label / 2 * 5;
            int c0 = label % 2 * 5;
            for (int p = 0; p < SIZE * SIZE; p++) {
                pixels[i * SIZE * SIZE + p] = 0.3f * rng.nextFloat();
            }
            for (int r = r0; r < r0 + 3; r++) {
                for (int c = c0; c < c0 + 3; c++) {
                    pixels[i * SIZE * SIZE + r * SIZE + c] += 0.7f;
                }
            }
        }
        return ImageDataset.of(Tensor.wrap(pixels, n, 1, SIZE, SIZE), labels);
    }

    /** conv 3x3 (4) - BN - ReLU - flatten - linear 4: has parameters, buffers and a batch counter. */
    static Sequential net(long seed) {
        Random rng = new Random(seed);
        return new Sequential(new Conv2d(1, 4, 3, 1, 0, true, rng), new BatchNorm2d(4), new ReLU(), new Flatten(),
                new Linear(4 * 6 * 6, CLASSES, true, rng));
    }
}
