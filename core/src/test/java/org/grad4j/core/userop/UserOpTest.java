package org.grad4j.core.userop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.grad4j.core.GradCheck;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/**
 * An op defined outside core with the public API only, as docs/architecture.md ("Adding an op")
 * shows it: forward and backward side by side, recorded with {@link Tape#recordOp}.
 */
class UserOpTest {
    /** {@code y = x^3}, the example of docs/architecture.md. */
    static Tensor cube(Tensor x) {
        float[] xs = x.toArray();
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = xs[i] * xs[i] * xs[i];
        }
        return Tape.recordOp("cube", Tensor.wrap(y, x.shape()), (gy, gx) -> {
            for (int i = 0; i < y.length; i++) {
                gx[0][i] += 3 * xs[i] * xs[i] * gy[i]; // d x^3 / dx = 3 x^2
            }
        }, x);
    }

    /** {@code a * b + b} with two inputs; either may need no gradient. */
    static Tensor mulAdd(Tensor a, Tensor b) {
        float[] av = a.toArray();
        float[] bv = b.toArray();
        float[] y = new float[av.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = av[i] * bv[i] + bv[i];
        }
        return Tape.recordOp("mulAdd", Tensor.wrap(y, a.shape()), (g, gi) -> {
            for (int i = 0; i < g.length; i++) {
                if (gi[0] != null) {
                    gi[0][i] += g[i] * bv[i];
                }
                if (gi[1] != null) {
                    gi[1][i] += g[i] * (av[i] + 1);
                }
            }
        }, a, b);
    }

    /** {@code 2x} with an assigning backward: it writes its gradient when told it is the first. */
    static Tensor twice(Tensor x) {
        float[] xs = x.toArray();
        float[] y = new float[xs.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = 2 * xs[i];
        }
        return Tape.recordAssigningOp("twice", Tensor.wrap(y, x.shape()), (g, gi, assign) -> {
            for (int i = 0; i < g.length; i++) {
                gi[0][i] = (assign ? 0 : gi[0][i]) + 2 * g[i];
            }
        }, x);
    }

    @Test
    void aUserOpIsGradcheckedLikeABuiltIn() {
        Tensor x = Tensor.randn(new java.util.Random(345), 3, 4).requiresGrad(true);
        GradCheck.check("cube", in -> cube(in[0]), x);
        GradCheck.check("cube then sigmoid", in -> cube(in[0]).sigmoid().mul(in[0]), x);
        Tensor a = Tensor.randn(new java.util.Random(346), 5).requiresGrad(true);
        Tensor b = Tensor.randn(new java.util.Random(347), 5).requiresGrad(true);
        GradCheck.check("mulAdd", in -> mulAdd(in[0], in[1]), a, b);
        GradCheck.check("mulAdd", in -> mulAdd(in[0], in[1]), a, Tensor.ones(5));
        GradCheck.check("twice", in -> twice(in[0].exp()).add(twice(in[0])), x);
    }

    @Test
    void aUserOpIsRecordedOnlyWhenNeeded() {
        Tensor x = Tensor.of(new float[] {1, 2});
        try (Tape tape = Tape.record()) {
            Tensor y = cube(x);
            assertEquals(0, tape.size(), "no input requires grad");
            assertTrue(!Tape.willRecord(x));
            x.requiresGrad(true);
            assertTrue(Tape.willRecord(x));
            Tensor z = cube(x);
            assertEquals(1, tape.size());
            assertTrue(z.toString().endsWith("grad_fn=<cube>)"), z.toString());
            z.sum().backward();
            assertArrayEquals(new float[] {1, 8}, y.toArray());
        }
        assertArrayEquals(new float[] {3, 12}, x.grad().toArray());
    }

    @Test
    void theTapeChecksAUserOpsInputVersions() {
        Tensor x = Tensor.of(new float[] {1, 2}).requiresGrad(true);
        Tensor w = Tensor.of(new float[] {3, 4});
        IllegalStateException e;
        try (Tape tape = Tape.record()) {
            Tensor y = mulAdd(x, w);
            w.set(5, 0);
            e = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        }
        assertEquals("backward: input 1 of 'mulAdd' (shape [2]) was modified in place after it was recorded "
                + "(version 1, recorded at version 0)", e.getMessage());
    }
}
