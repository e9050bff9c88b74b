package org.grad4j.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.examples.BnLeNet;
import org.grad4j.layers.Init;
import org.grad4j.layers.Sequential;
import org.grad4j.train.SGD;

/**
 * The chapter's BN-LeNet ({@code BnLeNet.model}, library BatchNorm, xavier-uniform weights, seed 0),
 * SGD with lr 1.0, and a few seeded synthetic batches (uniform pixels in [0, 1), uniform labels):
 * the training and eval steps need no data files, and the arithmetic does not depend on the pixel
 * values. The benchmark states extend this class with their configuration; the ResNet-18 ones build
 * their model with the same seeds, optimizer and batches.
 */
abstract class BnLeNetState {
    /** Distinct batches cycled through, so that a step never sees the previous step's input. */
    static final int BATCHES = 4;
    static final double LR = 1.0;

    Sequential net;
    SGD sgd;
    Tensor[] images;
    int[][] labels;
    int next;
    int batch;
    private String name;
    private Map<String, Tensor> live;
    private Map<String, Tensor> initial;

    void build(String name, int size, int batch, int threads) {
        build(name, () -> BnLeNet.model(size, BnLeNet.Norm.library), LR, size, batch, threads);
    }

    /**
     * The same state for another model ({@code model} builds it; it is seeded before and gets
     * xavier-uniform weights after) and SGD learning rate {@code lr}: {@code name} says which step
     * of which model, for the trial's line and the error of a non-finite loss.
     */
    void build(String name, Supplier<Sequential> model, double lr, int size, int batch, int threads) {
        this.batch = batch;
        this.name = name;
        Init.manualSeed(0);
        net = model.get();
        Init.xavierUniformWeights(net, new Random(0));
        sgd = new SGD(net.parameters(), lr);
        Random rng = new Random(345);
        images = new Tensor[BATCHES];
        labels = new int[BATCHES][batch];
        for (int i = 0; i < BATCHES; i++) {
            images[i] = Tensor.rand(rng, batch, 1, size, size);
            for (int j = 0; j < batch; j++) {
                labels[i][j] = rng.nextInt(10);
            }
        }
        live = net.stateDict();
        initial = new LinkedHashMap<>();
        // zeros + copyFrom keeps scalar buffers (num_batches_tracked, shape []) scalar.
        live.forEach((k, v) -> initial.put(k, Tensor.zeros(v.shape().dims()).copyFrom(v)));
        Bench.threads(name + " " + size + "x" + size + " batch " + batch, threads);
    }

    /**
     * Puts back the initial weights and running statistics, so that every iteration measures the
     * same steps from the same xavier initialisation instead of a model drifting on random labels.
     */
    @SuppressWarnings("try") // a scope used only for its extent
    void restore() {
        try (Tape.NoGrad off = Tape.noGrad()) {
            live.forEach((k, v) -> v.copyFrom(initial.get(k)));
        }
        next = 0;
    }

    /**
     * One training step as {@code Trainer} runs it: zero the gradients, record forward and
     * cross-entropy, backward, read the loss, SGD step.
     *
     * @return the loss
     * @throws IllegalStateException if the loss is not finite (a broken kernel, not a slow one)
     */
    @SuppressWarnings("try") // a scope used only for its extent
    float trainStep() {
        Tensor x = images[next];
        int[] y = labels[next];
        next = (next + 1) % BATCHES;
        sgd.zeroGrad();
        Tensor loss;
        try (Tape tape = Tape.record()) {
            loss = Functional.crossEntropy(net.forward(x), y);
            loss.backward();
        }
        float l = loss.item();
        if (!Float.isFinite(l)) {
            throw new IllegalStateException(name + ": loss is " + l);
        }
        sgd.step();
        return l;
    }

    /** One eval step: eval mode (running statistics), grad mode off, forward only. */
    @SuppressWarnings("try") // a scope used only for its extent
    Tensor evalStep() {
        Tensor x = images[next];
        next = (next + 1) % BATCHES;
        try (Tape.NoGrad off = Tape.noGrad()) {
            return net.forward(x);
        }
    }
}
