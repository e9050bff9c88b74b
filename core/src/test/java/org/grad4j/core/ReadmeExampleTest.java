package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The README's ten-line example, verbatim but for the print, so that the front page cannot rot. */
class ReadmeExampleTest {
    @Test
    void readmeExampleRunsAndProducesGradients() {
        Tensor w = Tensor.randn(new Random(345), 3, 2).requiresGrad(true);
        Tensor b = Tensor.zeros(2).requiresGrad(true);
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        try (Tape tape = Tape.record()) {
            Tensor loss = x.matmul(w).add(b).sigmoid().mean();
            loss.backward();
        }
        assertEquals(Shape.of(3, 2), w.grad().shape());
        assertEquals(Shape.of(2), b.grad().shape());
        GradCheck.check("readme", in -> x.matmul(in[0]).add(in[1]).sigmoid().mean(),
                Tensor.randn(new Random(345), 3, 2).requiresGrad(true), Tensor.zeros(2).requiresGrad(true));
    }
}
