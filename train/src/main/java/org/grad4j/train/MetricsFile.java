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
 */
public final class MetricsFile implements TrainingListener {
    private final Path file;

    /** Metrics go to {@code file}; its directory is created if needed. */
    public MetricsFile(Path file) {
        this.file = file;
    }

    /** The file written. */
    public Path file() {
        return file;
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
            throw new UncheckedIOException("metrics: cannot write " + file + ": " + e.getMessage(), e);
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
