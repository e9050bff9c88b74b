package org.grad4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.grad4j.core.Shape;
import org.grad4j.core.Tensor;
import org.grad4j.core.internal.Json;
import org.grad4j.core.io.DType;
import org.grad4j.core.io.SafeTensors;
import org.grad4j.layers.Module;
import org.grad4j.layers.StateDicts;

/**
 * A training checkpoint in one safetensors file: the model's state dict under PyTorch's names
 * ({@code conv1.weight}, {@code 1.running_mean}, {@code 1.num_batches_tracked} as I64), so that
 * PyTorch's {@code safetensors.torch.load_file} reads the weights directly; the optimizer's state
 * under {@code optimizer.} ({@code optimizer.momentum_buffer.0}, ...); and in the metadata
 * {@code format=pt} (the safetensors convention for PyTorch state dicts), {@code grad4j.checkpoint=2},
 * the number of finished epochs, the metrics history (JSON lines), the run's configuration, one
 * entry {@code config.<key>} per key ({@code config.seed}, {@code config.lr}, ...; see
 * {@link Trainer#withConfig}), and {@code frozen}: the state-dict names of the parameters that do
 * not require a gradient, as a JSON array ({@code ["1.weight", "1.bias"]}), which
 * {@link #restore} freezes again.
 *
 * <p>Reading validates the values before anything is restored: every floating-point tensor is
 * finite, every {@code running_var} is {@code >= 0} and every {@code num_batches_tracked} is
 * {@code >= 0}; the message names the tensor, the index and the value. Version 1 checkpoints
 * (written before the configuration was recorded) are still read; of their configuration only the
 * seed is known, so a resumed run is checked against the seed alone.
 *
 * <p>The file is written to a temporary file and renamed, so a crash never leaves a half-written
 * checkpoint in place of the previous one. A symbolic link is written through to its target; a
 * directory, device or FIFO at the path is refused, and a missing directory is not created (see
 * {@link org.grad4j.core.io.AtomicFiles}).
 */
public final class Checkpoint {
    /** The metadata key whose presence marks a grad4j checkpoint; its value is the {@link #VERSION}. */
    public static final String KEY = "grad4j.checkpoint";
    /** The checkpoint layout version this class writes; it reads this one and version 1. */
    public static final String VERSION = "2";
    /** The version before the run configuration was recorded: its only configuration is the seed. */
    private static final String VERSION_1 = "1";
    private static final String OPTIMIZER = "optimizer.";
    private static final String CONFIG = "config.";
    private static final String FROZEN = "frozen";

    /** The file name, for messages. */
    private final String name;
    private final SafeTensors content;
    private final boolean recordsConfig;
    private final Map<String, String> config;
    private final List<EpochMetrics> history;
    /** The frozen parameters' names, or null for a checkpoint written before they were recorded. */
    private final Set<String> frozen;

    private Checkpoint(String name, SafeTensors content, boolean recordsConfig, Map<String, String> config,
            List<EpochMetrics> history, Set<String> frozen) {
        this.name = name;
        this.content = content;
        this.recordsConfig = recordsConfig;
        this.config = config;
        this.history = history;
        this.frozen = frozen;
    }

    /**
     * Writes a checkpoint of {@code net} and {@code optimizer} after {@code history.size()} epochs,
     * with the run configuration {@code config} (keys and values as {@link Trainer#withConfig}
     * takes them; the {@link Trainer} passes its own and the application's) and the names of
     * {@code net}'s frozen parameters ({@code requiresGrad(false)}).
     *
     * @throws IOException if the file cannot be written, is not a regular file or its directory is
     *     missing; an existing checkpoint is then left as it was
     * @throws IllegalArgumentException if a configuration key is empty
     */
    public static void save(Path file, Module net, Optimizer optimizer, Map<String, String> config,
            List<EpochMetrics> history) throws IOException {
        SafeTensors st = StateDicts.toSafeTensors(net);
        for (Map.Entry<String, Tensor> e : optimizer.stateDict().entrySet()) {
            st.put(OPTIMIZER + e.getKey(), e.getValue());
        }
        List<String> lines = new ArrayList<>();
        for (EpochMetrics m : history) {
            lines.add(m.toJson());
        }
        StringBuilder frozen = new StringBuilder("[");
        for (Map.Entry<String, Tensor> e : net.namedParameters().entrySet()) {
            if (!e.getValue().requiresGrad()) {
                Json.appendString(frozen.append(frozen.length() > 1 ? ", " : ""), e.getKey());
            }
        }
        st.putMetadata(KEY, VERSION)
                .putMetadata("epoch", Integer.toString(history.size()))
                .putMetadata("history", String.join("\n", lines))
                .putMetadata(FROZEN, frozen.append(']').toString());
        for (Map.Entry<String, String> e : config.entrySet()) {
            if (e.getKey().isEmpty()) {
                throw new IllegalArgumentException("checkpoint: a configuration key is empty");
            }
            st.putMetadata(CONFIG + e.getKey(), e.getValue());
        }
        st.write(file);
    }

