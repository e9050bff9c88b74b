package org.grad4j.data;

import java.io.IOException;

/**
 * The dataset's files are in none of the places searched and could not be downloaded.
 *
 * <p>The message lists every place searched, why the download failed (when it was tried) and the
 * ways to get the data; the download failure, if any, is the {@linkplain #getCause() cause}.
 */
public final class DataNotFoundException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the places searched and how to get the data
     * @param cause why the download failed, or {@code null} when no download was tried
     */
    public DataNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
