package org.grad4j.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AutogradTest {
    private static Tensor vec(float... v) {
        return Tensor.of(v);
    }

    @Test
    void recordsOnlyInsideATapeWithGradModeOnAndAGradInput() {
        Tensor w = vec(1, 2, 3).requiresGrad(true);
        Tensor c = vec(4, 5, 6);
        assertFalse(w.mul(2).requiresGrad(), "no tape: nothing is recorded");
        try (Tape tape = Tape.record()) {
            assertFalse(c.mul(c).requiresGrad(), "no input requires grad");
            assertEquals(0, tape.size());
            try (Tape.NoGrad off = Tape.noGrad()) {
                assertFalse(w.mul(c).requiresGrad(), "grad mode is off");
            }
            assertEquals(0, tape.size());
            Tensor y = w.mul(c).sum();
            assertTrue(y.requiresGrad());
            assertFalse(y.isLeaf());
            assertEquals(2, tape.size());
            assertTrue(y.toString().endsWith(", grad_fn=<sum>)"), y.toString());
        }
    }

    @Test
    void backwardComputesGradientsOfLeaves() {
        Tensor w = vec(1, 2, 3).requiresGrad(true);
        Tensor x = vec(4, 5, 6);
        try (Tape tape = Tape.record()) {
            w.mul(x).sum().backward();
        }
        assertArrayEquals(new float[] {4, 5, 6}, w.grad().toArray());
        assertNull(x.grad());
        assertFalse(w.grad().requiresGrad());
    }

    @Test
    void gradientsAccumulateUntilZeroed() {
        Tensor w = vec(1, 2).requiresGrad(true);
        for (int i = 0; i < 3; i++) {
            try (Tape tape = Tape.record()) {
                w.square().sum().backward();
            }
        }
        assertArrayEquals(new float[] {6, 12}, w.grad().toArray());
        w.zeroGrad();
        try (Tape tape = Tape.record()) {
            w.square().sum().backward();
        }
        assertArrayEquals(new float[] {2, 4}, w.grad().toArray());
    }

    @Test
    void backwardOfALeafAddsTheGradient() {
        Tensor w = vec(1, 2).requiresGrad(true);
        w.backward(vec(3, 4));
        assertArrayEquals(new float[] {3, 4}, w.grad().toArray());
    }

    @Test
    void noGradScopesNest() {
        assertTrue(Tape.isGradEnabled());
        try (Tape.NoGrad outer = Tape.noGrad()) {
            try (Tape.NoGrad inner = Tape.noGrad()) {
                assertFalse(Tape.isGradEnabled());
            }
            assertFalse(Tape.isGradEnabled(), "closing the inner scope keeps the outer one's mode");
            outer.close();
            outer.close();
            assertTrue(Tape.isGradEnabled());
        }
        assertTrue(Tape.isGradEnabled());
    }

    @Test
    void tapeIsPerThread() throws Exception {
        Tensor w = vec(1, 2).requiresGrad(true);
        AtomicReference<Boolean> recorded = new AtomicReference<>();
        try (Tape tape = Tape.record()) {
            Thread t = new Thread(() -> recorded.set(w.mul(2).requiresGrad()));
            t.start();
            t.join();
            assertEquals(0, tape.size());
        }
        assertFalse(recorded.get());
    }

    @Test
    void intermediatesBecomePlainValuesAfterBackward() {
        Tensor w = vec(1, 2).requiresGrad(true);
        Tensor h;
        try (Tape tape = Tape.record()) {
            h = w.exp();
            h.sum().backward();
            assertEquals(0, tape.size());
        }
        assertFalse(h.requiresGrad());
        assertTrue(h.isLeaf());
    }

    @Test
    void modifiedInputFailsBackwardNamingTheOp() {
        Tensor w = vec(1, 2, 3).requiresGrad(true);
        Tensor x = vec(4, 5, 6);
        try (Tape tape = Tape.record()) {
            Tensor loss = w.mul(x).sum();
            x.fill(0);
            IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
            assertEquals("backward: input 1 of 'mul' (shape [3]) was modified in place after it was recorded "
                    + "(version 1, recorded at version 0)", e.getMessage());
        }
    }

    @Test
    void optimizerStepBeforeBackwardIsAClearError() {
        Tensor w = vec(1, 2, 3).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor loss = w.square().sum();
            try (Tape.NoGrad off = Tape.noGrad()) {
                w.addInPlace(-0.1f, vec(1, 1, 1));
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
            assertEquals("backward: input 0 of 'square' (shape [3]) was modified in place after it was recorded "
                    + "(version 1, recorded at version 0)", e.getMessage());
        }
    }

    @Test
    void modifyingAViewOfAnInputIsCaughtToo() {
        Tensor w = Tensor.ones(2, 2).requiresGrad(true);
        Tensor x = Tensor.ones(4);
        Tensor xv = x.reshape(2, 2);
        try (Tape tape = Tape.record()) {
            Tensor loss = w.mul(xv).sum();
            x.set(5, 0);
            IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
            assertTrue(e.getMessage().startsWith("backward: input 1 of 'mul'"), e.getMessage());
        }
    }

    @Test
    void inPlaceWriteOfAGradTensorWhileRecordingIsRefused() {
        Tensor w = vec(1, 2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.fill(0));
            assertEquals("fill: a tensor that requires grad cannot be changed in place while a tape records; "
                    + "do it after the tape closes or inside Tape.noGrad()", e.getMessage());
        }
        w.fill(0);
        assertEquals(1, w.version());
    }

    @Test
    void secondBackwardAndBackwardAfterCloseAreErrors() {
        Tensor w = vec(1, 2).requiresGrad(true);
        Tensor loss;
        try (Tape tape = Tape.record()) {
            loss = w.square().sum();
            loss.backward();
            IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
            assertEquals("backward: the tape that recorded 'sum' was already used by a backward pass or closed; "
                    + "record the forward pass again", e.getMessage());
        }
        Tensor late;
        try (Tape tape = Tape.record()) {
            late = w.exp().sum();
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, late::backward);
        assertEquals("backward: the tape that recorded 'sum' was already used by a backward pass or closed; "
                + "record the forward pass again", e.getMessage());
    }

    @Test
    void backwardWithoutRecordingIsAnError() {
        Tensor y = vec(1, 2).sum();
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertEquals("backward: tensor does not require grad and has no recorded op; record the forward pass "
                + "inside try (Tape tape = Tape.record()) { ... } with inputs that require grad", e.getMessage());
    }

    @Test
    void backwardOfANonScalarNeedsAGradient() {
        Tensor w = vec(1, 2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = w.mul(3);
            IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
            assertEquals("backward: grad can be implicitly created only for a scalar, got shape [2]; "
                    + "pass a gradient of that shape", e.getMessage());
            IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> y.backward(vec(1, 2, 3)));
            assertEquals("backward: gradient of shape [3] does not match tensor of shape [2]", a.getMessage());
            y.backward(vec(1, 10));
        }
        assertArrayEquals(new float[] {3, 30}, w.grad().toArray());
    }

    @Test
    void nestedTapesAreRefused() {
        try (Tape tape = Tape.record()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, Tape::record);
            assertEquals("Tape.record: a tape is already recording on this thread; close it before starting another",
                    e.getMessage());
        }
        assertFalse(Tape.isRecording());
    }

    @Test
    void closingFromAnotherThreadIsRefused() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (Tape tape = Tape.record()) {
            Thread t = new Thread(() -> {
                try {
                    tape.close();
                } catch (Throwable e) {
                    thrown.set(e);
                }
            }, "other");
            t.start();
            t.join();
            assertTrue(Tape.isRecording());
        }
        assertEquals("Tape.close: called on thread 'other', expected the recording thread '"
                + Thread.currentThread().getName() + "'", thrown.get().getMessage());
    }

    @Test
    void onlyLeavesCanChangeRequiresGrad() {
        Tensor w = vec(1, 2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor y = w.exp();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> y.requiresGrad(false));
            assertEquals("requiresGrad: this tensor is the result of the recorded op 'exp'; only leaves can change it "
                    + "(detach() gives a leaf)", e.getMessage());
        }
    }

    @Test
    void broadcastGradientsAreSummedBackToTheSourceShape() {
        Tensor x = Tensor.randn(new Random(345), 2, 3, 4, 4);
        Tensor gamma = Tensor.randn(new Random(346), 1, 3, 1, 1).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            x.mul(gamma).sum().backward();
        }
        assertEquals(Shape.of(1, 3, 1, 1), gamma.grad().shape());
        double[] expected = Naive.sum(x, new boolean[] {true, false, true, true});
        Naive.assertClose(expected, gamma.grad(), 1e-5, 1e-5);
    }

    @Test
    void chapterStyleBatchNormFromPrimitivesIsDifferentiable() {
        // The d2l batch_norm in training mode, written with core ops: mean over (0, 2, 3) with keepdim,
        // broadcasting -, /, sqrt, *, +.
        Tensor x = Tensor.randn(new Random(345), 4, 3, 2, 2).requiresGrad(true);
        Tensor gamma = Tensor.randn(new Random(346), 1, 3, 1, 1).requiresGrad(true);
        Tensor beta = Tensor.randn(new Random(347), 1, 3, 1, 1).requiresGrad(true);
        int[] dims = {0, 2, 3};
        GradCheck.check("batch_norm (composed)", in -> {
            Tensor mean = in[0].mean(dims, true);
            Tensor var = in[0].sub(mean).square().mean(dims, true);
            Tensor xhat = in[0].sub(mean).div(var.add(1e-5f).sqrt());
            return in[1].mul(xhat).add(in[2]);
        }, x, gamma, beta);
    }

    @Test
    @SuppressWarnings("try") // scopes used only for their extent
    void recycledGradientArraysStartFromZero() {
        // Pass 1 leaves an intermediate gradient of 2^14 ones, which goes back to the pool; in
        // pass 2 the same-sized intermediate gets a gradient at one element only (max), so any
        // leftover from pass 1 would show in x's gradient.
        int n = 1 << 14;
        Tensor x = Tensor.rand(new java.util.Random(3), 1, n).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            x.mul(2f).sum().backward();
        }
        x.zeroGrad();
        try (Tape tape = Tape.record()) {
            x.mul(2f).max(1, false).sum().backward();
        }
        float[] g = x.grad().toArray();
        int nonZero = 0;
        for (float v : g) {
            if (v != 0f) {
                nonZero++;
                assertEquals(2f, v);
            }
        }
        assertEquals(1, nonZero);
        // And many passes of the same shapes keep giving the same gradient.
        for (int i = 0; i < 5; i++) {
            x.zeroGrad();
            try (Tape tape = Tape.record()) {
                x.mul(2f).max(1, false).sum().backward();
            }
            assertArrayEquals(g, x.grad().toArray(), "pass " + i);
        }
    }

    @Test
    @SuppressWarnings("try") // scopes used only for their extent
    void anOpThatWritesARecycledGradientBufferGivesTheSameGradientAsAddingIntoZeros() {
        // Sigmoid writes its input's gradient when it is the first to contribute (the buffer is
        // recycled, not zeroed); when another op contributed first, it adds.
        int n = 1 << 14;
        Tensor x = Tensor.randn(new java.util.Random(5), n).requiresGrad(true);
        float[] xs = x.toArray();
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            float s = Elementwise.sigmoid(2f * xs[i]);
            expected[i] = 2f * (1f + (1f * s * (1f - s)));
        }
        for (int pass = 0; pass < 3; pass++) {
            for (boolean sigmoidFirst : new boolean[] {true, false}) {
                // Leave a gradient array of n garbage values (ones) in the pool.
                try (Tape tape = Tape.record()) {
                    x.mul(3f).sum().backward();
                }
                x.zeroGrad();
                try (Tape tape = Tape.record()) {
                    Tensor z = x.mul(2f);
                    Tensor loss = sigmoidFirst ? z.sum().add(z.sigmoid().sum()) : z.sigmoid().sum().add(z.sum());
                    loss.backward();
                }
                float[] g = x.grad().toArray();
                for (int i = 0; i < n; i++) {
                    assertEquals(expected[i], g[i], 1e-6f, "element " + i + ", sigmoid first " + sigmoidFirst);
                }
            }
        }
    }
}
