package org.grad4j.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.grad4j.core.GradCheck;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * Tanh, Softmax and GELU (both approximations): PyTorch's nn modules' values, gradients and reprs
 * ({@code golden/activations.safetensors}, from {@code layers/src/test/python/activation_goldens.py}),
 * gradcheck, and the errors.
 */
class ActivationsTest {
    private static final SafeTensors G = Golden.load("activations");

    private static void golden(String name, Module m, String repr) {
        assertEquals(repr, m.toString(), name + " repr");
        Tensor x = Golden.leaf(G.tensor(name + ".x"));
        try (Tape tape = Tape.record()) {
            Tensor y = m.forward(x);
            Golden.assertClose(name + ".y", G.tensor(name + ".y"), y);
            y.mul(G.tensor(name + ".dy")).sum().backward();
        }
        Golden.assertClose(name + ".dx", G.tensor(name + ".dx"), x.grad());
    }

    @Test
    void matchPyTorch() {
        golden("tanh", new Tanh(), "Tanh()");
        golden("softmax1", new Softmax(1), "Softmax(dim=1)");
        golden("softmax_last", new Softmax(-1), "Softmax(dim=-1)");
        golden("gelu", new GELU(), "GELU(approximate='none')");
        golden("gelu_tanh", new GELU("tanh"), "GELU(approximate='tanh')");
    }

    @Test
    void gradcheck() {
        Random rng = new Random(345);
        for (Module m : new Module[] {new Tanh(), new Softmax(1), new Softmax(-1), new GELU(), new GELU("tanh")}) {
            GradCheck.check(m.toString(), in -> m.forward(in[0]), Tensor.randn(rng, 2, 3, 4).requiresGrad(true));
        }
    }

    @Test
    void geluTanhIsCloseToExactGelu() {
        // The approximation's error is below 1e-3 everywhere (Hendrycks and Gimpel 2016).
        Tensor x = Tensor.randn(new Random(345), 1000).mul(3f);
        float[] exact = x.gelu().toArray();
        float[] approx = x.geluTanh().toArray();
        for (int i = 0; i < exact.length; i++) {
            assertEquals(exact[i], approx[i], 1e-3, "x = " + x.toArray()[i]);
        }
    }

    @Test
    void unknownApproximation() {
        assertEquals("GELU: approximate 'erf' (expected 'none' or 'tanh')",
                assertThrows(IllegalArgumentException.class, () -> new GELU("erf")).getMessage());
    }

    @Test
    void softmaxDimensionOutOfRange() {
        assertEquals("softmax: dimension 3 is out of range for shape [2, 3] (expected -2 to 1)",
                assertThrows(IllegalArgumentException.class, () -> new Softmax(3).forward(Tensor.zeros(2, 3)))
                        .getMessage());
    }
}
