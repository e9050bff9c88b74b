package org.grad4j.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * Stochastic gradient descent with PyTorch's semantics ({@code torch.optim.SGD}). For each
 * parameter {@code p} with gradient {@code g}, at learning rate {@code lr}:
 *
 * <pre>
 * g = g + weightDecay * p                          (if weightDecay != 0)
 * b = g                                            (first step: the buffer is the gradient)
 * b = momentum * b + (1 - dampening) * g           (later steps)          } if momentum != 0
 * g = nesterov ? g + momentum * b : b                                     }
 * p = p - lr * g
 * </pre>
 *
 * Parameters without a gradient are skipped. The update runs with grad mode off, so it may be
 * called while a tape is open (after its backward) as well as after.
 */
public final class SGD implements Optimizer {
    private static final String BUFFER = "momentum_buffer.";
    private final List<Tensor> params;
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    private double lr;
    /** Momentum buffers by parameter index; created at the first step that sees a gradient. */
    private final Tensor[] buffers;
    /** Scratch space for the direction when it is not the gradient itself. */
    private final Tensor[] scratch;

    /**
     * Plain SGD: {@code p -= lr * grad}.
     *
     * @throws IllegalArgumentException if {@code lr} is negative or not finite, or a parameter is
     *     listed twice
     */
    public SGD(List<Tensor> params, double lr) {
        this(params, lr, 0, 0, 0, false);
    }

    /**
     * SGD with momentum, dampening, weight decay (L2) and Nesterov momentum, as PyTorch.
     *
     * @throws IllegalArgumentException naming the hyper-parameter when {@code lr}, {@code momentum}
     *     or {@code weightDecay} is negative or not finite, {@code dampening} is outside [0, 1],
     *     {@code nesterov} is asked for without momentum or with dampening, or a parameter is listed
     *     twice
     */
    public SGD(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay,
               boolean nesterov) {
        checkLearningRate(lr);
        if (!(momentum >= 0) || !Double.isFinite(momentum)) {
            throw new IllegalArgumentException("SGD: invalid momentum " + momentum + " (expected >= 0)");
        }
        if (!(dampening >= 0 && dampening <= 1)) {
            throw new IllegalArgumentException("SGD: invalid dampening " + dampening + " (expected 0 to 1)");
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("SGD: invalid weight decay " + weightDecay + " (expected >= 0)");
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got "
                    + "momentum " + momentum + " and dampening " + dampening);
        }
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < params.size(); i++) {
            if (!seen.add(params.get(i))) {
                throw new IllegalArgumentException("SGD: parameter " + i + " appears more than once");
            }
        }
        this.params = List.copyOf(params);
        this.lr = lr;
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.buffers = new Tensor[params.size()];
        this.scratch = new Tensor[params.size()];
    }

    private static void checkLearningRate(double lr) {
        if (!(lr >= 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("SGD: invalid learning rate " + lr + " (expected >= 0)");
        }
    }

    @Override
    public void step() {
        try (Tape.NoGrad off = Tape.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor g = p.grad();
                if (g != null) {
                    p.addInPlace((float) -lr, direction(i, p, g));
                }
            }
        }
    }

    /** The update direction of parameter {@code i}, before scaling by the learning rate. */
    private Tensor direction(int i, Tensor p, Tensor g) {
        Tensor d = g;
        if (weightDecay != 0) {
            d = scratch(i, p).copyFrom(g).addInPlace((float) weightDecay, p);
        }
        if (momentum == 0) {
            return d;
        }
        Tensor b = buffers[i];
        if (b == null) {
            b = buffers[i] = d.copy();
        } else {
            b.mulInPlace((float) momentum).addInPlace((float) (1 - dampening), d);
        }
        if (!nesterov) {
            return b;
        }
        return (d == g ? scratch(i, p).copyFrom(g) : d).addInPlace((float) momentum, b);
    }

    private Tensor scratch(int i, Tensor p) {
        if (scratch[i] == null) {
            scratch[i] = Tensor.zeros(p.shape().dims());
        }
        return scratch[i];
    }

    @Override
    public void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    @Override
    public double learningRate() {
        return lr;
    }

    @Override
    public void setLearningRate(double lr) {
        checkLearningRate(lr);
        this.lr = lr;
    }

    @Override
    public List<Tensor> parameters() {
        return params;
    }

    /** The momentum buffers created so far, as {@code momentum_buffer.<parameter index>}. */
    @Override
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] != null) {
                out.put(BUFFER + i, buffers[i]);
            }
        }
        return out;
    }

    /** Restores momentum buffers (copies are kept). */
    @Override
    public void loadStateDict(Map<String, Tensor> state) {
        List<String> problems = new ArrayList<>();
        Tensor[] loaded = new Tensor[buffers.length];
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            int index = -1;
            if (key.startsWith(BUFFER)) {
                try {
                    index = Integer.parseInt(key.substring(BUFFER.length()));
                } catch (NumberFormatException ignored) {
                    index = -1;
                }
            }
            if (index < 0 || index >= params.size()) {
                problems.add("unexpected key '" + key + "'");
            } else if (!e.getValue().shape().equals(params.get(index).shape())) {
                problems.add("'" + key + "' has shape " + e.getValue().shape() + ", expected "
                        + params.get(index).shape());
            } else {
                loaded[index] = e.getValue().copy();
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("SGD: cannot load state: " + String.join("; ", problems));
        }
        for (int i = 0; i < loaded.length; i++) {
            if (loaded[i] != null) {
                buffers[i] = loaded[i];
            }
        }
    }

    /** The hyper-parameters, e.g. {@code SGD(lr=1.0, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=false)}. */
    @Override
    public String toString() {
        return "SGD(lr=" + lr + ", momentum=" + momentum + ", dampening=" + dampening + ", weight_decay="
                + weightDecay + ", nesterov=" + nesterov + ")";
    }
}
