package org.grad4j.examples;

import java.io.PrintStream;
import java.util.Map;
import org.grad4j.layers.BatchNorm;
import org.grad4j.layers.BatchNorm1d;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.Conv2d;
import org.grad4j.layers.Flatten;
import org.grad4j.layers.Linear;
import org.grad4j.layers.MaxPool2d;
import org.grad4j.layers.Module;
import org.grad4j.layers.ScratchBatchNorm;
import org.grad4j.layers.Sequential;
import org.grad4j.layers.Sigmoid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The experiment of d2l's "Batch Normalization" chapter: LeNet with batch normalization after
 * every convolution and hidden linear layer, trained on Fashion-MNIST with SGD (lr 1.0, batch 256,
 * 10 epochs, xavier-uniform weights), as {@code train_ch6} does. The options, their checks and the
 * training run are the examples' common ones ({@code TrainingCommand}); {@code --bn} is this one's.
 *
 * <pre>
 * java -jar examples/target/bnlenet.jar                  # 28x28, the chapter's hyper-parameters
 * java -jar examples/target/bnlenet.jar --resize 96 --batch-size 32
 * java -jar examples/target/bnlenet.jar --bn scratch     # the chapter's from-scratch BatchNorm
 * </pre>
 */
@Command(name = "bnlenet", mixinStandardHelpOptions = true, version = "grad4j BnLeNet 0.1.0",
        description = "Trains the BN-LeNet of d2l's Batch Normalization chapter on Fashion-MNIST.",
        sortOptions = false)
public final class BnLeNet extends TrainingCommand {
    /** Which batch normalization the model uses. */
    public enum Norm {
        /** grad4j's BatchNorm1d/BatchNorm2d (PyTorch semantics). */
        library,
        /** The chapter's from-scratch BatchNorm (momentum 0.9 on the old value, biased variance). */
        scratch,
        /** grad4j's BatchNorm1d/2d that only subtracts the batch mean, then adds beta ({@code BatchNorm.Variant.MEAN_ONLY}). */
        mean_only,
        /** grad4j's BatchNorm1d/2d that only divides by the batch standard deviation, then scales by gamma. */
        scale_only,
        /** No batch normalization: plain LeNet with sigmoid. */
        none
    }

    @Option(names = "--bn", paramLabel = "KIND",
            description = "library, scratch, mean_only, scale_only or none (default: ${DEFAULT-VALUE})")
    Norm bn = Norm.library;

    BnLeNet(PrintStream stdout) {
        super(stdout, 1.0, 28);
    }

    @Override
    String name() {
        return "bnlenet";
    }

    /**
     * The chapter's BN-LeNet for {@code size x size} inputs: conv 5x5 (6) - BN - sigmoid - max pool 2,
     * conv 5x5 (16) - BN - sigmoid - max pool 2, flatten, linear 120 - BN - sigmoid, linear 84 - BN -
     * sigmoid, linear 10.
     *
     * @throws IllegalArgumentException if {@code size} is too small for the two convolutions and pools
     */
    public static Sequential model(int size, Norm norm) {
        if (size < 16) {
            throw new IllegalArgumentException("BN-LeNet: input size " + size + " is too small, expected at least 16");
        }
        int s = ((size - 4) / 2 - 4) / 2;
        Sequential net = new Sequential();
        net.add(new Conv2d(1, 6, 5));
        addNorm(net, norm, 6, 4);
        net.add(new Sigmoid());
        net.add(new MaxPool2d(2, 2, 0));
        net.add(new Conv2d(6, 16, 5));
        addNorm(net, norm, 16, 4);
        net.add(new Sigmoid());
        net.add(new MaxPool2d(2, 2, 0));
        net.add(new Flatten());
        net.add(new Linear(16 * s * s, 120));
        addNorm(net, norm, 120, 2);
        net.add(new Sigmoid());
        net.add(new Linear(120, 84));
        addNorm(net, norm, 84, 2);
        net.add(new Sigmoid());
        net.add(new Linear(84, 10));
        return net;
    }

    private static void addNorm(Sequential net, Norm norm, int features, int dims) {
        switch (norm) {
            case library:
                net.add(dims == 4 ? new BatchNorm2d(features) : new BatchNorm1d(features));
                break;
            case scratch:
                net.add(new ScratchBatchNorm(features, dims));
                break;
            case mean_only:
            case scale_only:
                BatchNorm.Variant v = norm == Norm.mean_only ? BatchNorm.Variant.MEAN_ONLY : BatchNorm.Variant.SCALE_ONLY;
                net.add(dims == 4 ? new BatchNorm2d(features, v) : new BatchNorm1d(features, v));
                break;
            default:
                break;
        }
    }

    @Override
    Sequential model(int size) {
        return model(size, bn);
    }

    @Override
    void validate(int size) {
        if (recalibrate && (bn == Norm.scratch || bn == Norm.none)) {
            throw usage("--recalibrate needs --bn library, mean_only or scale_only (running statistics to recalibrate), "
                    + "got --bn " + bn);
        }
        if (size < 16) {
            throw usage("--resize must be at least 16 for BN-LeNet, got " + size);
        }
    }

    @Override
    Map<String, String> modelOptions() {
        return Map.of("bn", bn.name());
    }

    @Override
    String smallBatchAlternative() {
        return " (or --bn scratch or --bn none)";
    }

    /** The chapter prints the scale and shift that the first batch-norm layer learned. */
    @Override
    void afterTraining(Sequential net) {
        for (Module m : net.modules()) {
            if (m instanceof BatchNorm && ((BatchNorm) m).affine()) {
                BatchNorm b = (BatchNorm) m;
                if (b.weight() != null) {
                    stdout.println("gamma " + b.weight().flatten());
                }
                if (b.bias() != null) {
                    stdout.println("beta  " + b.bias().flatten());
                }
                return;
            }
            if (m instanceof ScratchBatchNorm) {
                stdout.println("gamma " + ((ScratchBatchNorm) m).gamma().flatten());
                stdout.println("beta  " + ((ScratchBatchNorm) m).beta().flatten());
                return;
            }
        }
    }

    /** Runs the command line and returns the exit code: 0 done, 1 training failed, 2 bad input or data. */
    static int run(PrintStream out, PrintStream err, String... args) {
        return run(new BnLeNet(out), err, args);
    }

    /** Entry point: {@link TrainingCommand#launch}, which restarts the JVM with the Vector API when it lacks it. */
    public static void main(String[] args) {
        launch(BnLeNet.class, BnLeNet::new, args);
    }
}
