package org.grad4j.core;

import org.grad4j.core.kernels.Kernels;

/**
 * The numeric kernels every op runs on: whether they use SIMD, and how many threads.
 *
 * <p>grad4j's hot kernels (matrix multiply, convolution, batch norm, pooling, element-wise ops) have
 * two implementations, chosen once, when the first op runs:
 * <ul>
 *   <li><b>vector-api</b>: SIMD kernels on the Java Vector API, when the JVM was started with
 *       {@code --add-modules jdk.incubator.vector} (the JVM then prints one warning that an
 *       incubating module is in use);</li>
 *   <li><b>portable</b>: EJML and plain loops, 4 to 40 times slower, when it was not, or when the
 *       system property {@code grad4j.simd} is {@code false}. When the module is missing (and the
 *       property does not ask for the portable path) grad4j logs one warning that says how to
 *       switch SIMD on, through {@link System.Logger} under the logger name {@link #LOGGER}.</li>
 * </ul>
 * Both paths compute the same results up to float rounding, and each is deterministic: at a fixed
 * thread count the same computation gives bit-identical results, run after run.
 *
 * <pre>{@code
 * Backend.setThreads(2);                    // before training: the kernels' threads
 * System.out.println(Backend.description()); // vector-api AVX-512 (16 float lanes), 2 threads
 * }</pre>
 */
public final class Backend {
    /** The most threads {@link #setThreads} accepts. */
    public static final int MAX_THREADS = Kernels.MAX_THREADS;

    /** The name of grad4j's {@link System.Logger}, to route or silence its messages. */
    public static final String LOGGER = "org.grad4j";

    private Backend() {
    }

    /**
     * Whether the SIMD (Vector API) kernels are active: true when the JVM runs with
     * {@code --add-modules jdk.incubator.vector} and {@code -Dgrad4j.simd=false} is not set.
     */
    public static boolean simd() {
        return Kernels.simd();
    }

    /**
     * One line that says which kernels run and on how many threads, for logs and reports, e.g.
     * {@code vector-api AVX-512 (16 float lanes), 2 threads} or
     * {@code portable (EJML; start the JVM with --add-modules jdk.incubator.vector for SIMD), 2 threads}.
     */
    public static String description() {
        return Kernels.description();
    }

    /**
     * The number of threads a large op uses, the calling thread included; defaults to
     * {@link Runtime#availableProcessors()}.
     */
    public static int threads() {
        return Kernels.threads();
    }

    /**
     * Sets the number of threads the kernels use from now on, the calling thread included (so
     * {@code 1} runs everything on the calling thread). Results are bit-identical between runs at
     * the same thread count; ops already running finish with the old count.
     *
     * @param n the thread count, {@code 1} to {@link #MAX_THREADS}
     * @throws IllegalArgumentException if {@code n} is outside that range
     */
    public static void setThreads(int n) {
        Kernels.setThreads(n);
    }
}
