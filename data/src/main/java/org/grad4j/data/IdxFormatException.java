package org.grad4j.data;

import java.io.IOException;

/**
 * A file that is not a well-formed IDX file of unsigned bytes, or whose gzip layer is broken.
 *
 * <p>The message names the file, what was found and what was expected, for example
 * {@code train-images-idx3-ubyte.gz: magic: actual 0x00000801 != expected 0x00000803}.
 */
public final class IdxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the file name, what was found and what was expected
     */
    public IdxFormatException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the lower-level failure that revealed the problem.
     *
     * @param message the file name, what was found and what was expected
     * @param cause the failure reported by the decompressor, kept for the stack trace
     */
    public IdxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
