package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Random;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * PyTorch parity of the ops composed from core primitives, with the golden files in
 * {@code src/test/resources/golden} (PyTorch 1.13, float32; written by {@code src/test/python/golden.py}),
 * at the single-op tolerance float32 supports: absolute 1e-5 plus relative 1e-4.
 */
class GoldenParityTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    static SafeTensors golden(String name) throws Exception {
        return SafeTensors.read(resource("/golden/" + name + ".safetensors"));
    }

    static Path resource(String name) throws URISyntaxException {
        return Path.of(GoldenParityTest.class.getResource(name).toURI());
    }

    @Test
    void linearAsMatmulPlusBroadcastAdd() throws Exception {
        SafeTensors g = golden("linear");
        Tensor x = g.tensor("x").requiresGrad(true);
        Tensor w = g.tensor("w").requiresGrad(true);
        Tensor b = g.tensor("b").requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = x.matmul(w.transpose()).add(b);
            Naive.assertClose(g.tensor("y"), y, ATOL, RTOL, "y");
            y.backward(g.tensor("dy"));
        }
        Naive.assertClose(g.tensor("dx"), x.grad(), ATOL, RTOL, "dx");
        Naive.assertClose(g.tensor("dw"), w.grad(), ATOL, RTOL, "dw");
        Naive.assertClose(g.tensor("db"), b.grad(), ATOL, RTOL, "db");
    }

    @Test
    void sigmoid() throws Exception {
        SafeTensors g = golden("sigmoid_cross_entropy");
        Tensor x = g.tensor("x").requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = x.sigmoid();
            Naive.assertClose(g.tensor("y"), y, ATOL, RTOL, "y");
            y.backward(g.tensor("dy"));
        }
        Naive.assertClose(g.tensor("dx"), x.grad(), ATOL, RTOL, "dx");
    }

    /**
     * Mean cross-entropy from logits: {@code -mean_i log softmax(z_i)[y_i]}, with
     * {@code log softmax(z) = (z - m) - log sum exp(z - m)} and {@code m = max z} (detached: the
     * shift changes nothing mathematically and keeps {@code exp} from overflowing).
     */
    static Tensor crossEntropy(Tensor logits, int[] labels) {
        int n = logits.dim(0);
        int c = logits.dim(1);
        Tensor oneHot = Tensor.zeros(n, c);
        for (int i = 0; i < n; i++) {
            oneHot.set(1, i, labels[i]);
        }
        Tensor shifted = logits.sub(logits.max(1, true).detach());
        Tensor logSoftmax = shifted.sub(shifted.exp().sum(1, true).log());
        return logSoftmax.mul(oneHot).sum().neg().div(n);
    }

    @Test
    void crossEntropyComposedFromLogSumExp() throws Exception {
        SafeTensors g = golden("sigmoid_cross_entropy");
        checkCrossEntropy(g.tensor("logits"), g.ints("labels"), g.tensor("loss"), g.tensor("dlogits"));
    }

    @Test
    void crossEntropyWithExtremeLogitsIsFinite() throws Exception {
        SafeTensors g = golden("sigmoid_cross_entropy");
        Tensor big = g.tensor("big_logits");
        float maxAbs = 0;
        for (float v : big.toArray()) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        assertTrue(maxAbs >= 1000, "the golden case holds logits of magnitude 1000");
        checkCrossEntropy(big, g.ints("big_labels"), g.tensor("big_loss"), g.tensor("big_dlogits"));
    }

    private static void checkCrossEntropy(Tensor logitsValues, int[] labels, Tensor loss, Tensor dlogits) {
        Tensor logits = logitsValues.requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor l = crossEntropy(logits, labels);
            assertTrue(Float.isFinite(l.item()), "loss " + l.item());
            Naive.assertClose(loss.reshape(), l, ATOL, RTOL, "loss");
            l.backward();
        }
        for (float v : logits.grad().toArray()) {
            assertTrue(Float.isFinite(v), "gradient " + v);
        }
        Naive.assertClose(dlogits, logits.grad(), ATOL, RTOL, "dlogits");
    }

    @Test
    void crossEntropyCompositionPassesGradcheck() {
        int[] labels = {2, 0, 1, 2};
        GradCheck.check("cross_entropy (composed)", in -> crossEntropy(in[0], labels),
                Tensor.randn(new Random(345), 4, 3).requiresGrad(true));
    }

    @Test
    void goldenFilesAreTheExpectedCases() throws Exception {
        SafeTensors g = golden("linear");
        assertArrayEquals(new int[] {5, 7}, g.shape("x").dims());
        assertArrayEquals(new int[] {3, 7}, g.shape("w").dims());
    }
}
