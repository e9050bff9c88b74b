package org.grad4j.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.stream.IntStream;
import org.grad4j.core.Shape;
import org.grad4j.core.Tensor;

/**
 * An image-classification dataset held in memory: images {@code [N, C, H, W]} float32 in one
 * row-major array and labels {@code [N]} in one {@code int[]}; there is no object per image.
 *
 * <p>Instances are immutable as long as nobody writes to the tensor {@link #images()} returns,
 * which shares the storage. Batches come from a {@link DataLoader}.
 */
public final class ImageDataset implements Dataset {
    /** {@code i / 255f} for every byte value: torchvision's {@code ToTensor} divides by 255. */
    private static final float[] BYTE_TO_UNIT = new float[256];

    static {
        for (int i = 0; i < 256; i++) {
            BYTE_TO_UNIT[i] = i / 255f;
        }
    }

    private final float[] pixels;
    private final int[] labels;
    private final int size;
    private final int channels;
    private final int height;
    private final int width;

    private ImageDataset(float[] pixels, int[] labels, int channels, int height, int width) {
        this.pixels = pixels;
        this.labels = labels;
        this.size = labels.length;
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /**
     * A dataset holding copies of the given images and labels.
     *
     * @param images {@code [N, C, H, W]}
     * @param labels {@code N} class indices, each at least 0
     * @return the dataset
     * @throws IllegalArgumentException if {@code images} is not of rank 4, if the label count is not
     *     {@code N}, or if a label is negative
     */
    public static ImageDataset of(Tensor images, int[] labels) {
        Objects.requireNonNull(images, "images");
        Objects.requireNonNull(labels, "labels");
        int[] dims = images.shape().dims();
        if (dims.length != 4) {
            throw new IllegalArgumentException("images: shape " + Arrays.toString(dims)
                    + " has rank " + dims.length + ", expected [N, C, H, W]");
        }
        if (labels.length != dims[0]) {
            throw new IllegalArgumentException("labels: actual " + labels.length + " != expected " + dims[0]
                    + " (one per image of " + Arrays.toString(dims) + ")");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) {
                throw new IllegalArgumentException("labels[" + i + "]: actual " + labels[i] + ", expected >= 0");
            }
        }
        return new ImageDataset(images.toArray(), labels.clone(), dims[1], dims[2], dims[3]);
    }

    /**
     * A dataset from an IDX image file and an IDX label file: pixels scaled to [0, 1] as
     * {@code pixel / 255f} (torchvision's {@code ToTensor}), one channel.
     *
     * @param images an IDX of rank 3, {@code [N, H, W]}
     * @param labels an IDX of rank 1, {@code [N]}
     * @param classes the number of classes: every label must be below it
     * @return the dataset, {@code [N, 1, H, W]}
     * @throws IllegalArgumentException if the ranks are not 3 and 1 or {@code classes < 1}
     * @throws InvalidDatasetException if the counts differ or a label is {@code >= classes}
     */
    public static ImageDataset fromIdx(IdxArray images, IdxArray labels, int classes) throws InvalidDatasetException {
        if (images.rank() != 3) {
            throw new IllegalArgumentException(images.name() + ": rank: actual " + images.rank() + " != expected 3");
        }
        if (labels.rank() != 1) {
            throw new IllegalArgumentException(labels.name() + ": rank: actual " + labels.rank() + " != expected 1");
        }
        if (classes < 1) {
            throw new IllegalArgumentException("classes: actual " + classes + ", expected at least 1");
        }
        if (images.count() != labels.count()) {
            throw new InvalidDatasetException(images.name() + " holds " + images.count() + " images but "
                    + labels.name() + " holds " + labels.count() + " labels");
        }
        byte[] labelBytes = labels.data();
        int[] ints = new int[labelBytes.length];
        for (int i = 0; i < ints.length; i++) {
            int label = labelBytes[i] & 0xFF;
            if (label >= classes) {
                throw new InvalidDatasetException(labels.name() + ": label at index " + i + ": actual " + label
                        + ", expected 0 to " + (classes - 1));
            }
            ints[i] = label;
        }
        byte[] bytes = images.data();
        float[] pixels = new float[bytes.length];
        int chunk = 1 << 20;
        IntStream.range(0, (bytes.length + chunk - 1) / chunk).parallel().forEach(c -> {
            int end = Math.min(bytes.length, (c + 1) * chunk);
            for (int i = c * chunk; i < end; i++) {
                pixels[i] = BYTE_TO_UNIT[bytes[i] & 0xFF];
            }
        });
        return new ImageDataset(pixels, ints, 1, images.dim(1), images.dim(2));
    }

