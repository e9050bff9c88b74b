package org.grad4j.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import org.grad4j.core.io.AtomicFiles;

/** The error of every file that training writes (metrics, plots, checkpoints), in one form. */
final class OutputFiles {
    private OutputFiles() {
    }

    /** {@link AtomicFiles#prepare} for the file of {@code what} ("metrics", "plot", "checkpoint"). */
    static void prepare(String what, Path file) {
        try {
            AtomicFiles.prepare(file);
        } catch (IOException e) {
            throw cannotWrite(what, file, e);
        }
    }

    /**
     * {@code metrics: cannot write m.jsonl: <why>}, naming the file once: the file the exception
     * names if it names one, else {@code file}.
     */
    static UncheckedIOException cannotWrite(String what, Path file, IOException e) {
        boolean named = e instanceof FileSystemException && ((FileSystemException) e).getFile() != null;
        return new UncheckedIOException(what + ": cannot write " + (named ? "" : file + ": ") + e.getMessage(), e);
    }
}
