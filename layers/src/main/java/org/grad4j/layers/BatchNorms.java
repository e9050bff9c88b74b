package org.grad4j.layers;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * Operations on every {@link BatchNorm} layer of a model at once: exact population statistics
 * ({@link #recalibrate}), freezing for fine-tuning ({@link #freeze}) and folding into the
 * preceding layer for inference ({@link #fold}).
 */
public final class BatchNorms {
    private BatchNorms() {
    }

    /** {@code recalibrate(model, inputs, Integer.MAX_VALUE)}: every batch of {@code inputs}. */
    public static int recalibrate(Module model, Iterable<Tensor> inputs) {
        return recalibrate(model, inputs, Integer.MAX_VALUE);
    }

    /**
     * Sets the running statistics of every batch-norm layer of {@code model} to the exact mean and
     * unbiased variance of that layer's inputs over the batches of {@code inputs}: what the chapter
     * means by "the means and variances of each layer's activations based on the entire dataset".
     *
     * <p>The model runs once over the batches (at most {@code maxBatches}) in training mode with
     * grad mode off, so every layer sees what it sees in training: each batch-norm layer normalises
     * with its batch's statistics (a layer's inputs depend on the layers before it, and these
     * normalise with batch statistics too). For every layer with running statistics that is not
     * {@linkplain BatchNorm#isFrozen() frozen}, the per-channel count, mean and sum of squared
     * deviations of its inputs are pooled over all batches in double ({@link PooledMoments}), and
     * at the end {@code running_mean = sum x / n} and
     * {@code running_var = sum (x - running_mean)^2 / (n - 1)} over all {@code n} values of the
     * channel, whatever the layer's momentum convention (a {@link BatchNorm.Variant#MEAN_ONLY} layer
     * gets only the mean, a {@link BatchNorm.Variant#SCALE_ONLY} one only the variance). This is not PyTorch's
     * {@code torch.optim.swa_utils.update_bn}, which averages the batches' unbiased variances
     * (momentum None): that ignores the spread between batch means and differs when the last batch
     * is smaller.
     *
     * <p>Only {@code running_mean} and {@code running_var} change: parameters,
     * {@code num_batches_tracked} and every module's training flag are left as they were. During
     * the pass the running statistics are not updated, so a failure (a batch of the wrong shape)
     * leaves the model untouched. Dropout layers are active during the pass, as in training.
     *
     * @param model the model; not modified except for the running statistics
     * @param inputs the batches, each what {@code model.forward} takes (the training images)
     * @param maxBatches use at most this many batches
     * @return the number of batches used
     * @throws IllegalArgumentException if {@code maxBatches < 1}, the model has no batch-norm layer
     *     to recalibrate, {@code inputs} gives no batch, or a layer saw no input; or what a layer
     *     throws for a batch
     * @throws NullPointerException if an argument is null
     */
    public static int recalibrate(Module model, Iterable<Tensor> inputs, int maxBatches) {
        Census census = census("recalibrate", model, inputs, maxBatches);
        write(census.layers, census.moments);
        return census.batches;
    }

    /**
     * The per-channel moments of every batch-norm layer's inputs over the batches of
     * {@code inputs}, as {@link #recalibrate} pools them, without writing them: for combining the
     * moments of several data shards ({@link PooledMoments#merge}) before
     * {@link #setRunningStatistics}, as data-parallel training on shards held by different machines
     * does. Nothing of the model changes.
     *
     * @return the moments of each layer {@link #recalibrate} would set, by its state-dict prefix
     *     ({@code 1}, {@code block.bn1}), in {@link Module#modules()} order
     * @throws IllegalArgumentException as {@link #recalibrate}
     * @throws NullPointerException if an argument is null
     */
    public static Map<String, PooledMoments> moments(Module model, Iterable<Tensor> inputs, int maxBatches) {
        Census census = census("moments", model, inputs, maxBatches);
        Map<String, PooledMoments> out = new LinkedHashMap<>();
        Map<Module, String> names = names(model);
        for (int i = 0; i < census.layers.size(); i++) {
            out.put(names.get(census.layers.get(i)), census.moments.get(i));
        }
        return out;
    }

    /**
     * Sets {@code running_mean} and {@code running_var} of the batch-norm layers named in
     * {@code moments} to their mean and unbiased variance, as {@link #recalibrate} does. Every name
     * and channel count is checked before any layer is written.
     *
     * @param moments by state-dict prefix, as {@link #moments} returns them
     * @throws IllegalArgumentException naming the first entry that is not a batch-norm layer of
     *     {@code model} with running statistics, not frozen, with as many channels, or that counts
     *     fewer than 2 values
     * @throws NullPointerException if an argument is null
     */
    public static void setRunningStatistics(Module model, Map<String, PooledMoments> moments) {
        Objects.requireNonNull(model, "setRunningStatistics: model is null");
        Objects.requireNonNull(moments, "setRunningStatistics: moments is null");
        Map<Module, String> names = names(model);
        Map<String, BatchNorm> byName = new LinkedHashMap<>(); // in modules() order: names is an identity map
        for (Module m : model.modules()) {
            if (recalibrated(m)) {
                byName.put(names.get(m), (BatchNorm) m);
            }
        }
        List<BatchNorm> layers = new ArrayList<>();
        List<PooledMoments> values = new ArrayList<>();
        for (Map.Entry<String, PooledMoments> e : moments.entrySet()) {
            BatchNorm bn = byName.get(e.getKey());
            if (bn == null) {
                throw new IllegalArgumentException("setRunningStatistics: '" + e.getKey() + "' is not a BatchNorm layer "
                        + "of " + model.typeName() + " with running statistics that is not frozen; those are "
                        + byName.keySet());
            }
            if (e.getValue().channels() != bn.numFeatures() || e.getValue().count() < 2) {
                throw new IllegalArgumentException("setRunningStatistics: " + label(bn, names) + " got moments of "
                        + e.getValue().channels() + " channels over " + e.getValue().count()
                        + " values each, expected " + bn.numFeatures() + " channels over at least 2 values");
            }
            layers.add(bn);
            values.add(e.getValue());
        }
        write(layers, values);
    }

    private static boolean recalibrated(Module m) {
        return m instanceof BatchNorm && ((BatchNorm) m).trackRunningStats() && !((BatchNorm) m).isFrozen();
    }

    private static void write(List<BatchNorm> layers, List<PooledMoments> moments) {
        try (Tape.NoGrad off = Tape.noGrad()) {
            for (int i = 0; i < layers.size(); i++) {
                BatchNorm bn = layers.get(i);
                // A mean-only or scale-only layer keeps one of the two.
                if (bn.runningMean() != null) {
                    bn.runningMean().copyFrom(Tensor.of(moments.get(i).mean(), bn.numFeatures()));
                }
                if (bn.runningVar() != null) {
                    bn.runningVar().copyFrom(Tensor.of(moments.get(i).unbiasedVariance(), bn.numFeatures()));
                }
            }
        }
    }

    /** The layers a census covers, their moments in the same order, and the batches it used. */
    private record Census(List<BatchNorm> layers, List<PooledMoments> moments, int batches) {
    }

    /** The pass of {@link #recalibrate}: runs the model over the batches, pooling each layer's inputs. */
    private static Census census(String op, Module model, Iterable<Tensor> inputs, int maxBatches) {
        Objects.requireNonNull(model, op + ": model is null");
        Objects.requireNonNull(inputs, op + ": inputs is null");
        if (maxBatches < 1) {
            throw new IllegalArgumentException(op + ": maxBatches must be positive, got " + maxBatches);
        }
        List<BatchNorm> layers = new ArrayList<>();
        for (Module m : model.modules()) {
            if (recalibrated(m)) {
                layers.add((BatchNorm) m);
            }
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException(op + ": " + model.typeName()
                    + " has no BatchNorm layer with running statistics that is not frozen");
        }
        List<Module> all = model.modules();
        boolean[] modes = new boolean[all.size()];
        for (int i = 0; i < modes.length; i++) {
            modes[i] = all.get(i).isTraining();
        }
        int batches = 0;
        List<PooledMoments> moments = new ArrayList<>();
        try (Tape.NoGrad off = Tape.noGrad()) {
            for (BatchNorm bn : layers) {
                bn.census = new PooledMoments(bn.numFeatures());
                moments.add(bn.census);
            }
            model.train();
            Iterator<Tensor> it = inputs.iterator();
            while (batches < maxBatches && it.hasNext()) {
                model.forward(Objects.requireNonNull(it.next(), op + ": batch " + batches + " is null"));
                batches++;
            }
            if (batches == 0) {
                throw new IllegalArgumentException(op + ": the inputs gave no batch");
            }
            Map<Module, String> names = names(model);
            for (BatchNorm bn : layers) {
                if (bn.census.count() == 0) {
                    throw new IllegalArgumentException(op + ": " + label(bn, names)
                            + " saw no input in " + batches + " batches (is it used by forward?)");
                }
            }
        } finally {
            for (BatchNorm bn : layers) {
                bn.census = null;
            }
            for (int i = 0; i < modes.length; i++) {
                all.get(i).setTrainingFlag(modes[i]);
            }
        }
        return new Census(layers, moments, batches);
    }

    /**
     * Freezes every batch-norm layer of {@code model} ({@link BatchNorm#setFrozen}): for
     * fine-tuning, the statistics and the affine parameters stay fixed through {@code train()}.
     * Every layer is checked before any is frozen.
     *
     * @return the number of layers frozen
     * @throws IllegalArgumentException if the model has no batch-norm layer, or one has no running
     *     statistics (the message names it)
     * @throws NullPointerException if {@code model} is null
     */
    public static int freeze(Module model) {
        Objects.requireNonNull(model, "freeze: model is null");
        List<BatchNorm> layers = new ArrayList<>();
        for (Module m : model.modules()) {
            if (m instanceof BatchNorm) {
                BatchNorm bn = (BatchNorm) m;
                if (!bn.trackRunningStats()) {
                    throw new IllegalArgumentException("freeze: " + label(bn, names(model))
                            + " has no running statistics (track_running_stats=False) to keep fixed");
                }
                layers.add(bn);
            }
        }
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("freeze: " + model.typeName() + " has no BatchNorm layer");
        }
        for (BatchNorm bn : layers) {
            bn.setFrozen(true);
        }
        return layers.size();
    }

    /**
     * An evaluation-only copy of {@code model} in which every batch norm that directly follows a
     * {@link Conv2d} ({@link BatchNorm2d}) or a {@link Linear} ({@link BatchNorm1d}) in the same
     * {@link Sequential} is folded into that layer's weight and bias: with
     * {@code s = gamma / sqrt(running_var + eps)} per output channel, {@code W' = W * s} (each
     * output channel's row or filter) and {@code b' = (b - running_mean) * s + beta}, in double.
     * A {@link BatchNorm.Variant#MEAN_ONLY} layer folds with {@code s = 1} ({@code W' = W},
     * {@code b' = b - running_mean + beta}), a {@link BatchNorm.Variant#SCALE_ONLY} one with
     * {@code running_mean = 0} and {@code beta = 0}.
     * In evaluation mode the copy computes what the original computes, up to float rounding, with
     * one layer less per batch norm.
     *
     * <p>The copy is a new {@link Sequential} (nested ones stay nested) without the batch-norm
     * layers, so its children are renumbered: BN-LeNet's {@code 0.weight}, {@code 4.weight},
     * {@code 9.weight}, {@code 12.weight}, {@code 15.weight} become {@code 0.weight},
     * {@code 3.weight}, {@code 7.weight}, {@code 9.weight}, {@code 11.weight}, the keys of the same
     * PyTorch {@code nn.Sequential} written without its batch norms. A layer a batch norm was folded
     * into always has a bias, so in PyTorch it must be declared with {@code bias=True}. The copy is
     * in evaluation mode and its parameters do not require gradients; training it is not what it
     * is for (its batch norms are gone). The original is not modified. Folding uses the running
     * statistics whatever the original's mode, frozen or not. Another module than Sequential,
     * Conv2d, Linear, BatchNorm1d/2d, MaxPool2d, AvgPool2d, Sigmoid, ReLU, Flatten and Dropout cannot
     * be copied and is an error. A Linear folded with a BatchNorm1d must get 2-D input {@code [N, in]}
     * (on {@code [N, L, in]} BatchNorm1d would normalise another dimension).
     *
     * @return the folded copy, in evaluation mode
     * @throws IllegalArgumentException if the model has no batch norm, a batch norm follows no
     *     Conv2d (BatchNorm2d) or Linear (BatchNorm1d), has another channel count than that layer's
     *     outputs, or has no running statistics, or a module cannot be copied; the message names it
     * @throws NullPointerException if {@code model} is null
     */
    public static Sequential fold(Sequential model) {
        Objects.requireNonNull(model, "fold: model is null");
        if (model.modules().stream().noneMatch(m -> m instanceof BatchNorm)) {
            throw new IllegalArgumentException("fold: " + model.typeName() + " has no BatchNorm layer to fold");
        }
        Sequential folded = Folding.copy(model, "");
        folded.eval();
        for (Tensor p : folded.parameters()) {
            p.requiresGrad(false);
        }
        return folded;
    }

    /** Each descendant's state-dict prefix ({@code 1}, {@code block.bn1}), the first if shared. */
    private static Map<Module, String> names(Module model) {
        Map<Module, String> out = new IdentityHashMap<>();
        addNames(model, "", out);
        return out;
    }

    private static void addNames(Module m, String name, Map<Module, String> out) {
        if (out.putIfAbsent(m, name) == null) {
            m.namedChildren().forEach((k, c) -> addNames(c, name.isEmpty() ? k : name + "." + k, out));
        }
    }

    private static String label(BatchNorm bn, Map<Module, String> names) {
        String name = names.get(bn);
        return bn.typeName() + "(" + bn.numFeatures() + ")" + (name == null || name.isEmpty() ? "" : " '" + name + "'");
    }
}
