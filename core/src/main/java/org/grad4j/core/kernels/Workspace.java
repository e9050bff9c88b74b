package org.grad4j.core.kernels;

/**
 * Per-thread scratch arrays that grow and are never shrunk, so that a training loop allocates its
 * large temporaries (the im2col matrix above all: {@code C*kh*kw x N*OH*OW} floats per
 * convolution) once instead of once per step.
 *
 * <p>A slot is one array; two buffers that an op needs at the same time must use two slots.
 * {@link #get} returns an array of at least the requested length whose contents are whatever the
 * last user left: callers overwrite the range they read. A buffer must not outlive the op that
 * took it (the next op on the thread takes it over), so nothing a tape saves for backward may
 * live in a workspace; backward passes take the buffers again.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class Workspace {
    /** The im2col matrix of a convolution. */
    public static final int COLS = 0;
    /** The gradient of the im2col matrix in a convolution's backward pass. */
    public static final int COLS_GRAD = 1;
    /** A convolution's output or output gradient in GEMM layout {@code [F, N*OH*OW]}. */
    public static final int ROWS = 2;

    private static final int SLOTS = 3;
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[SLOTS][]);
    /** Per thread and slot, the owner that {@link #tag} named for the slot's contents, or null. */
    private static final ThreadLocal<Object[]> OWNERS = ThreadLocal.withInitial(() -> new Object[SLOTS]);

    private Workspace() {
    }

    /**
     * This thread's buffer for {@code slot}, at least {@code size} floats long, grown if needed.
     * The contents are unspecified.
     *
     * @throws IllegalArgumentException if the slot does not exist or the size is negative
     */
    public static float[] get(int slot, int size) {
        if (slot < 0 || slot >= SLOTS) {
            throw new IllegalArgumentException("workspace: no slot " + slot + " (expected 0 to " + (SLOTS - 1) + ")");
        }
        if (size < 0) {
            throw new IllegalArgumentException("workspace: negative size " + size);
        }
        float[][] buffers = BUFFERS.get();
        // The caller is about to overwrite the contents: they belong to nobody any more.
        OWNERS.get()[slot] = null;
        float[] b = buffers[slot];
        if (b == null || b.length < size) {
            // Drop the old array first so that the two never need to be live at once.
            buffers[slot] = null;
            b = new float[size];
            buffers[slot] = b;
        }
        return b;
    }

    /**
     * Records that this thread's buffer for {@code slot} now holds {@code owner}'s contents, as
     * written since the last {@link #get}. The tag lasts until the next {@link #get} of the slot on
     * this thread (by anyone), so {@link #tagged} can hand the contents back to the same owner if
     * nothing has taken the slot in between: a convolution's backward pass reuses the column
     * matrix of its forward pass when no other convolution ran in between.
     *
     * @param owner compared by identity
     */
    public static void tag(int slot, Object owner) {
        OWNERS.get()[slot] = owner;
    }

    /**
     * This thread's buffer for {@code slot} if its contents are still those {@link #tag tagged} by
     * {@code owner} and it holds at least {@code size} floats; otherwise null.
     */
    public static float[] tagged(int slot, Object owner, int size) {
        float[] b = BUFFERS.get()[slot];
        return owner != null && OWNERS.get()[slot] == owner && b != null && b.length >= size ? b : null;
    }

    /** The number of floats this thread's buffers hold. */
    public static long heldFloats() {
        long n = 0;
        for (float[] b : BUFFERS.get()) {
            n += b == null ? 0 : b.length;
        }
        return n;
    }

    /** Frees this thread's buffers (they are taken again, smaller, on next use). */
    public static void release() {
        BUFFERS.remove();
        OWNERS.remove();
    }
}
