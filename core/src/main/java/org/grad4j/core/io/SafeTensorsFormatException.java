package org.grad4j.core.io;

import java.io.IOException;

/**
 * A file that is not a valid safetensors file, or uses what grad4j does not support. The message
 * names the file, what was found and what was expected, e.g.
 * {@code x.safetensors: tensor 'w': data_offsets [0, 20] hold 20 bytes, expected 24 for F32 [2, 3]}.
 */
public class SafeTensorsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with the given message.
     *
     * @param message the full message, starting with the file name
     */
    public SafeTensorsFormatException(String message) {
        super(message);
    }
}
