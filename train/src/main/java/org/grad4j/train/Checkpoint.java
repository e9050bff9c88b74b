package org.grad4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.grad4j.layers.Module;
import org.grad4j.layers.StateDicts;

/**
 * A training checkpoint in one safetensors file: the model's state dict under PyTorch's names
 * ({@code conv1.weight}, {@code 1.running_mean}, {@code 1.num_batches_tracked} as I64), so that
 * PyTorch's {@code safetensors.torch.load_file} reads the weights directly; the optimizer's state
 * under {@code optimizer.} ({@code optimizer.momentum_buffer.0}, ...); and in the metadata
 * {@code format=pt} (the safetensors convention for PyTorch state dicts), {@code grad4j.checkpoint=1},
 * the number of finished epochs, the seed, the learning rate and the metrics history (JSON lines).
 *
 * <p>The file is written to a temporary file and renamed, so a crash never leaves a half-written
 * checkpoint in place of the previous one. A symbolic link is written through to its target; a
 * directory, device or FIFO at the path is refused, and a missing directory is not created (see
 * {@link org.grad4j.core.io.AtomicFiles}).
 */
public final class Checkpoint {
    /** The metadata key whose presence marks a grad4j checkpoint; its value is the {@link #VERSION}. */
    public static final String KEY = "grad4j.checkpoint";
    /** The checkpoint layout version this class writes and reads. */
    public static final String VERSION = "1";
    private static final String OPTIMIZER = "optimizer.";

    private final Path file;
    private final SafeTensors content;
    private final long seed;
    private final List<EpochMetrics> history;

    private Checkpoint(Path file, SafeTensors content, long seed, List<EpochMetrics> history) {
        this.file = file;
        this.content = content;
        this.seed = seed;
        this.history = history;
    }

    /**
     * Writes a checkpoint of {@code net} and {@code optimizer} after {@code history.size()} epochs.
     *
     * @throws IOException if the file cannot be written, is not a regular file or its directory is
     *     missing; an existing checkpoint is then left as it was
     */
    public static void save(Path file, Module net, Optimizer optimizer, long seed, List<EpochMetrics> history)
            throws IOException {
        SafeTensors st = StateDicts.toSafeTensors(net);
        for (Map.Entry<String, Tensor> e : optimizer.stateDict().entrySet()) {
            st.put(OPTIMIZER + e.getKey(), e.getValue());
        }
        List<String> lines = new ArrayList<>();
        for (EpochMetrics m : history) {
            lines.add(m.toJson());
        }
        st.putMetadata(KEY, VERSION)
                .putMetadata("epoch", Integer.toString(history.size()))
                .putMetadata("seed", Long.toString(seed))
                .putMetadata("learning_rate", Double.toString(optimizer.learningRate()))
                .putMetadata("optimizer", optimizer.toString())
                .putMetadata("history", String.join("\n", lines));
        st.write(file);
    }

    /**
     * Reads a checkpoint.
     *
     * @throws IOException if the file cannot be read or is not a valid safetensors file
     * @throws IllegalArgumentException naming the file if it is not a grad4j checkpoint or its
     *     metadata is inconsistent
     */
    public static Checkpoint read(Path file) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        Map<String, String> meta = st.metadata();
        String name = String.valueOf(file.getFileName());
        if (!meta.containsKey(KEY)) {
            throw new IllegalArgumentException(name + ": not a grad4j checkpoint (no metadata '" + KEY + "')");
        }
        if (!VERSION.equals(meta.get(KEY))) {
            throw new IllegalArgumentException(name + ": checkpoint version: actual " + meta.get(KEY)
                    + " != expected " + VERSION);
        }
        long seed;
        int epoch;
        try {
            seed = Long.parseLong(require(meta, "seed", name));
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
        return new Checkpoint(file, st, seed, List.copyOf(history));
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

    /** The seed of the run that wrote it. */
    public long seed() {
        return seed;
    }

    /** The metrics of the finished epochs. */
    public List<EpochMetrics> history() {
        return history;
    }

    /**
     * Loads the model and optimizer state into {@code net} and {@code optimizer} (strictly: every key
     * must match).
     *
     * @throws IllegalArgumentException naming the file and every mismatched key
     */
    public void restore(Module net, Optimizer optimizer) {
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
            throw new IllegalArgumentException(file.getFileName() + ": " + e.getMessage(), e);
        }
    }
}
