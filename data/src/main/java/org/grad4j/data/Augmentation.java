package org.grad4j.data;

import java.util.SplittableRandom;

/**
 * A random transform of one training image, applied in place by a {@link DataLoader} configured
 * with {@link DataLoader#withAugmentation}. The loader gives each image a generator that depends
 * only on the augmentation seed, the epoch and the image's position in the epoch, so the same
 * seed and epoch give the same images whatever the thread count or prefetching.
 *
 * <pre>{@code
 * DataLoader train = new DataLoader(data, 128).withShuffle(345)
 *         .withAugmentation(346, Augmentation.randomCrop(4), Augmentation.randomHorizontalFlip(0.5));
 * }</pre>
 */
@FunctionalInterface
public interface Augmentation {
    /**
     * Transforms one image in place.
     *
     * @param images the batch's storage; the image is {@code [C, H, W]} at {@code offset}
     * @param offset where the image starts
     * @param channels C
     * @param height H
     * @param width W
     * @param rng this image's generator: draw from it, do not keep it
     */
    void apply(float[] images, int offset, int channels, int height, int width, SplittableRandom rng);

    /**
     * torchvision's {@code RandomCrop(size=(H, W), padding=padding)}: pads the image with
     * {@code padding} zeros on every side and crops an {@code H x W} window at a uniformly drawn
     * offset {@code (top, left)} in {@code [0, 2 padding]^2} (drawn in that order), so that
     * {@code out[c, i, j] = in[c, i + top - padding, j + left - padding]}, 0 outside the image.
     *
     * @param padding the zeros on each side, at least 1
     * @return the augmentation
     * @throws IllegalArgumentException if {@code padding < 1}
     */
    static Augmentation randomCrop(int padding) {
        if (padding < 1) {
            throw new IllegalArgumentException("randomCrop: padding " + padding + " (expected at least 1)");
        }
        return (images, offset, channels, height, width, rng) -> {
            int top = rng.nextInt(2 * padding + 1);
            int left = rng.nextInt(2 * padding + 1);
            Augmentations.shift(images, offset, channels, height, width, top - padding, left - padding);
        };
    }

    /**
     * torchvision's {@code RandomHorizontalFlip(p)}: mirrors the image left to right
     * ({@code out[c, i, j] = in[c, i, W - 1 - j]}) when a uniform draw in {@code [0, 1)} is below
     * {@code p}.
     *
     * @param p the probability of a flip, in {@code [0, 1]} (torchvision's default is 0.5)
     * @return the augmentation
     * @throws IllegalArgumentException if {@code p} is outside {@code [0, 1]}
     */
    static Augmentation randomHorizontalFlip(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("randomHorizontalFlip: probability " + p + " (expected 0 to 1)");
        }
        return (images, offset, channels, height, width, rng) -> {
            if (rng.nextDouble() < p) {
                Augmentations.flip(images, offset, channels, height, width);
            }
        };
    }
}
