package org.grad4j.examples;

import org.grad4j.core.Tensor;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.Conv2d;
import org.grad4j.layers.Module;

/**
 * The residual block of d2l's ResNet, written as a user writes a module of their own: the layers
 * are registered as children in PyTorch's order (conv1, conv2, conv3, bn1, bn2, so the state-dict
 * keys are the book's) and {@link #forward} says how they connect:
 * {@code relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))}, where the shortcut is a 1x1
 * convolution with the block's stride ({@code conv3}) when the block changes the width or the size,
 * and {@code x} itself otherwise.
 *
 * <p>Shapes: x {@code [N, in, H, W]}, y {@code [N, channels, H', W']} with
 * {@code H' = (H - 1) / stride + 1} (rounded down).
 */
public final class Residual extends Module {
    private final Conv2d conv1;
    private final Conv2d conv2;
    /** The 1x1 shortcut convolution, or null when the input is added as it is. */
    private final Conv2d conv3;
    private final BatchNorm2d bn1;
    private final BatchNorm2d bn2;

    /**
     * A block from {@code in} to {@code channels} channels.
     *
     * @param use1x1conv whether the shortcut is a 1x1 convolution (needed when {@code in != channels}
     *     or {@code stride != 1}, so that the two branches have the same shape)
     * @param stride the stride of the first 3x3 convolution and of the shortcut
     * @throws IllegalArgumentException if a count or the stride is not positive, or if the shortcut
     *     is the input while the width or size changes
     */
    public Residual(int in, int channels, boolean use1x1conv, int stride) {
        if (!use1x1conv && (in != channels || stride != 1)) {
            throw new IllegalArgumentException("Residual: the shortcut adds the input [N, " + in + ", H, W] as it is,"
                    + " but the block outputs " + channels + " channels at stride " + stride
                    + "; expected use1x1conv when the width or the size changes");
        }
        conv1 = child("conv1", new Conv2d(in, channels, 3, stride, 1));
        conv2 = child("conv2", new Conv2d(channels, channels, 3, 1, 1));
        conv3 = use1x1conv ? child("conv3", new Conv2d(in, channels, 1, stride, 0)) : null;
        bn1 = child("bn1", new BatchNorm2d(channels));
        bn2 = child("bn2", new BatchNorm2d(channels));
    }

    /**
     * The block's output.
     *
     * @throws IllegalArgumentException if {@code x} is not {@code [N, in, H, W]} (the message names
     *     the convolution that refused it)
     */
    @Override
    public Tensor forward(Tensor x) {
        Tensor y = bn1.forward(conv1.forward(x)).relu();
        y = bn2.forward(conv2.forward(y));
        Tensor shortcut = conv3 == null ? x : conv3.forward(x);
        return y.add(shortcut).relu();
    }
}
