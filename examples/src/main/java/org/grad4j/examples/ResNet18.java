package org.grad4j.examples;

import java.io.PrintStream;
import org.grad4j.layers.AdaptiveAvgPool2d;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.Conv2d;
import org.grad4j.layers.Flatten;
import org.grad4j.layers.Linear;
import org.grad4j.layers.MaxPool2d;
import org.grad4j.layers.ReLU;
import org.grad4j.layers.Sequential;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The experiment of d2l's "Residual Networks (ResNet)" chapter: ResNet-18 (batch normalization after
 * every convolution, residual blocks with 1x1 shortcut convolutions, global average pooling) trained
 * on Fashion-MNIST resized to 96x96 with SGD (lr 0.05, batch 256, 10 epochs, xavier-uniform weights),
 * as {@code train_ch6} does. The options, their checks and the training run are BnLeNet's
 * ({@code TrainingCommand}); {@code --width} is this one's.
 *
 * <pre>
 * java -jar examples/target/resnet18.jar                       # the chapter's run (hours on a laptop CPU)
 * java -jar examples/target/resnet18.jar --train-limit 1024 --epochs 1 --batch-size 64
 * java -jar examples/target/resnet18.jar --resize 28 --width 16   # a smaller, quicker variant
 * </pre>
 */
@Command(name = "resnet18", mixinStandardHelpOptions = true, version = "grad4j ResNet18 0.1.0",
        description = "Trains the ResNet-18 of d2l's Residual Networks chapter on Fashion-MNIST.",
        sortOptions = false)
public final class ResNet18 extends TrainingCommand {
    /** The width of the first stage in the book; the stages are 64, 128, 256 and 512 channels wide. */
    public static final int WIDTH = 64;

    @Option(names = "--width", paramLabel = "W",
            description = "channels of the first stage; the others have 2W, 4W and 8W (default: ${DEFAULT-VALUE})")
    int width = WIDTH;

    ResNet18(PrintStream stdout) {
        super(stdout, 0.05, 96);
    }

    @Override
    String name() {
        return "resnet18";
    }

    @Override
    Sequential model(int size) {
        return model(width, 10);
    }

    @Override
    void validate(int size) {
        if (width < 1) {
            throw usage("--width must be positive, got " + width);
        }
    }

    /** Runs the command line and returns the exit code: 0 done, 1 training failed, 2 bad input or data. */
    static int run(PrintStream out, PrintStream err, String... args) {
        return run(new ResNet18(out), err, args);
    }

    /** Entry point: {@link TrainingCommand#launch}, which restarts the JVM with the Vector API when it lacks it. */
    public static void main(String[] args) {
        launch(ResNet18.class, ResNet18::new, args);
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
