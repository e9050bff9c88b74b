package org.grad4j.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.grad4j.core.Shape;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * A chain of modules, PyTorch's {@code nn.Sequential}: {@code forward} feeds each module's output
 * to the next. The children are named {@code "0"}, {@code "1"}, ... so the state-dict keys are
 * PyTorch's ({@code 0.weight}, {@code 1.running_mean}).
 *
 * <pre>{@code
 * Sequential net = new Sequential(
 *         new Conv2d(1, 6, 5), new BatchNorm2d(6), new Sigmoid(), new MaxPool2d(2, 2),
 *         new Flatten(), new Linear(6 * 12 * 12, 10));
 * }</pre>
 */
public class Sequential extends Module implements Iterable<Module> {
    private final List<Module> layers = new ArrayList<>();

    /**
     * A chain of the given modules, in order.
     *
     * @throws NullPointerException if a module is null
     * @throws IllegalArgumentException if a module would contain itself
     */
    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /**
     * Appends {@code module} under the next index; returns {@code this}.
     *
     * @throws NullPointerException if {@code module} is null
     * @throws IllegalArgumentException if the module is this chain or contains it
     */
    public Sequential add(Module module) {
        layers.add(child(String.valueOf(layers.size()), module));
        return this;
    }

    /**
     * The module at {@code index}.
     *
     * @throws IndexOutOfBoundsException if there is none
     */
    public Module get(int index) {
        return layers.get(index);
    }

    /** The number of modules. */
    public int size() {
        return layers.size();
    }

    /** The modules in order (unmodifiable). */
    @Override
    public Iterator<Module> iterator() {
        return Collections.unmodifiableList(layers).iterator();
    }

    /** {@code x} through every module in order ({@code x} itself for an empty chain). */
    @Override
    public Tensor forward(Tensor x) {
        Tensor y = x;
        for (Module m : layers) {
            y = m.forward(y);
        }
        return y;
    }

    @Override
    public Sequential train(boolean mode) {
        super.train(mode);
        return this;
    }

    @Override
    public Sequential train() {
        return train(true);
    }

    @Override
    public Sequential eval() {
        return train(false);
    }

    /**
     * Runs a zero input of shape {@code inputDims} through the chain and describes each module's
     * output shape, one line per module, as the chapter does with
     * {@code for layer in net: X = layer(X); print(layer.__class__.__name__, 'output shape:', X.shape)}:
     *
     * <pre>
     * Conv2d output shape: [1, 6, 92, 92]
     * BatchNorm2d output shape: [1, 6, 92, 92]
     * ...
     * </pre>
     *
     * <p>The run is in evaluation mode with grad mode off: the chapter runs it in training mode,
     * but BatchNorm in training mode on a batch of one fails on {@code [1, 120]} (one value per
     * channel), and evaluation mode leaves the running statistics untouched. Every module's
     * training flag is restored afterwards. Nothing is printed: the caller prints the result.
     *
     * @return the lines joined by {@code '\n'}, without a final newline
     * @throws IllegalArgumentException if a module rejects the shape it gets (the message names it)
     */
    public String summary(int... inputDims) {
        StringBuilder sb = new StringBuilder();
        List<Shape> shapes = outputShapes(inputDims);
        for (int i = 0; i < shapes.size(); i++) {
            sb.append(i == 0 ? "" : "\n").append(layers.get(i).typeName()).append(" output shape: ")
                    .append(shapes.get(i));
        }
        return sb.toString();
    }

    /**
     * The output shape of each module for an input of shape {@code inputDims}, found as
     * {@link #summary} finds them: a zero input run through the chain in evaluation mode with grad
     * mode off, every module's training flag restored afterwards.
     *
     * @return one shape per module, in order
     * @throws IllegalArgumentException if a module rejects the shape it gets (the message names it)
     */
    public List<Shape> outputShapes(int... inputDims) {
        List<Module> all = modules();
        boolean[] modes = new boolean[all.size()];
        for (int i = 0; i < modes.length; i++) {
            modes[i] = all.get(i).isTraining();
        }
        List<Shape> shapes = new ArrayList<>();
        try (Tape.NoGrad off = Tape.noGrad()) {
            eval();
            Tensor x = Tensor.zeros(inputDims);
            for (Module m : layers) {
                x = m.forward(x);
                shapes.add(x.shape());
            }
        } finally {
            for (int i = 0; i < modes.length; i++) {
                all.get(i).setTrainingFlag(modes[i]);
            }
        }
        return shapes;
    }
}