    /**
     * The number of images.
     *
     * @return N
     */
    @Override
    public int size() {
        return size;
    }

    /**
     * Channels per image.
     *
     * @return C
     */
    public int channels() {
        return channels;
    }

    /**
     * Image height.
     *
     * @return H
     */
    public int height() {
        return height;
    }

    /**
     * Image width.
     *
     * @return W
     */
    public int width() {
        return width;
    }

    /**
     * All images as one tensor that shares this dataset's storage: writing to it changes the dataset.
     *
     * @return {@code [N, C, H, W]}
     */
    public Tensor images() {
        return Tensor.wrap(pixels, size, channels, height, width);
    }

    /**
     * All labels.
     *
     * @return a copy, {@code N} class indices
     */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * One label.
     *
     * @param index 0 to {@code size() - 1}
     * @return the class index of that image
     * @throws IndexOutOfBoundsException if the index is out of range
     */
    public int label(int index) {
        Objects.checkIndex(index, size);
        return labels[index];
    }

    /**
     * The images {@code from} (inclusive) to {@code to} (exclusive), copied.
     *
     * @param from the first image
     * @param to one past the last image
     * @return a dataset of {@code to - from} images
     * @throws IndexOutOfBoundsException if {@code 0 <= from <= to <= size()} does not hold
     */
    public ImageDataset slice(int from, int to) {
        Objects.checkFromToIndex(from, to, size);
        int plane = channels * height * width;
        return new ImageDataset(Arrays.copyOfRange(pixels, from * plane, to * plane),
                Arrays.copyOfRange(labels, from, to), channels, height, width);
    }

    /**
     * Every image resized with {@link Resize#bilinear(float[], int, int, int, int, int)}
     * (PyTorch's {@code F.interpolate(mode="bilinear", align_corners=False)}, no antialias), once
     * for the whole set, in parallel over images on the common fork-join pool; the result does
     * not depend on the number of threads.
     *
     * @param newHeight the output height, at least 1
     * @param newWidth the output width, at least 1
     * @return a new dataset {@code [N, C, newHeight, newWidth]} with the same labels
     * @throws IllegalArgumentException if a size is below 1 or the result does not fit one Java array
     */
    public ImageDataset resize(int newHeight, int newWidth) {
        float[] out = Resize.bilinear(pixels, size * channels, height, width, newHeight, newWidth);
        return new ImageDataset(out, labels, channels, newHeight, newWidth);
    }

    /**
     * The shape of one image.
     *
     * @return {@code [C, H, W]}
     */
    @Override
    public Shape sampleShape() {
        return Shape.of(channels, height, width);
    }

    @Override
    public Batch batch(int[] indices) {
        int[] l = new int[indices.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = labels[Objects.checkIndex(indices[i], size)];
        }
        float[] images = Batch.gatherRows(pixels, channels * height * width, indices);
        return Batch.ofLabels(images, new int[] {indices.length, channels, height, width}, l);
    }

    /**
     * A short description.
     *
     * @return for example {@code ImageDataset[60000, 1, 28, 28]}
     */
    @Override
    public String toString() {
        return "ImageDataset[" + size + ", " + channels + ", " + height + ", " + width + "]";
    }
}
