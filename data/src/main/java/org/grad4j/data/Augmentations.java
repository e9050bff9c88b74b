package org.grad4j.data;

/** The deterministic halves of {@link Augmentation}'s random transforms, on one image {@code [C, H, W]} in place. */
final class Augmentations {
    private Augmentations() {
    }

    /** {@code out[c, i, j] = in[c, i + dy, j + dx]}, 0 where that lies outside the image. */
    static void shift(float[] images, int offset, int channels, int height, int width, int dy, int dx) {
        float[] plane = new float[height * width];
        for (int c = 0; c < channels; c++) {
            int base = offset + c * height * width;
            System.arraycopy(images, base, plane, 0, plane.length);
            for (int i = 0; i < height; i++) {
                int si = i + dy;
                for (int j = 0; j < width; j++) {
                    int sj = j + dx;
                    boolean inside = si >= 0 && si < height && sj >= 0 && sj < width;
                    images[base + i * width + j] = inside ? plane[si * width + sj] : 0f;
                }
            }
        }
    }

    /** {@code out[c, i, j] = in[c, i, W - 1 - j]}. */
    static void flip(float[] images, int offset, int channels, int height, int width) {
        for (int row = 0; row < channels * height; row++) {
            int base = offset + row * width;
            for (int j = 0, k = width - 1; j < k; j++, k--) {
                float t = images[base + j];
                images[base + j] = images[base + k];
                images[base + k] = t;
            }
        }
    }
}
