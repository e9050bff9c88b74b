package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The gradient checker must catch the mistakes it exists for. */
class GradCheckTest {
    /** y = 2x with a backward supplied by the test. */
    private static Tensor twice(Tensor x, Tape.Backward backward) {
        float[] out = x.toArray();
        for (int i = 0; i < out.length; i++) {
            out[i] *= 2;
        }
        return Tape.recordOp("twice", Tensor.wrap(out, x.shape()), backward, x);
    }

    private static Tensor input() {
        return Tensor.randn(new Random(345), 2, 3).requiresGrad(true);
    }

    @Test
    void acceptsACorrectBackward() {
        GradCheck.check("twice", in -> twice(in[0], (g, gi) -> {
            for (int i = 0; i < g.length; i++) {
                gi[0][i] += 2 * g[i];
            }
        }), input());
    }

    @Test
    void catchesAWrongDerivative() {
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.check("twice",
                in -> twice(in[0], (g, gi) -> {
                    for (int i = 0; i < g.length; i++) {
                        gi[0][i] += 3 * g[i];
                    }
                }), input()));
        assertTrue(e.getMessage().startsWith("gradcheck twice: input 0 [2, 3] at index [0, 0]: analytic "),
                e.getMessage());
        assertTrue(e.getMessage().contains(" vs numeric "), e.getMessage());
    }

    @Test
    void catchesABackwardThatIgnoresTheUpstreamGradient() {
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.check("twice",
                in -> twice(in[0], (g, gi) -> {
                    for (int i = 0; i < g.length; i++) {
                        gi[0][i] += 2;
                    }
                }), input()));
        assertTrue(e.getMessage().startsWith("gradcheck twice: input 0 [2, 3] at index [0, 0]"), e.getMessage());
    }

    @Test
    void catchesOverwriteInsteadOfAccumulate() {
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.check("twice",
                in -> twice(in[0], (g, gi) -> {
                    for (int i = 0; i < g.length; i++) {
                        gi[0][i] = 2 * g[i];
                    }
                }), input()));
        assertTrue(e.getMessage().startsWith("gradcheck twice: input 0 [2, 3] at index [0, 0]: gradient does not "
                + "accumulate: after a second backward through two recordings it is "), e.getMessage());
    }

    @Test
    void catchesAMissingGradient() {
        Tensor a = input();
        Tensor b = Tensor.randn(new Random(346), 2, 3).requiresGrad(true);
        // b's contribution is cut with detach(): its analytic gradient is 0, the numeric one is not.
        AssertionError e = assertThrows(AssertionError.class,
                () -> GradCheck.check("mul", in -> in[0].mul(in[1].detach()), a, b));
        assertTrue(e.getMessage().startsWith("gradcheck mul: input 1 [2, 3] at index [0, 0]: analytic 0.00000 vs numeric"),
                e.getMessage());
    }

    @Test
    void catchesAFunctionThatModifiesItsInput() {
        Tensor c = Tensor.ones(2, 3);
        // Modified before use, so the tape's own version check cannot see it.
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.check("sneaky", in -> {
            in[1].fill(1);
            return in[0].mul(in[1]);
        }, input(), c));
        assertEquals("gradcheck sneaky: input 1 was modified by the function", e.getMessage());
    }

    @Test
    void restoresTheInputsGradients() {
        Tensor x = input();
        try (Tape tape = Tape.record()) {
            x.sum().backward();
        }
        Tensor before = x.grad();
        GradCheck.check("exp", in -> in[0].exp(), x);
        assertSame(before, x.grad());
        Tensor fresh = input();
        GradCheck.check("exp", in -> in[0].exp(), fresh);
        assertNull(fresh.grad());
    }

    @Test
    void invalidCalls() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradCheck.check("exp", in -> in[0].exp(), Tensor.ones(2)));
        assertEquals("gradcheck exp: no input requires grad", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GradCheck.Options(0, 1e-3, 1e-2, 1));
        assertEquals("gradcheck: step must be positive and finite, got 0.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GradCheck.Options.DEFAULT.withTolerance(-1, 0));
        assertEquals("gradcheck: tolerances must be >= 0, got atol -1.0 and rtol 0.0", e.getMessage());
        Tensor w = input();
        try (Tape tape = Tape.record()) {
            Tensor y = w.exp();
            e = assertThrows(IllegalArgumentException.class, () -> GradCheck.check("exp", in -> in[0].exp(), y));
            assertEquals("gradcheck exp: input 0 is not a leaf", e.getMessage());
            IllegalStateException s = assertThrows(IllegalStateException.class,
                    () -> GradCheck.check("exp", in -> in[0].exp(), w));
            assertEquals("gradcheck exp: a tape is already recording on this thread", s.getMessage());
        }
        AssertionError a = assertThrows(AssertionError.class,
                () -> GradCheck.check("detach", in -> in[0].detach(), input()));
        assertEquals("gradcheck detach: the output does not require grad; the op was not recorded", a.getMessage());
    }
}
