package org.grad4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.grad4j.core.Shape;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads the PyTorch golden vectors: core's own in {@code src/test/resources/golden}, and every golden
 * file of the repository (core's, layers', data's, train's). The numeric checks recompute a few values in
 * double from the inputs, which proves the bytes were decoded in the right order.
 */
class SafeTensorsGoldenTest {
    @TempDir
    Path dir;

    static Path resource(String name) {
        URL url = SafeTensorsGoldenTest.class.getResource("/golden/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource golden/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The golden directories of the repository's modules, found from the working directory (Maven
     * runs the tests in the module directory, an IDE perhaps in the repository root).
     */
    static List<Path> repositoryGolden() {
        Path p = Path.of("").toAbsolutePath();
        for (int up = 0; up < 2 && p != null; up++, p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("core/src/test/resources/golden/linear.safetensors"))) {
                Path root = p;
                return Stream.of("core", "layers", "data", "train").map(m -> root.resolve(m + "/src/test/resources/golden")).toList();
            }
        }
        throw new IllegalStateException("the repository's golden files are not found from " + Path.of("").toAbsolutePath());
    }

    /** A golden file of the repository, from the first module that has it. */
    static Path repositoryGolden(String name) {
        return repositoryGolden().stream().map(d -> d.resolve(name)).filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new IllegalStateException("no golden file " + name + " in the repository"));
    }

    private static void assertClose(double expected, float actual, String what) {
        double tol = 1e-5 + 1e-4 * Math.abs(expected);
        assertTrue(Math.abs(expected - actual) <= tol, () -> what + ": expected " + expected + ", got " + actual);
    }

    @Test
    void linearHoldsConsistentShapesAndValues() throws IOException {
        SafeTensors st = SafeTensors.read(resource("linear.safetensors"));
        assertEquals(List.of("x", "w", "b", "y", "dy", "dx", "dw", "db"), List.copyOf(st.names()));
        assertEquals(Map.of("op", "linear", "weight_layout", "[out, in]"), st.metadata());
        int n = 5;
        int in = 7;
        int out = 3;
        assertEquals(Shape.of(n, in), st.shape("x"));
        assertEquals(Shape.of(out, in), st.shape("w"));
        assertEquals(Shape.of(out), st.shape("b"));
        assertEquals(Shape.of(n, out), st.shape("y"));
        assertEquals(Shape.of(n, out), st.shape("dy"));
        assertEquals(Shape.of(n, in), st.shape("dx"));
        assertEquals(Shape.of(out, in), st.shape("dw"));
        assertEquals(Shape.of(out), st.shape("db"));
        for (String name : st.names()) {
            assertEquals(DType.F32, st.dtype(name));
        }

        float[] x = st.tensor("x").toArray();
        float[] w = st.tensor("w").toArray();
        float[] b = st.tensor("b").toArray();
        float[] y = st.tensor("y").toArray();
        float[] dy = st.tensor("dy").toArray();
        float[] dx = st.tensor("dx").toArray();
        float[] dw = st.tensor("dw").toArray();
        float[] db = st.tensor("db").toArray();
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < out; o++) {
                double s = b[o]; // y = x W^T + b
                for (int k = 0; k < in; k++) {
                    s += (double) x[i * in + k] * w[o * in + k];
                }
                assertClose(s, y[i * out + o], "y[" + i + ", " + o + "]");
            }
            for (int k = 0; k < in; k++) {
                double s = 0; // dx = dy W
                for (int o = 0; o < out; o++) {
                    s += (double) dy[i * out + o] * w[o * in + k];
                }
                assertClose(s, dx[i * in + k], "dx[" + i + ", " + k + "]");
            }
        }
        for (int o = 0; o < out; o++) {
            double sb = 0;
            for (int i = 0; i < n; i++) {
                sb += dy[i * out + o];
            }
            assertClose(sb, db[o], "db[" + o + "]");
            for (int k = 0; k < in; k++) {
                double s = 0; // dW = dy^T x
                for (int i = 0; i < n; i++) {
                    s += (double) dy[i * out + o] * x[i * in + k];
                }
                assertClose(s, dw[o * in + k], "dw[" + o + ", " + k + "]");
            }
        }
    }

    @Test
    void sigmoidCrossEntropyHoldsI64LabelsAndConsistentValues() throws IOException {
        SafeTensors st = SafeTensors.read(resource("sigmoid_cross_entropy.safetensors"));
        assertEquals(List.of("x", "y", "dy", "dx", "logits", "labels", "loss", "dlogits",
                "big_logits", "big_labels", "big_loss", "big_dlogits"), List.copyOf(st.names()));
        assertEquals(Map.of("op", "sigmoid + cross_entropy (mean reduction)"), st.metadata());
        assertEquals(DType.I64, st.dtype("labels"));
        assertEquals(DType.I64, st.dtype("big_labels"));
        assertEquals(Shape.of(6), st.shape("labels"));
        assertEquals(Shape.of(2), st.shape("big_labels"));
        assertEquals(Shape.of(1), st.shape("loss"));

        float[] x = st.tensor("x").toArray();
        float[] y = st.tensor("y").toArray();
        float[] dy = st.tensor("dy").toArray();
        float[] dx = st.tensor("dx").toArray();
        for (int i = 0; i < x.length; i++) {
            double s = 1 / (1 + Math.exp(-x[i]));
            assertClose(s, y[i], "y[" + i + "]");
            assertClose(dy[i] * s * (1 - s), dx[i], "dx[" + i + "]");
        }

        checkCrossEntropy(st, "", 6, 10);
        checkCrossEntropy(st, "big_", 2, 3);
    }

    /** loss = mean_i (logsumexp(z_i) - z_i[label_i]); dlogits = (softmax(z) - onehot) / n. */
    private static void checkCrossEntropy(SafeTensors st, String prefix, int n, int c) {
        assertEquals(Shape.of(n, c), st.shape(prefix + "logits"));
        float[] z = st.tensor(prefix + "logits").toArray();
        int[] labels = st.ints(prefix + "labels");
        float[] dz = st.tensor(prefix + "dlogits").toArray();
        double loss = 0;
        for (int i = 0; i < n; i++) {
            assertTrue(labels[i] >= 0 && labels[i] < c, prefix + "labels[" + i + "] = " + labels[i]);
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, z[i * c + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += Math.exp(z[i * c + j] - max);
            }
            double lse = max + Math.log(sum);
            loss += lse - z[i * c + labels[i]];
            for (int j = 0; j < c; j++) {
                double p = Math.exp(z[i * c + j] - lse);
                assertClose((p - (j == labels[i] ? 1 : 0)) / n, dz[i * c + j], prefix + "dlogits[" + i + ", " + j + "]");
            }
        }
        assertClose(loss / n, st.tensor(prefix + "loss").toArray()[0], prefix + "loss");
    }

    @TestFactory
    Stream<DynamicTest> readsEveryGoldenFileOfTheRepositoryAndWritesItBack() throws IOException {
        List<Path> files = new java.util.ArrayList<>();
        for (Path golden : repositoryGolden()) {
            try (Stream<Path> s = Files.list(golden)) {
                s.filter(p -> p.toString().endsWith(".safetensors")).sorted().forEach(files::add);
            }
        }
        assertFalse(files.isEmpty());
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
            SafeTensors st = SafeTensors.read(f);
            assertFalse(st.names().isEmpty());
            for (String name : st.names()) {
                if (st.dtype(name) == DType.F32) {
                    for (float v : st.tensor(name).toArray()) {
                        assertTrue(Float.isFinite(v), name);
                    }
                }
            }
            Path copy = dir.resolve(f.getFileName());
            st.write(copy);
            assertEquals(Files.size(f), Files.size(copy), "same header size after padding and same data");
            SafeTensors back = SafeTensors.read(copy);
            assertEquals(List.copyOf(st.names()), List.copyOf(back.names()));
            assertEquals(st.metadata(), back.metadata());
            for (String name : st.names()) {
                assertEquals(st.dtype(name), back.dtype(name));
                assertEquals(st.shape(name), back.shape(name));
                if (st.dtype(name) == DType.F32) {
                    assertArrayEquals(st.tensor(name).toArray(), back.tensor(name).toArray(), name);
                } else {
                    assertArrayEquals(st.longs(name), back.longs(name), name);
                }
            }
        }));
    }

    @Test
    void goldenKnownShapes() throws IOException {
        SafeTensors bn = SafeTensors.read(repositoryGolden("batchnorm2d.safetensors"));
        assertEquals(Shape.of(4, 3, 5, 5), bn.shape("x0"));
        assertEquals(Shape.of(3), bn.shape("running_var1"));
        assertEquals("0.1", bn.metadata().get("momentum"));
        SafeTensors lenet = SafeTensors.read(repositoryGolden("bn_lenet_28.safetensors"));
        assertEquals(Shape.of(6, 1, 5, 5), lenet.shape("init.conv1.weight"));
        assertEquals(DType.I64, lenet.dtype("step0.labels"));
        for (int label : lenet.ints("step0.labels")) {
            assertTrue(label >= 0 && label < 10);
        }
    }
}