    /**
     * Reads a checkpoint and validates its values.
     *
     * @throws IOException if the file cannot be read or is not a valid safetensors file
     * @throws IllegalArgumentException naming the file if it is not a grad4j checkpoint of version
     *     1 or 2, if its metadata is inconsistent ({@code frozen} not a JSON array of names
     *     included), or if a value is invalid (naming the tensor, the index and the value): a NaN or
     *     infinity, a negative {@code running_var} or {@code num_batches_tracked}
     */
    public static Checkpoint read(Path file) throws IOException {
        return of(SafeTensors.read(file), String.valueOf(file.getFileName()));
    }

    /** The checkpoint in {@code st}, read from the file {@code name}: {@link #read} after the file is read. */
    static Checkpoint of(SafeTensors st, String name) {
        Map<String, String> meta = st.metadata();
        if (!meta.containsKey(KEY)) {
            throw new IllegalArgumentException(name + ": not a grad4j checkpoint (no metadata '" + KEY + "')");
        }
        String version = meta.get(KEY);
        if (!VERSION.equals(version) && !VERSION_1.equals(version)) {
            throw new IllegalArgumentException(name + ": checkpoint version: actual " + version
                    + " != expected " + VERSION + " (or " + VERSION_1 + ")");
        }
        boolean recordsConfig = VERSION.equals(version);
        Map<String, String> config = new LinkedHashMap<>();
        int epoch;
        try {
            if (recordsConfig) {
                for (Map.Entry<String, String> e : meta.entrySet()) {
                    if (e.getKey().startsWith(CONFIG)) {
                        config.put(e.getKey().substring(CONFIG.length()), e.getValue());
                    }
                }
            } else {
                config.put("seed", Long.toString(Long.parseLong(require(meta, "seed", name))));
            }
            epoch = Integer.parseInt(require(meta, "epoch", name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": bad number in metadata: " + e.getMessage(), e);
        }
        List<EpochMetrics> history = new ArrayList<>();
        String text = require(meta, "history", name);
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                try {
                    history.add(EpochMetrics.fromJson(line));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(name + ": history: " + e.getMessage(), e);
                }
            }
        }
        if (history.size() != epoch) {
            throw new IllegalArgumentException(name + ": history holds " + history.size() + " epochs, expected " + epoch);
        }
        for (String tensor : st.names()) {
            checkValues(name, st, tensor);
        }
        Set<String> frozen = meta.containsKey(FROZEN) ? frozenNames(meta.get(FROZEN), name) : null;
        return new Checkpoint(name, st, recordsConfig, Collections.unmodifiableMap(config), List.copyOf(history),
                frozen);
    }

    /** The names in the {@code frozen} metadata of the file {@code name}: a JSON array of distinct strings. */
    private static Set<String> frozenNames(String text, String name) {
        String expected = ", expected a JSON array of distinct parameter names such as [\"1.weight\", \"1.bias\"]";
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.SyntaxException e) {
            throw new IllegalArgumentException(name + ": metadata 'frozen': " + e.getMessage() + expected, e);
        }
        if (!(parsed instanceof List<?> list)) {
            throw new IllegalArgumentException(name + ": metadata 'frozen' is " + Json.typeName(parsed) + expected);
        }
        Set<String> names = new LinkedHashSet<>();
        for (Object o : list) {
            String problem = !(o instanceof String s) ? Json.typeName(o) : names.add(s) ? null : Json.quote(s) + " twice";
            if (problem != null) {
                throw new IllegalArgumentException(name + ": metadata 'frozen' holds " + problem + expected);
            }
        }
        return Collections.unmodifiableSet(names);
    }

    /**
     * Rejects values that no training run produces and that would poison a resumed one: NaN and
     * infinities anywhere, negative variances and batch counts.
     */
    private static void checkValues(String file, SafeTensors st, String tensor) {
        String at = file + ": tensor '" + tensor + "' holds ";
        Shape shape = st.shape(tensor);
        if (st.dtype(tensor) == DType.I64) {
            long[] values = st.longs(tensor);
            if (isStat(tensor, "num_batches_tracked")) {
                for (int i = 0; i < values.length; i++) {
                    if (values[i] < 0) {
                        throw new IllegalArgumentException(at + values[i] + coordinates(shape, i)
                                + ", expected a batch count >= 0");
                    }
                }
            }
            return;
        }
        Tensor t = st.tensor(tensor);
        int bad = t.indexOfNonFinite();
        float[] values = t.toArray();
        if (bad >= 0) {
            throw new IllegalArgumentException(at + values[bad] + coordinates(shape, bad) + ", expected finite values");
        }
        if (isStat(tensor, "running_var")) {
            for (int i = 0; i < values.length; i++) {
                if (values[i] < 0) {
                    throw new IllegalArgumentException(at + values[i] + coordinates(shape, i)
                            + ", expected a variance >= 0");
                }
            }
        }
    }

    private static boolean isStat(String tensor, String stat) {
        return tensor.equals(stat) || tensor.endsWith("." + stat);
    }

    /** {@code " at [i, j, ...]"} for row-major position {@code flat} of {@code shape}; nothing for a scalar. */
    static String coordinates(Shape shape, int flat) {
        int[] strides = shape.strides();
        if (strides.length == 0) {
            return "";
        }
        StringBuilder sb = new StringBuilder(" at [");
        for (int d = 0; d < strides.length; d++) {
            sb.append(d > 0 ? ", " : "").append(flat / strides[d] % shape.dim(d));
        }
        return sb.append(']').toString();
    }

    private static String require(Map<String, String> meta, String key, String name) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException(name + ": metadata '" + key + "' is missing");
        }
        return v;
    }

    /** The number of finished epochs. */
    public int epoch() {
        return history.size();
    }

    /**
     * The run configuration recorded by the run that wrote it, in the order it was written (see
     * {@link Trainer#withConfig}); for a version 1 checkpoint only {@code seed}. Unmodifiable.
     */
    public Map<String, String> config() {
        return config;
    }

    /**
     * Compares the recorded configuration with {@code run}'s and names every difference in one
     * message. A version 1 checkpoint is compared on its seed only.
     *
     * @throws IllegalArgumentException naming the file and, for every key whose value differs or
     *     that only one side records, both values
     */
    void checkConfig(Map<String, String> run) {
        Set<String> keys = new LinkedHashSet<>(config.keySet());
        if (recordsConfig) {
            keys.addAll(run.keySet());
        }
        List<String> differences = new ArrayList<>();
        for (String key : keys) {
            String was = config.get(key);
            String is = run.get(key);
            if (!Objects.equals(was, is)) {
                differences.add((was == null ? "without " + key : "with " + key + "=" + was) + ", this run has "
                        + (is == null ? "no " + key : key + "=" + is));
            }
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("resume: checkpoint " + name + " was written "
                    + String.join("; ", differences) + "; the run would not continue exactly");
        }
    }

    /** The metrics of the finished epochs. */
    public List<EpochMetrics> history() {
        return history;
    }

    /**
     * Loads the model and optimizer state into {@code net} and {@code optimizer} (strictly: every key
     * must match), and freezes the parameters the checkpoint records as frozen
     * ({@code requiresGrad(false)}) and unfreezes the others, so a resumed run trains what the
     * written one trained. A checkpoint written before frozen parameters were recorded leaves
     * every parameter's flag as it is. The names are checked before anything is loaded.
     *
     * @throws IllegalArgumentException naming the file and every mismatched key, or every frozen
     *     name that is not one of {@code net}'s parameters (with the names expected)
     */
    public void restore(Module net, Optimizer optimizer) {
        Map<String, Tensor> params = net.namedParameters();
        if (frozen != null) {
            List<String> unknown = new ArrayList<>();
            for (String f : frozen) {
                if (!params.containsKey(f)) {
                    unknown.add(Json.quote(f));
                }
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException(name + ": frozen parameter" + (unknown.size() == 1 ? " " : "s ")
                        + String.join(", ", unknown) + (unknown.size() == 1 ? " is not a parameter" : " are not parameters")
                        + " of the model ("
                        + net.typeName() + "), expected one of " + String.join(", ", params.keySet()));
            }
        }
        Map<String, Tensor> model = new LinkedHashMap<>();
        Map<String, Tensor> opt = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : StateDicts.toStateDict(content).entrySet()) {
            if (e.getKey().startsWith(OPTIMIZER)) {
                opt.put(e.getKey().substring(OPTIMIZER.length()), e.getValue());
            } else {
                model.put(e.getKey(), e.getValue());
            }
        }
        try {
            net.loadStateDict(model, true);
            optimizer.loadStateDict(opt);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
        if (frozen != null) {
            params.forEach((key, p) -> p.requiresGrad(!frozen.contains(key)));
        }
    }
}
