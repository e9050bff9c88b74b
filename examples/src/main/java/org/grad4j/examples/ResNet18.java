package org.grad4j.examples;

import org.grad4j.layers.AdaptiveAvgPool2d;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.Conv2d;
import org.grad4j.layers.Flatten;
import org.grad4j.layers.Linear;
import org.grad4j.layers.MaxPool2d;
import org.grad4j.layers.ReLU;
import org.grad4j.layers.Sequential;

/**
 * The network of d2l's "Residual Networks (ResNet)" chapter: ResNet-18 for Fashion-MNIST.
 */
public final class ResNet18 {
    /** The width of the first stage in the book; the stages are 64, 128, 256 and 512 channels wide. */
    public static final int WIDTH = 64;

    private ResNet18() {
    }

    /** {@code model(WIDTH, 10)}: the book's ResNet-18 (11.2 million parameters). */
    public static Sequential model() {
        return model(WIDTH, 10);
    }

    /**
     * d2l's ResNet-18 with stages {@code width}, {@code 2 width}, {@code 4 width} and
     * {@code 8 width} channels wide, built as the book builds it, a flat {@code nn.Sequential}
     * (so the state-dict keys are PyTorch's, e.g. {@code 0.0.weight}, {@code 1.0.conv1.weight},
     * {@code 2.0.conv3.weight}, {@code 7.bias}):
     * <ol start="0">
     *   <li>b1: conv 7x7 stride 2 padding 3 - BatchNorm2d - ReLU - max pool 3x3 stride 2 padding 1;
     *   <li>b2 to b5: two {@link Residual} blocks each; the first block of b3, b4 and b5 doubles the
     *       width and halves the size (stride 2, 1x1 shortcut convolution);
     *   <li value="5">AdaptiveAvgPool2d(1, 1), global average pooling;
     *   <li>Flatten;
     *   <li>Linear(8 width, classes).
     * </ol>
     * Any input {@code [N, 1, H, W]} with {@code H, W >= 1} works (global pooling), e.g. the
     * book's 96x96 (down to 3x3 before pooling) or 28x28.
     *
     * @throws IllegalArgumentException if {@code width} or {@code classes} is not positive
     */
    public static Sequential model(int width, int classes) {
        if (width < 1) {
            throw new IllegalArgumentException("ResNet-18: width must be positive, got " + width);
        }
        if (classes < 1) {
            throw new IllegalArgumentException("ResNet-18: classes must be positive, got " + classes);
        }
        Sequential b1 = new Sequential(new Conv2d(1, width, 7, 2, 3), new BatchNorm2d(width), new ReLU(),
                new MaxPool2d(3, 2, 1));
        return new Sequential(b1, stage(width, width, true), stage(width, 2 * width, false),
                stage(2 * width, 4 * width, false), stage(4 * width, 8 * width, false), new AdaptiveAvgPool2d(1, 1),
                new Flatten(), new Linear(8 * width, classes));
    }

    /** Two residual blocks; but for the first stage, the first block changes the width and halves the size. */
    private static Sequential stage(int in, int channels, boolean first) {
        Residual head = first ? new Residual(channels, channels, false, 1) : new Residual(in, channels, true, 2);
        return new Sequential(head, new Residual(channels, channels, false, 1));
    }
}
