package org.grad4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Random crop and horizontal flip: torchvision's semantics against naive versions (pad with zeros
 * then slice; reverse the columns), the draws they make, and the loader's determinism.
 */
class AugmentationTest {
    private static final int C = 2;
    private static final int H = 5;
    private static final int W = 4;

    private static float[] image(long seed) {
        float[] x = new float[C * H * W];
        Random rng = new Random(seed);
        for (int i = 0; i < x.length; i++) {
            x[i] = 1 + rng.nextFloat();
        }
        return x;
    }

    /** torchvision's RandomCrop written out: pad every side with {@code p} zeros, take the window at (top, left). */
    private static float[] naiveCrop(float[] x, int p, int top, int left) {
        int ph = H + 2 * p;
        int pw = W + 2 * p;
        float[] padded = new float[C * ph * pw];
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < H; i++) {
                for (int j = 0; j < W; j++) {
                    padded[(c * ph + i + p) * pw + j + p] = x[(c * H + i) * W + j];
                }
            }
        }
        float[] out = new float[C * H * W];
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < H; i++) {
                for (int j = 0; j < W; j++) {
                    out[(c * H + i) * W + j] = padded[(c * ph + i + top) * pw + j + left];
                }
            }
        }
        return out;
    }

    @Test
    void randomCropIsAWindowOfTheZeroPaddedImageAtTheDrawnOffset() {
        int p = 2;
        Set<String> offsets = new HashSet<>();
        for (long seed = 0; seed < 200; seed++) {
            float[] x = image(seed);
            SplittableRandom draws = new SplittableRandom(seed);
            int top = draws.nextInt(2 * p + 1);
            int left = draws.nextInt(2 * p + 1);
            offsets.add(top + "," + left);
            float[] y = x.clone();
            Augmentation.randomCrop(p).apply(y, 0, C, H, W, new SplittableRandom(seed));
            assertArrayEquals(naiveCrop(x, p, top, left), y, "seed " + seed + " offset " + top + "," + left);
        }
        assertEquals(25, offsets.size(), "every offset in [0, 2p]^2 is drawn");
    }

    @Test
    void horizontalFlipReversesEveryRowWhenTheDrawIsBelowP() {
        int flipped = 0;
        for (long seed = 0; seed < 2000; seed++) {
            float[] x = image(seed);
            float[] y = x.clone();
            boolean flip = new SplittableRandom(seed).nextDouble() < 0.5;
            Augmentation.randomHorizontalFlip(0.5).apply(y, 0, C, H, W, new SplittableRandom(seed));
            float[] want = x.clone();
            if (flip) {
                flipped++;
                for (int r = 0; r < C * H; r++) {
                    for (int j = 0; j < W; j++) {
                        want[r * W + j] = x[r * W + W - 1 - j];
                    }
                }
            }
            assertArrayEquals(want, y, "seed " + seed);
        }
        assertTrue(flipped > 900 && flipped < 1100, flipped + " of 2000 flipped");
    }

    @Test
    void flipProbabilityZeroAndOne() {
        float[] x = image(1);
        float[] never = x.clone();
        float[] always = x.clone();
        for (long seed = 0; seed < 50; seed++) {
            Augmentation.randomHorizontalFlip(0).apply(never, 0, C, H, W, new SplittableRandom(seed));
            Augmentation.randomHorizontalFlip(1).apply(always, 0, C, H, W, new SplittableRandom(seed));
        }
        assertArrayEquals(x, never);
        assertArrayEquals(x, always, "50 flips");
    }

    private static ImageDataset images(int n) {
        float[] x = new float[n * C * H * W];
        Random rng = new Random(345);
        for (int i = 0; i < x.length; i++) {
            x[i] = 1 + rng.nextFloat();
        }
        return ImageDataset.of(Tensor.of(x, n, C, H, W), new int[n]);
    }

    private static List<float[]> epoch(DataLoader loader, int epoch) {
        List<float[]> out = new ArrayList<>();
        try (DataLoader.Epoch it = loader.epoch(epoch)) {
            while (it.hasNext()) {
                out.add(it.next().images().toArray());
            }
        }
        return out;
    }

    @Test
    void theSameSeedAndEpochGiveTheSameImagesWithOrWithoutPrefetch() {
        ImageDataset data = images(37);
        DataLoader a = new DataLoader(data, 8).withShuffle(345)
                .withAugmentation(346, Augmentation.randomCrop(2), Augmentation.randomHorizontalFlip(0.5));
        DataLoader b = new DataLoader(data, 8).withShuffle(345).withPrefetch(true)
                .withAugmentation(346, Augmentation.randomCrop(2), Augmentation.randomHorizontalFlip(0.5));
        for (int e = 0; e < 3; e++) {
            List<float[]> x = epoch(a, e);
            List<float[]> y = epoch(b, e);
            for (int k = 0; k < x.size(); k++) {
                assertArrayEquals(x.get(k), y.get(k), "epoch " + e + " batch " + k);
            }
        }
        assertFalse(Arrays.equals(epoch(a, 0).get(0), epoch(a, 1).get(0)), "another epoch, other crops");
        assertFalse(Arrays.equals(epoch(a, 0).get(0), epoch(a.withAugmentation(347, Augmentation.randomCrop(2),
                Augmentation.randomHorizontalFlip(0.5)), 0).get(0)), "another seed, other crops");
    }

    @Test
    void eachImageGetsItsOwnDrawAndTheDatasetIsUntouched() {
        ImageDataset data = images(16);
        float[] before = data.images().toArray();
        DataLoader plain = new DataLoader(data, 16);
        DataLoader augmented = plain.withAugmentation(5, Augmentation.randomCrop(1));
        float[] x = epoch(plain, 0).get(0);
        float[] y = epoch(augmented, 0).get(0);
        int plane = C * H * W;
        Set<String> distinct = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            float[] img = Arrays.copyOfRange(x, i * plane, (i + 1) * plane);
            float[] got = Arrays.copyOfRange(y, i * plane, (i + 1) * plane);
            boolean found = false;
            for (int top = 0; top <= 2 && !found; top++) {
                for (int left = 0; left <= 2 && !found; left++) {
                    if (Arrays.equals(naiveCrop(img, 1, top, left), got)) {
                        found = true;
                        distinct.add(top + "," + left);
                    }
                }
            }
            assertTrue(found, "image " + i + " is a crop of itself");
        }
        assertTrue(distinct.size() > 3, "offsets drawn per image: " + distinct);
        assertArrayEquals(before, data.images().toArray());
        assertArrayEquals(x, epoch(new DataLoader(data, 16), 0).get(0), "a plain loader is not augmented");
    }

    @Test
    void paddingBelowOne() {
        assertEquals("randomCrop: padding 0 (expected at least 1)",
                assertThrows(IllegalArgumentException.class, () -> Augmentation.randomCrop(0)).getMessage());
    }

    @Test
    void flipProbabilityOutsideZeroOne() {
        assertEquals("randomHorizontalFlip: probability 1.5 (expected 0 to 1)",
                assertThrows(IllegalArgumentException.class, () -> Augmentation.randomHorizontalFlip(1.5)).getMessage());
    }

    @Test
    void samplesThatAreNotImages() {
        TensorDataset rows = TensorDataset.of(Tensor.zeros(4, 3), new int[4]);
        assertEquals("withAugmentation: the samples of TensorDataset[4 samples, features [3], labels] are [3], "
                + "expected images [C, H, W]", assertThrows(IllegalArgumentException.class,
                () -> new DataLoader(rows, 2).withAugmentation(1, Augmentation.randomHorizontalFlip(0.5))).getMessage());
    }
}
