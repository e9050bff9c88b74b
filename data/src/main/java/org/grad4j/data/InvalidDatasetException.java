package org.grad4j.data;

import java.io.IOException;

/**
 * Well-formed IDX files whose content is not the dataset they should hold: a SHA-256 that differs
 * from the published one, image and label counts that disagree, a label outside the classes, or
 * images of the wrong size.
 *
 * <p>The message names the file, what was found and what was expected, for example
 * {@code t10k-labels-idx1-ubyte.gz: label at index 17: actual 12, expected 0 to 9}.
 */
public final class InvalidDatasetException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the file name, what was found and what was expected
     */
    public InvalidDatasetException(String message) {
        super(message);
    }
}
