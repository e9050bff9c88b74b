package org.grad4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.opentest4j.AssertionFailedError;

/** PyTorch's golden values (test resources {@code golden/*.safetensors}) and comparisons. */
final class Golden {
    /** The golden README's tolerances for single ops. */
    static final double OP_ATOL = 1e-5;
    static final double OP_RTOL = 1e-4;

    private Golden() {
    }

    static SafeTensors load(String name) {
        URL url = Golden.class.getResource("/golden/" + name + ".safetensors");
        assertNotNull(url, "missing test resource golden/" + name + ".safetensors");
        try {
            return SafeTensors.read(Path.of(url.toURI()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh leaf copy that requires a gradient. */
    static Tensor leaf(Tensor t) {
        return t.copy().requiresGrad(true);
    }

    /** {@code |actual - expected| <= atol + rtol * |expected|} element-wise, with a message naming the worst index. */
    static void assertClose(String what, Tensor expected, Tensor actual, double atol, double rtol) {
        assertNotNull(actual, what + ": no value");
        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), what + ": shape");
        float[] e = expected.toArray();
        float[] a = actual.toArray();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.length; i++) {
            double diff = Math.abs((double) a[i] - e[i]);
            double excess = diff - (atol + rtol * Math.abs(e[i]));
            if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            throw new AssertionFailedError(what + ": index " + worst + " expected " + e[worst] + " but was " + a[worst]
                    + " (atol " + atol + ", rtol " + rtol + ")");
        }
    }

    static void assertClose(String what, Tensor expected, Tensor actual) {
        assertClose(what, expected, actual, OP_ATOL, OP_RTOL);
    }
}
