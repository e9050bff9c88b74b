package org.grad4j.core.kernels;

import java.util.Locale;

/**
 * Which implementation of the numeric kernels is active, and how many threads they use.
 *
 * <p>grad4j has two implementations of its hot kernels, chosen once when this class is
 * initialized:
 * <ul>
 *   <li><b>vector-api</b>: SIMD kernels written with the Java Vector API
 *       ({@code jdk.incubator.vector}, {@code FloatVector} and fused multiply-add), about ten times
 *       faster than the portable path for matrix multiply. The Vector API is an incubator module
 *       on JDK 17 to 25, so the JVM only loads it when asked to:
 *       <pre>java --add-modules jdk.incubator.vector ...</pre>
 *       (in Maven Surefire: {@code <argLine>--add-modules jdk.incubator.vector</argLine>}). The JVM
 *       then prints one warning, {@code WARNING: Using incubator modules: jdk.incubator.vector}.</li>
 *   <li><b>portable</b>: EJML for matrix multiply and plain loops elsewhere; used when the JVM was
 *       started without {@code --add-modules jdk.incubator.vector}, so nobody is forced to add JVM
 *       flags, or when the system property {@code grad4j.simd} is {@code false}
 *       ({@code -Dgrad4j.simd=false}, to compare the two paths or rule the SIMD kernels out while
 *       debugging). Any other value of the property, or none, selects the vector-api path when the
 *       module is present.</li>
 * </ul>
 * Both paths compute the same products up to float rounding, and each is deterministic: at a fixed
 * thread count, running the same computation twice gives bit-identical results, whether the JIT
 * has compiled the kernels yet or not (the vector-api kernels use only lane operations that are
 * defined to the bit, never {@code lanewise(EXP)} or {@code reduceLanes} on floats).
 *
 * <p>The kernels split large products over {@link #threads()} threads (the calling thread plus a
 * shared pool of daemon threads), with a fixed partition of the output: every output element is
 * computed by one thread, in a fixed order, so the thread count never changes the rounding of a
 * matrix multiply either. Small products run on the calling thread.
 */
public final class Kernels {
    /** The most threads {@link #setThreads} accepts. */
    public static final int MAX_THREADS = 1024;

    /** The name of the system property that forces the portable path when {@code false}. */
    public static final String SIMD_PROPERTY = "grad4j.simd";

    static final String VECTOR_MODULE = "jdk.incubator.vector";

    /** True when the vector-api kernels are in use; constant after class initialization. */
    static final boolean SIMD;
    private static final String PATH;
    private static volatile int threads = Math.max(1, Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors()));

    static {
        String reason = portableReason(System.getProperty(SIMD_PROPERTY),
                ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent());
        String path = null;
        if (reason == null) {
            try {
                // The only reference to the Vector API classes: resolved here and never when the
                // module is absent, so the portable path cannot hit a NoClassDefFoundError.
                int bits = VectorGemm.vectorBits();
                if (bits < 128) {
                    reason = "vector width " + bits + " bits is too narrow";
                } else {
                    path = "vector-api " + isa(bits, System.getProperty("os.arch", "")) + " (" + bits / 32 + " float lanes)";
                }
            } catch (LinkageError e) {
                reason = "vector-api failed to load: " + e;
            }
        }
        SIMD = path != null;
        PATH = path != null ? path : "portable (EJML; " + reason + ")";
        String warning = slowPathWarning(reason);
        if (warning != null) {
            System.getLogger(org.grad4j.core.Backend.LOGGER).log(System.Logger.Level.WARNING, warning);
        }
    }

    private Kernels() {
    }

    /**
     * Whether the Vector API (SIMD) kernels are active: true when the JVM runs with
     * {@code --add-modules jdk.incubator.vector} and {@code -Dgrad4j.simd=false} is not set.
     */
    public static boolean simd() {
        return SIMD;
    }

    /**
     * One line that says which kernels run and on how many threads, for logs and benchmark reports,
     * e.g. {@code vector-api AVX-512 (16 float lanes), 2 threads} or
     * {@code portable (EJML; start the JVM with --add-modules jdk.incubator.vector for SIMD), 2 threads}.
     */
    public static String description() {
        int t = threads;
        return PATH + ", " + t + (t == 1 ? " thread" : " threads");
    }

    /**
     * The number of threads the kernels use for a large operation, the calling thread included.
     * Defaults to {@link Runtime#availableProcessors()}.
     */
    public static int threads() {
        return threads;
    }

    /**
     * Sets the number of threads the kernels use from now on, the calling thread included (so
     * {@code 1} runs everything on the calling thread). Results are bit-identical between runs at
     * the same thread count. Operations already running finish with the old count.
     *
     * @param n the thread count, {@code 1} to {@link #MAX_THREADS}
     * @throws IllegalArgumentException if {@code n} is outside that range
     */
    public static void setThreads(int n) {
        if (n < 1 || n > MAX_THREADS) {
            throw new IllegalArgumentException("kernels: thread count must be between 1 and " + MAX_THREADS + ", got " + n);
        }
        synchronized (Kernels.class) {
            if (n != threads) {
                threads = n;
                Parallel.resize(n);
            }
        }
    }

    /**
     * Why the portable path must be used, or null when the vector-api path may be tried.
     *
     * @param property the value of {@code grad4j.simd}, or null when unset
     * @param modulePresent whether {@code jdk.incubator.vector} is in the boot layer
     */
    static String portableReason(String property, boolean modulePresent) {
        if (property != null && property.trim().equalsIgnoreCase("false")) {
            return "-D" + SIMD_PROPERTY + "=false";
        }
        if (!modulePresent) {
            return "start the JVM with --add-modules " + VECTOR_MODULE + " for SIMD";
        }
        return null;
    }

    /**
     * The warning logged once, when the kernels are first used, that they run on the slow portable
     * path without being asked to, with how to switch SIMD on; null when SIMD is on or
     * {@code -Dgrad4j.simd=false} chose the portable path.
     *
     * @param reason what {@link #portableReason} or the vector-api probe said, null when SIMD is on
     */
    static String slowPathWarning(String reason) {
        if (reason == null || reason.startsWith("-D")) {
            return null;
        }
        String fix = reason.startsWith("start the JVM")
                ? "start java with --add-modules " + VECTOR_MODULE + " (with Maven: in the exec plugin's"
                        + " arguments and in surefire's argLine)"
                : "this JVM or CPU cannot run them";
        return "grad4j: SIMD kernels are off, so tensor ops run 4 to 40 times slower: " + fix
                + "; -D" + SIMD_PROPERTY + "=false chooses the portable path without this warning";
    }

    /** A name for the instruction set behind a preferred vector width. */
    static String isa(int bits, String arch) {
        String a = arch.toLowerCase(Locale.ROOT);
        if (a.equals("amd64") || a.equals("x86_64") || a.equals("x86") || a.equals("i386")) {
            return bits >= 512 ? "AVX-512" : bits >= 256 ? "AVX2" : "SSE";
        }
        if (a.equals("aarch64") || a.equals("arm64")) {
            return bits == 128 ? "NEON" : "SVE " + bits + "-bit";
        }
        return bits + "-bit";
    }
}
