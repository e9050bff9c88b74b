package org.grad4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.io.AtomicFiles;

/**
 * Writes the metrics of every finished epoch as JSON lines, one object per epoch (see
 * {@link EpochMetrics#toJson()}). The file is rewritten atomically after each epoch (written to a
 * temporary file, then renamed over the old one), so a crash at any moment leaves the epochs that
 * finished, complete, and never a half-written line.
 *
 * <p>The file's directory must exist; it is not created, because a typo in a path should fail at
 * once rather than create a tree of directories nobody looks in. The path is checked when training
 * starts ({@link #onTrainingStart}), before the first step, so a bad path costs no epoch. A symbolic
 * link is written through to its target; a directory, device or FIFO is refused (see
 * {@link AtomicFiles}).
 */
public final class MetricsFile implements TrainingListener {
    private final Path file;

    /** Metrics go to {@code file}, in a directory that exists. */
    public MetricsFile(Path file) {
        this.file = file;
    }

    /** The file written. */
    public Path file() {
        return file;
    }

    /**
     * Checks that the file can be written (see {@link AtomicFiles#prepare}), before the first step.
     *
     * @throws UncheckedIOException naming the file and what is wrong with it
     */
    @Override
    public void onTrainingStart(int firstEpoch, int lastEpoch, int batchesPerEpoch) {
        OutputFiles.prepare("metrics", file);
    }

    @Override
    public void onEpochEnd(EpochMetrics metrics, List<EpochMetrics> history) {
        List<String> lines = new ArrayList<>();
        for (EpochMetrics m : history) {
            lines.add(m.toJson());
        }
        try {
            AtomicFiles.write(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw OutputFiles.cannotWrite("metrics", file, e);
        }
    }

    /**
     * Reads a metrics file written by this class.
     *
     * @throws IOException if it cannot be read
     * @throws IllegalArgumentException naming the line if a line is not a metrics object
     */
    public static List<EpochMetrics> read(Path file) throws IOException {
        List<EpochMetrics> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                try {
                    out.add(EpochMetrics.fromJson(lines.get(i)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(file.getFileName() + ": line " + (i + 1) + ": " + e.getMessage(), e);
                }
            }
        }
        return out;
    }
}
