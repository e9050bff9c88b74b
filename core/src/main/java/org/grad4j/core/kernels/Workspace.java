package org.grad4j.core.kernels;

/**
 * Per-thread scratch arrays that grow and are never shrunk, so that a training loop allocates its
 * large temporaries (a convolution's column matrices) once instead of once per step.
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
    /** A convolution's output or output gradient in GEMM layout {@code [F, G*OH*OW]}. */
    public static final int ROWS = 2;

    private static final int SLOTS = 3;
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[SLOTS][]);

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
        float[] b = buffers[slot];
        if (b == null || b.length < size) {
            // Drop the old array first so that the two never need to be live at once.
            buffers[slot] = null;
            b = new float[size];
            buffers[slot] = b;
        }
        return b;
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
    }
}
