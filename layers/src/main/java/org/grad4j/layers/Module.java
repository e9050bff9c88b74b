package org.grad4j.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * A layer or a network of layers, with PyTorch's {@code nn.Module} semantics: named parameters,
 * buffers and children, a training flag, a state dict with PyTorch's key names, and a
 * {@link #toString()} that prints like PyTorch's {@code print(net)}.
 *
 * <p>Java has no {@code __setattr__}, so a subclass registers what it owns in its constructor, in
 * the order PyTorch would, and keeps the returned reference in a field:
 *
 * <pre>{@code
 * final class TwoLayer extends Module {
 *     private final Linear fc1 = child("fc1", new Linear(784, 256));
 *     private final Linear fc2 = child("fc2", new Linear(256, 10));
 *
 *     public Tensor forward(Tensor x) {
 *         return fc2.forward(fc1.forward(x).relu());
 *     }
 * }
 * }</pre>
 *
 * <ul>
 *   <li>A <b>parameter</b> is a leaf tensor that requires a gradient: what the optimizer updates.
 *   <li>A <b>buffer</b> is state that is saved and loaded but not trained (BatchNorm's running
 *       statistics). An <i>integer</i> buffer ({@link #integerBuffer}) holds whole numbers in a
 *       float32 tensor; {@link StateDicts} saves it as I64, as PyTorch stores it.
 *   <li>A <b>child</b> is a sub-module; its entries appear under {@code name.}.
 * </ul>
 *
 * <p>Training mode ({@link #train()}, {@link #eval()}) and grad mode ({@link Tape#noGrad()}) are
 * independent switches, as in PyTorch: the first decides what a layer computes (batch or running
 * statistics, dropout on or off), the second whether ops are recorded for backward.
 *
 * <p>Parameters and buffers are created by the constructor and never replaced: {@link
 * #loadStateDict} and the {@link Init} methods write into them in place, so references held in
 * fields and by optimizers stay valid.
 *
 * <p><b>Threads.</b> Inference may share a model: several threads may call {@link #forward} on one
 * model at the same time when it is in eval mode and each thread runs under {@link Tape#noGrad()};
 * nothing is then written, and every thread gets the results a single thread gets, bit for bit
 * (grad4j's layers and ops keep no per-call state in the module). Everything else is for one thread
 * at a time: a forward pass in training mode updates BatchNorm's running statistics, backward adds
 * into the parameters' shared gradients, and an optimizer updates the parameters in place. Two
 * threads training one model therefore fail in backward with a message that the model is being
 * trained by another thread (each thread's tape sees the other's update); give each thread its own
 * model, and change a shared model's mode or parameters only while no thread uses it.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Set<String> integerBuffers = new LinkedHashSet<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** A module in training mode, with nothing registered. */
    protected Module() {
    }

    // ---------------------------------------------------------------- registration

    /**
     * Registers {@code init} as the parameter {@code name}, marks it as requiring a gradient and
     * returns it (the same object).
     *
     * @throws IllegalArgumentException if the name is empty, contains a dot or is already used by
     *     a parameter, buffer or child of this module, or if {@code init} is not a leaf
     * @throws NullPointerException if an argument is null
     */
    protected final Tensor parameter(String name, Tensor init) {
        checkNew("parameter", name, init);
        if (!init.isLeaf()) {
            throw new IllegalArgumentException(typeName() + ": parameter '" + name
                    + "' must be a leaf tensor, not the result of a recorded op (use detach())");
        }
        init.requiresGrad(true);
        parameters.put(name, init);
        return init;
    }

    /**
     * Registers {@code init} as the buffer {@code name} (saved in the state dict, not trained) and
     * returns it.
     *
     * @throws IllegalArgumentException as {@link #parameter}
     * @throws NullPointerException if an argument is null
     */
    protected final Tensor buffer(String name, Tensor init) {
        checkNew("buffer", name, init);
        if (!init.isLeaf()) {
            throw new IllegalArgumentException(typeName() + ": buffer '" + name
                    + "' must be a leaf tensor, not the result of a recorded op (use detach())");
        }
        buffers.put(name, init);
        return init;
    }

    /**
     * Registers a buffer that holds whole numbers (a counter such as BatchNorm's
     * {@code num_batches_tracked}, an {@code int64} in PyTorch). grad4j tensors are float32, so the
     * value lives in a float32 tensor, exact up to 2^24; {@link StateDicts} writes it as I64 and
     * reads I64 back.
     *
     * @throws IllegalArgumentException as {@link #parameter}
     * @throws NullPointerException if an argument is null
     */
    protected final Tensor integerBuffer(String name, Tensor init) {
        Tensor t = buffer(name, init);
        integerBuffers.add(name);
        return t;
    }

    /**
     * Registers {@code module} as the child {@code name} and returns it.
     *
     * @throws IllegalArgumentException if the name is invalid or used (see {@link #parameter}), or if
     *     registering the module would make a cycle (it is this module or contains it)
     * @throws NullPointerException if an argument is null
     */
    protected final <M extends Module> M child(String name, M module) {
        checkNew("child", name, module);
        for (Module m : module.modules()) {
            if (m == this) {
                throw new IllegalArgumentException(typeName() + ": child '" + name
                        + "' is this module or contains it");
            }
        }
        children.put(name, module);
        return module;
    }

    private void checkNew(String what, String name, Object value) {
        Objects.requireNonNull(name, what + " name");
        Objects.requireNonNull(value, () -> typeName() + ": " + what + " '" + name + "' is null");
        if (name.isEmpty() || name.indexOf('.') >= 0) {
            throw new IllegalArgumentException(typeName() + ": " + what + " name '" + name
                    + "' must be non-empty and contain no '.'");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(typeName() + ": '" + name + "' is already registered");
        }
    }

    // ---------------------------------------------------------------- computing

    /**
     * Computes the output for {@code x}. Records on the active {@link Tape} like any op.
     *
     * @throws IllegalArgumentException if {@code x} has a shape the module cannot take; the message
     *     names the module, the input shape and what was expected
     */
    public abstract Tensor forward(Tensor x);

    /**
     * Why this module by itself (not counting its children) cannot train on a batch of
     * {@code batchSize} examples, or empty if it can: nothing here. {@link BatchNorm1d} needs at
     * least 2 (a batch of one gives it one value per channel), a ghost batch norm
     * ({@link BatchNorm#setVirtualBatchSize}) a multiple of its virtual batch size; a frozen batch
     * norm takes any batch. A trainer asks every module about every batch size its loader will
     * produce, so that a batch the model cannot train on is refused before any work rather than
     * when it arrives, after most of an epoch.
     *
     * @param batchSize the number of examples in a training batch, at least 1
     * @return the problem as a phrase that follows the module's name in a message, e.g.
     *     {@code "needs at least 2 examples per training batch"}, or empty
     */
    public Optional<String> trainingBatchProblem(int batchSize) {
        return Optional.empty();
    }

    // ---------------------------------------------------------------- walking

    /**
     * The parameters of this module and its descendants, in registration order (own parameters
     * first, then each child's), each tensor once even if shared.
     */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /**
     * The parameters by their state-dict key ({@code fc1.weight}), in the order of
     * {@link #parameters()}; a shared tensor appears under its first key only. Unmodifiable.
     */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect(true, "", out, seen);
        return Collections.unmodifiableMap(out);
    }

    /** The buffers of this module and its descendants by key, in registration order. Unmodifiable. */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect(false, "", out, seen);
        return Collections.unmodifiableMap(out);
    }

    private void collect(boolean params, String prefix, Map<String, Tensor> out, Set<Tensor> seen) {
        for (Map.Entry<String, Tensor> e : (params ? parameters : buffers).entrySet()) {
            if (seen.add(e.getValue())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Module> c : children.entrySet()) {
            c.getValue().collect(params, prefix + c.getKey() + ".", out, seen);
        }
    }

    /** The direct children by name, in registration order. Unmodifiable. */
    public final Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /** This module and all its descendants, depth first in registration order, each once. */
    public final List<Module> modules() {
        List<Module> out = new ArrayList<>();
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        addModules(out, seen);
        return out;
    }

    private void addModules(List<Module> out, Set<Module> seen) {
        if (seen.add(this)) {
            out.add(this);
            for (Module c : children.values()) {
                c.addModules(out, seen);
            }
        }
    }

    // ---------------------------------------------------------------- modes and gradients

    /**
     * Sets training mode ({@code true}) or evaluation mode on this module and all descendants;
     * returns {@code this}. Grad mode is not affected.
     */
    public Module train(boolean mode) {
        for (Module m : modules()) {
            m.training = mode;
        }
        return this;
    }

    /** {@code train(true)}: batch statistics in BatchNorm, dropout active. Returns {@code this}. */
    public Module train() {
        return train(true);
    }

    /** {@code train(false)}: running statistics in BatchNorm, dropout off. Returns {@code this}. */
    public Module eval() {
        return train(false);
    }

    /** Whether this module is in training mode (new modules are). */
    public final boolean isTraining() {
        return training;
    }

    /** Sets only this module's flag (no recursion); for restoring saved modes. */
    final void setTrainingFlag(boolean mode) {
        training = mode;
    }

    /** Sets the gradient of every parameter to zero (parameters without a gradient yet are skipped). */
    public final void zeroGrad() {
        for (Tensor p : parameters()) {
            p.zeroGrad();
        }
    }

    // ---------------------------------------------------------------- state dict

    /**
     * The parameters and buffers of this module and its descendants under PyTorch's keys: for each
     * module its parameters, then its buffers, then its children under {@code childName.} (so
     * {@code 0.weight}, {@code 1.running_mean}, {@code 1.num_batches_tracked} in a
     * {@link Sequential}, {@code conv1.weight} for a child named {@code conv1}). A tensor shared by
     * two modules appears under both keys, as in PyTorch.
     *
     * <p>The values are detached views that share storage with the module, as PyTorch's: they see
     * later training steps. Copy them ({@link Tensor#copy()}) for a
     * snapshot. The map is a fresh, modifiable {@link LinkedHashMap}.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        addState("", out);
        return out;
    }

    private void addState(String prefix, Map<String, Tensor> out) {
        parameters.forEach((k, v) -> out.put(prefix + k, v.detach()));
        buffers.forEach((k, v) -> out.put(prefix + k, v.detach()));
        children.forEach((k, c) -> c.addState(prefix + k + ".", out));
    }

    /**
     * The state-dict keys of integer buffers ({@link #integerBuffer}), such as
     * {@code 1.num_batches_tracked}: saved as I64 by {@link StateDicts}.
     */
    public final Set<String> integerStateKeys() {
        Set<String> out = new LinkedHashSet<>();
        addIntegerKeys("", out);
        return Collections.unmodifiableSet(out);
    }

    private void addIntegerKeys(String prefix, Set<String> out) {
        for (String k : integerBuffers) {
            out.add(prefix + k);
        }
        children.forEach((k, c) -> c.addIntegerKeys(prefix + k + ".", out));
    }

    /** The keys {@link #loadStateDict} found missing from, or unexpected in, a state dict. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {
        /** Copies both lists. */
        public LoadResult {
            missingKeys = List.copyOf(missingKeys);
            unexpectedKeys = List.copyOf(unexpectedKeys);
        }
    }

    /**
     * Copies the values of {@code state} into this module's parameters and buffers, in place and
     * with grad mode off (tensors recorded on an open tape then fail {@code backward} instead of
     * giving stale gradients).
     *
     * <p>Everything is checked before anything is copied: a failed load leaves the module as it
     * was (PyTorch may copy part of a state dict before it raises). With {@code strict}, missing
     * and unexpected keys are errors; without, they are returned. A shape mismatch is always an
     * error. All problems are reported in one exception, in PyTorch's words:
     *
     * <pre>
     * Error(s) in loading state_dict for Sequential:
     * 	Missing key(s) in state_dict: "1.running_mean", "1.running_var".
     * 	Unexpected key(s) in state_dict: "2.weight".
     * 	size mismatch for 0.weight: copying a param with shape [6, 1, 3, 3] from checkpoint, the shape in current model is [6, 1, 5, 5].
     * </pre>
     *
     * @param state values by key, as {@link #stateDict()} gives them; not modified
     * @return the missing and unexpected keys (both empty after a strict load)
     * @throws IllegalArgumentException listing every missing and unexpected key (when strict) and
     *     every shape mismatch
     * @throws NullPointerException if {@code state} or one of its values is null
     */
    public final LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        Objects.requireNonNull(state, "state");
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            String key = e.getKey();
            if (!state.containsKey(key)) {
                missing.add(key);
                continue;
            }
            Tensor src = Objects.requireNonNull(state.get(key), () -> "loadStateDict: the value of '" + key + "' is null");
            if (!src.shape().equals(e.getValue().shape())) {
                mismatches.add("size mismatch for " + key + ": copying a param with shape " + src.shape()
                        + " from checkpoint, the shape in current model is " + e.getValue().shape() + ".");
            }
        }
        for (String key : state.keySet()) {
            if (!own.containsKey(key)) {
                unexpected.add(key);
            }
        }
        List<String> errors = new ArrayList<>();
        if (strict && !missing.isEmpty()) {
            errors.add("Missing key(s) in state_dict: " + quoted(missing) + ".");
        }
        if (strict && !unexpected.isEmpty()) {
            errors.add("Unexpected key(s) in state_dict: " + quoted(unexpected) + ".");
        }
        errors.addAll(mismatches);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + typeName() + ":\n\t"
                    + String.join("\n\t", errors));
        }
        try (Tape.NoGrad off = Tape.noGrad()) {
            for (Map.Entry<String, Tensor> e : own.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src != null) {
                    e.getValue().copyFrom(src);
                }
            }
        }
        return new LoadResult(missing, unexpected);
    }

    private static String quoted(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : keys) {
            sb.append(sb.length() == 0 ? "" : ", ").append('"').append(k).append('"');
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- printing

    /** The class name PyTorch prints: the simple class name ({@code Conv2d}). */
    public String typeName() {
        String s = getClass().getSimpleName();
        return s.isEmpty() ? getClass().getName() : s;
    }

    /**
     * The options printed inside the parentheses, as PyTorch's {@code extra_repr()}
     * ({@code in_features=256, out_features=120, bias=True}); empty by default.
     */
    protected String extraRepr() {
        return "";
    }

    /**
     * The module as PyTorch's {@code print(net)} shows it: {@code Linear(in_features=256,
     * out_features=120, bias=True)} for a leaf, and for a container one line per child,
     * {@code (name): child}, indented by two spaces:
     *
     * <pre>
     * Sequential(
     *   (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))
     *   (1): Sigmoid()
     * )
     * </pre>
     */
    @Override
    public String toString() {
        List<String> extra = new ArrayList<>();
        String repr = extraRepr();
        if (!repr.isEmpty()) {
            extra.addAll(List.of(repr.split("\n", -1)));
        }
        List<String> lines = new ArrayList<>(extra);
        children.forEach((k, c) -> lines.add("(" + k + "): " + c.toString().replace("\n", "\n  ")));
        StringBuilder sb = new StringBuilder(typeName()).append('(');
        if (!lines.isEmpty()) {
            if (extra.size() == 1 && children.isEmpty()) {
                sb.append(extra.get(0));
            } else {
                sb.append("\n  ").append(String.join("\n  ", lines)).append('\n');
            }
        }
        return sb.append(')').toString();
    }
}
