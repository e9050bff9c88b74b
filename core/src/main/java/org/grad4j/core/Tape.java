package org.grad4j.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The record of differentiable ops that {@link Tensor#backward()} walks in reverse.
 *
 * <p>One tape records on a thread at a time, inside a try-with-resources scope. An op is recorded
 * only when a tape is recording, grad mode is on ({@link #noGrad()} turns it off) and one of its
 * inputs requires a gradient; otherwise it costs nothing beyond its forward computation. Entries
 * are appended as ops run, so they are already in topological order and backward is a reverse
 * loop, not a graph search. Backward frees the tape; closing the scope frees it too and turns the
 * tensors it recorded into plain values.
 *
 * <pre>{@code
 * model.zeroGrad();
 * try (Tape tape = Tape.record()) {
 *     Tensor loss = lossOf(model, x, y);
 *     loss.backward();
 * }
 * optimizer.step();   // after the scope: in-place updates of recorded inputs would fail backward
 * }</pre>
 *
 * <p>Grad mode and a module's training mode are independent switches: evaluating in training mode
 * without gradients, or the reverse, is legal.
 *
 * <p>Every differentiable op, grad4j's own and a user's, computes its result and records itself
 * with {@link #recordOp}, its backward written beside its forward (see that method for an example).
 *
 * <p>The recording tape and grad mode belong to the thread: each thread has its own, so threads
 * never see each other's ops. What they share are the tensors: ops that only read them may run on
 * several threads at once (inference under {@link #noGrad()}), but a leaf's gradient and values
 * are written by backward and by optimizers without locks. When a tensor that a tape recorded was
 * changed in place by another thread, backward fails and says so: the model is being trained by
 * another thread at the same time.
 */
public final class Tape implements AutoCloseable {
    private static final ThreadLocal<Tape> CURRENT = new ThreadLocal<>();
    private static final ThreadLocal<boolean[]> GRAD_ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});
    private static final ThreadLocal<GradientPool> GRADIENTS = ThreadLocal.withInitial(GradientPool::new);

    /**
     * The backward half of an op: adds the gradient of the op's inputs given the gradient of its
     * output. It is a closure written next to the forward computation, and captures what it needs
     * from it (the inputs' values, the output, saved intermediates), the way
     * {@code torch.autograd.Function} keeps them on its {@code ctx}. See {@link #recordOp}.
     */
    @FunctionalInterface
    public interface Backward {
        /**
         * @param gradOut d loss / d output, in the output's row-major order; read only
         * @param gradIn one buffer per input, in the order the inputs were recorded, each the size
         *     of its input and to be added into ({@code +=}); {@code null} for an input that needs
         *     no gradient. Two entries may be the same array when an input is repeated.
         */
        void apply(float[] gradOut, float[][] gradIn);
    }

    /**
     * A {@link Backward} that can also write its first input's gradient instead of adding to it.
     * The tape asks for that when this op is the first to contribute to that gradient, so that the
     * buffer need not be zeroed first (a pass over memory as large as the op's own). See
     * {@link #recordAssigningOp}.
     */
    @FunctionalInterface
    public interface AssigningBackward {
        /**
         * As {@link Backward#apply}; when {@code assign0} is true, {@code gradIn[0]} holds garbage
         * and must be written entirely, as if it held zeros and were added into.
         */
        void apply(float[] gradOut, float[][] gradIn, boolean assign0);
    }

    /** One recorded op: what it read, at which versions, and how to push gradients back. */
    static final class Entry {
        final Tape tape;
        final int index;
        final String op;
        final Tensor[] inputs;
        final int[] inputVersions;
        final Tensor output;
        final int outputVersion;
        final Backward backward;
        /** Non-null when the op can write its first input's gradient: {@link AssigningBackward}. */
        AssigningBackward assigning;

        Entry(Tape tape, int index, String op, Tensor[] inputs, Tensor output, Backward backward) {
            this.tape = tape;
            this.index = index;
            this.op = op;
            this.inputs = inputs;
            this.inputVersions = new int[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                inputVersions[i] = inputs[i].version[0];
            }
            this.output = output;
            this.outputVersion = output.version[0];
            this.backward = backward;
        }
    }

    private final Thread owner = Thread.currentThread();
    private List<Entry> entries = new ArrayList<>();
    private boolean closed;

    private Tape() {
    }

    /**
     * Starts recording on this thread.
     *
     * @throws IllegalStateException if a tape is already recording on this thread
     */
    public static Tape record() {
        if (CURRENT.get() != null) {
            throw new IllegalStateException("Tape.record: a tape is already recording on this thread; "
                    + "close it before starting another");
        }
        Tape tape = new Tape();
        CURRENT.set(tape);
        return tape;
    }

    /** Whether a tape is recording on this thread (grad mode aside). */
    public static boolean isRecording() {
        return CURRENT.get() != null;
    }

    /** Whether grad mode is on for this thread (it is unless inside {@link #noGrad()}). */
    public static boolean isGradEnabled() {
        return GRAD_ENABLED.get()[0];
    }

    /**
     * Turns grad mode off on this thread until the returned scope closes; scopes nest, and closing
     * one restores the mode that was in force when it opened.
     *
     * <pre>{@code
     * try (Tape.NoGrad off = Tape.noGrad()) {
     *     runningMean.mulInPlace(0.9f).addInPlace(0.1f, batchMean);
     * }
     * }</pre>
     */
    public static NoGrad noGrad() {
        boolean[] mode = GRAD_ENABLED.get();
        NoGrad scope = new NoGrad(mode[0]);
        mode[0] = false;
        return scope;
    }

    /** A scope with grad mode off; see {@link Tape#noGrad()}. */
    public static final class NoGrad implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private NoGrad(boolean previous) {
            this.previous = previous;
        }

        /** Restores the grad mode in force when this scope opened. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                GRAD_ENABLED.get()[0] = previous;
            }
        }
    }

    /** True when ops on this thread would be recorded if an input required a gradient. */
    static boolean gradRecordingActive() {
        return CURRENT.get() != null && GRAD_ENABLED.get()[0];
    }

    /** The tape to record on for these inputs, or {@code null} if the op need not be recorded. */
    static Tape recorderFor(Tensor... inputs) {
        Tape tape = CURRENT.get();
        if (tape == null || !GRAD_ENABLED.get()[0]) {
            return null;
        }
        for (Tensor t : inputs) {
            if (t.requiresGrad()) {
                return tape;
            }
        }
        return null;
    }

    /**
     * Whether an op with these inputs would be recorded now: a tape records on this thread, grad
     * mode is on and one of them requires a gradient. An op asks this to skip saving what only its
     * backward needs (max pooling's argmax, cross-entropy's probabilities).
     */
    public static boolean willRecord(Tensor... inputs) {
        return recorderFor(inputs) != null;
    }

    /**
     * Records the op {@code output = name(inputs)} with its backward, if {@link #willRecord} says
     * so, and returns {@code output}. This is how every differentiable op of grad4j is written,
     * and how a user defines one (the role of {@code torch.autograd.Function}): compute the
     * forward result into a new tensor, then record it with the backward as a closure beside it.
     *
     * <pre>{@code
     * static Tensor cube(Tensor x) {
     *     float[] xs = x.toArray();
     *     float[] y = new float[xs.length];
     *     for (int i = 0; i < y.length; i++) {
     *         y[i] = xs[i] * xs[i] * xs[i];
     *     }
     *     return Tape.recordOp("cube", Tensor.wrap(y, x.shape()), (gy, gx) -> {
     *         for (int i = 0; i < y.length; i++) {
     *             gx[0][i] += 3 * xs[i] * xs[i] * gy[i];   // d x^3 / dx = 3 x^2
     *         }
     *     }, x);
     * }
     * }</pre>
     *
     * <p>Rules: {@code output} must be a new tensor (not an input or a view of one); the backward
     * adds into {@code gradIn} and never keeps it; the inputs and the output must not change
     * between forward and backward (the tape checks their version counters and fails backward
     * otherwise). {@link GradCheck} checks such an op as it checks the built-in ones.
     *
     * @param name the op's name, shown in {@code toString()} ({@code grad_fn=<cube>}) and in errors
     * @param output the forward result
     * @param backward adds the inputs' gradients given the output's
     * @param inputs every tensor the output depends on differentiably, in the order of {@code gradIn}
     * @return {@code output}
     */
    public static Tensor recordOp(String name, Tensor output, Backward backward, Tensor... inputs) {
        Tape tape = recorderFor(inputs);
        if (tape != null) {
            Entry e = new Entry(tape, tape.entries.size(), name, inputs, output, backward);
            tape.entries.add(e);
            output.markRecorded(e);
        }
        return output;
    }

    /**
     * {@link #recordOp} for an op whose backward can write its first input's gradient instead of
     * adding to it (see {@link AssigningBackward}); the tape then skips zeroing that buffer.
     * Writing must give the bits of adding into zeros.
     *
     * @return {@code output}
     */
    public static Tensor recordAssigningOp(String name, Tensor output, AssigningBackward backward,
                                           Tensor... inputs) {
        Tensor out = recordOp(name, output, (g, gi) -> backward.apply(g, gi, false), inputs);
        Entry e = out.producer;
        if (e != null && e.output == out) {
            e.assigning = backward;
        }
        return out;
    }

    /** Reverse-mode sweep from {@code root}, seeded with {@code seed} = d loss / d root. */
    void backward(Entry root, float[] seed) {
        if (closed || entries == null) {
            throw new IllegalStateException("backward: the tape that recorded '" + root.op
                    + "' was already used by a backward pass or closed; record the forward pass again");
        }
        float[][] grads = new float[root.index + 1][];
        grads[root.index] = seed.clone();
        GradientPool pool = GRADIENTS.get();
        Map<Tensor, float[]> leafGrads = new IdentityHashMap<>();
        for (int i = root.index; i >= 0; i--) {
            float[] g = grads[i];
            if (g == null) {
                continue;
            }
            grads[i] = null;
            Entry e = entries.get(i);
            checkVersions(e);
            float[][] gradIn = new float[e.inputs.length][];
            boolean assign0 = false;
            for (int k = 0; k < e.inputs.length; k++) {
                Tensor in = e.inputs[k];
                if (!in.requiresGrad()) {
                    continue;
                }
                Entry p = in.producer;
                if (p != null && p.tape != this) {
                    throw new IllegalStateException("backward: input " + k + " of '" + e.op
                            + "' was recorded on another thread's tape; tensors cannot cross tapes");
                }
                if (p == null) {
                    gradIn[k] = leafGrads.computeIfAbsent(in, t -> new float[t.size()]);
                } else {
                    if (grads[p.index] == null) {
                        // The first contribution: an assigning op writes it, no need to zero it.
                        assign0 = k == 0 && e.assigning != null && onlyOnce(e.inputs, 0);
                        grads[p.index] = assign0 ? pool.takeUninitialized(in.size()) : pool.take(in.size());
                    }
                    gradIn[k] = grads[p.index];
                }
            }
            if (assign0) {
                e.assigning.apply(g, gradIn, true);
            } else {
                e.backward.apply(g, gradIn);
            }
            // Nothing keeps an intermediate gradient once its op has pushed it back.
            pool.give(g);
        }
        pool.endPass();
        for (Map.Entry<Tensor, float[]> leaf : leafGrads.entrySet()) {
            leaf.getKey().accumulateGrad(leaf.getValue());
        }
        release();
    }

    /**
     * This thread's gradient arrays of intermediate results, recycled from one backward pass to the
     * next. A new array of a few megabytes costs more than its computation: the JVM zeroes it in
     * memory no cache holds, and the op then writes it a second time; a recycled array was used a
     * moment ago and is zeroed where it lies. Only the tape ever sees these arrays (ops add into
     * them and read them during backward; leaf gradients are copies), so handing one out again once
     * its op has run is safe. Arrays under {@link #MIN_SIZE} floats are left to the allocator. After
     * a pass the pool keeps, per size, at most as many arrays as that pass took, so it holds no more
     * than one pass's intermediate gradients.
     */
    private static final class GradientPool {
        /** 64 KB: smaller arrays come cheaply from the thread's allocation buffer. */
        static final int MIN_SIZE = 1 << 14;
        private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
        private final Map<Integer, Integer> taken = new HashMap<>();

        /** A zeroed array of {@code size} floats. */
        float[] take(int size) {
            float[] a = recycled(size);
            if (a == null) {
                return new float[size];
            }
            Arrays.fill(a, 0f);
            return a;
        }

        /** An array of {@code size} floats with unspecified contents, for a caller that writes all of it. */
        float[] takeUninitialized(int size) {
            float[] a = recycled(size);
            return a == null ? new float[size] : a;
        }

        /** A pooled array of {@code size} floats, or null. */
        private float[] recycled(int size) {
            if (size < MIN_SIZE) {
                return null;
            }
            taken.merge(size, 1, Integer::sum);
            ArrayDeque<float[]> q = free.get(size);
            return q == null ? null : q.poll();
        }

        /** Returns an array no one will read or write again. */
        void give(float[] a) {
            if (a.length >= MIN_SIZE) {
                free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
            }
        }

        /** Trims the pool to what this pass needed and starts counting the next one. */
        void endPass() {
            free.entrySet().removeIf(e -> {
                int keep = taken.getOrDefault(e.getKey(), 0);
                while (e.getValue().size() > keep) {
                    e.getValue().pollLast();
                }
                return keep == 0;
            });
            taken.clear();
        }
    }

    /** Whether {@code inputs[k]} appears nowhere else among the inputs (its gradient is not shared). */
    private static boolean onlyOnce(Tensor[] inputs, int k) {
        for (int i = 0; i < inputs.length; i++) {
            if (i != k && inputs[i] == inputs[k]) {
                return false;
            }
        }
        return true;
    }

    private static void checkVersions(Entry e) {
        for (int k = 0; k < e.inputs.length; k++) {
            int now = e.inputs[k].version[0];
            if (now != e.inputVersions[k]) {
                throw new IllegalStateException("backward: input " + k + " of '" + e.op + "' (shape "
                        + e.inputs[k].shape() + ") was modified in place" + byWhom(e.inputs[k])
                        + " after it was recorded (version " + now + ", recorded at version " + e.inputVersions[k] + ")"
                        + anotherThreadHint(e.inputs[k]));
            }
        }
        int now = e.output.version[0];
        if (now != e.outputVersion) {
            throw new IllegalStateException("backward: the output of '" + e.op + "' (shape " + e.output.shape()
                    + ") was modified in place" + byWhom(e.output) + " after it was recorded (version " + now
                    + ", recorded at version " + e.outputVersion + ")" + anotherThreadHint(e.output));
        }
    }

    /** Whether the last in-place write to {@code t} came from a thread other than the current one. */
    private static boolean writtenByAnotherThread(Tensor t) {
        int writer = t.version[1];
        return writer != 0 && writer != Tensor.writerId();
    }

    private static String byWhom(Tensor t) {
        return writtenByAnotherThread(t) ? " by another thread" : "";
    }

    /** The likely cause when another thread wrote: the tape is per thread, parameters are shared. */
    private static String anotherThreadHint(Tensor t) {
        return writtenByAnotherThread(t)
                ? ": the model is being trained by another thread at the same time; train one model from one"
                        + " thread, or give each thread its own copy (inference in eval mode under"
                        + " Tape.noGrad() may share a model)"
                : "";
    }

    /** Drops the entries; the tensors they produced become plain values. */
    private void release() {
        if (entries != null) {
            for (Entry e : entries) {
                e.output.forgetProducer();
            }
            entries = null;
        }
    }

    /** The number of ops recorded so far (0 after backward or close). */
    public int size() {
        return entries == null ? 0 : entries.size();
    }

    /**
     * Stops recording and frees what was recorded.
     *
     * @throws IllegalStateException if called from another thread than the one that started it
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("Tape.close: called on thread '" + Thread.currentThread().getName()
                    + "', expected the recording thread '" + owner.getName() + "'");
        }
        closed = true;
        release();
        if (CURRENT.get() == this) {
            CURRENT.remove();
        }
    }
}
