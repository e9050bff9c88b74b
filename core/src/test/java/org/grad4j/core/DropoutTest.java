package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.message;
import static org.grad4j.core.FunctionalTest.param;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Functional#dropout}: the mask, its scale, its statistics, its gradient, the edge probabilities. */
class DropoutTest {

    @Test
    void maskComesFromTheRngOneDrawPerElement() {
        Tensor x = Tensor.randn(new Random(345), 4, 5);
        Random expected = new Random(7);
        float[] y = Functional.dropout(x, 0.3, new Random(7)).toArray();
        float[] xs = x.toArray();
        for (int i = 0; i < xs.length; i++) {
            boolean keep = expected.nextDouble() < 0.7;
            // x * 0 keeps the sign of x (-0.0), as PyTorch's x * mask does.
            assertEquals(xs[i] * (keep ? (float) (1 / 0.7) : 0f), y[i], "element " + i);
        }
        assertArrayEquals(y, Functional.dropout(x, 0.3, new Random(7)).toArray(), "same seed, same mask");
    }

    @Test
    void keepsAboutOneMinusPAndPreservesTheMean() {
        Tensor x = Tensor.ones(200_000);
        float[] y = Functional.dropout(x, 0.25, new Random(345)).toArray();
        int kept = 0;
        double sum = 0;
        for (float v : y) {
            if (v != 0) {
                kept++;
                assertEquals(1f / 0.75f, v, 1e-6f);
            }
            sum += v;
        }
        // Binomial(200000, 0.75): standard deviation about 194 elements.
        assertEquals(150_000, kept, 1_000);
        assertEquals(1.0, sum / y.length, 0.01);
    }

    @Test
    void gradientUsesTheSameMask() {
        Tensor x = param(new Random(345), 3, 4);
        Tensor y;
        try (Tape tape = Tape.record()) {
            y = Functional.dropout(x, 0.5, new Random(9));
            y.sum().backward();
        }
        float[] ys = y.toArray();
        float[] xs = x.toArray();
        float[] g = x.grad().toArray();
        for (int i = 0; i < g.length; i++) {
            assertEquals(ys[i] == 0 ? 0f : 2f, g[i], "element " + i);
            assertEquals(ys[i], xs[i] * g[i], 1e-6f, "y = x * mask");
        }
    }

    @Test
    void passesGradcheck() {
        Random rng = new Random(345);
        GradCheck.check("dropout", t -> Functional.dropout(t[0], 0.4, new Random(11)), param(rng, 3, 5));
    }

    @Test
    void zeroProbabilityReturnsTheInputAndDrawsNothing() {
        Tensor x = Tensor.randn(new Random(345), 3, 3);
        Random rng = new Random(1);
        assertSame(x, Functional.dropout(x, 0, rng));
        assertEquals(new Random(1).nextLong(), rng.nextLong(), "no draw");
    }

    @Test
    void probabilityOneGivesZerosAndAZeroGradient() {
        Tensor x = param(new Random(345), 2, 3);
        Random rng = new Random(1);
        try (Tape tape = Tape.record()) {
            Tensor y = Functional.dropout(x, 1, rng);
            for (float v : y.toArray()) {
                assertEquals(0f, v, 0f);
            }
            y.sum().backward();
        }
        assertArrayEquals(new float[6], x.grad().toArray());
        assertEquals(new Random(1).nextLong(), rng.nextLong(), "no draw");
    }

    @Test
    void resultIsFreshForPositiveP() {
        Tensor x = Tensor.randn(new Random(345), 3, 3);
        assertTrue(Functional.dropout(x, 0.5, new Random(1)) != x);
    }

    @Test
    void probabilityAboveOne() {
        assertEquals("dropout: probability has to be between 0 and 1, but got 1.5",
                message(() -> Functional.dropout(Tensor.zeros(3), 1.5, new Random(1))));
    }

    @Test
    void negativeProbability() {
        assertEquals("dropout: probability has to be between 0 and 1, but got -0.1",
                message(() -> Functional.dropout(Tensor.zeros(3), -0.1, new Random(1))));
    }

    @Test
    void nanProbability() {
        assertEquals("dropout: probability has to be between 0 and 1, but got NaN",
                message(() -> Functional.dropout(Tensor.zeros(3), Double.NaN, new Random(1))));
    }

    @Test
    void missingRng() {
        assertEquals("dropout: rng is null", message(() -> Functional.dropout(Tensor.zeros(3), 0.5, null)));
    }
}
