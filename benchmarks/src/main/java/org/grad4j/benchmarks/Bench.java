package org.grad4j.benchmarks;

import java.util.Random;
import org.grad4j.core.Backend;

/**
 * What the benchmarks share: the JVM flag that switches the SIMD kernels on, the thread setting,
 * the one line that says which kernels a trial measured, and the two BN-LeNet configurations.
 */
final class Bench {
    /**
     * Prepended to the forked JVM's arguments by every benchmark's {@code @Fork}, so that a plain
     * {@code java -jar benchmarks.jar} measures the Vector API kernels. Run the portable path with
     * {@code -jvmArgsAppend -Dgrad4j.simd=false} (module loaded, SIMD off) or by replacing the
     * prepended arguments with none ({@code -jvmArgsPrepend ""}, module absent; see docs/benchmarks.md).
     */
    static final String ADD_VECTOR_MODULE = "--add-modules=jdk.incubator.vector";

    private Bench() {
    }

    /** Sets the kernels' thread count for a trial and prints the kernels in use, once per trial. */
    static void threads(String benchmark, int threads) {
        Backend.setThreads(threads);
        System.out.println("# grad4j " + benchmark + ": kernels " + Backend.description());
    }

    /** Input side of BN-LeNet for a configuration: {@code a} 28x28 (batch 256), {@code b} 96x96 (batch 32). */
    static int size(String config) {
        switch (config) {
            case "a":
                return 28;
            case "b":
                return 96;
            default:
                throw new IllegalArgumentException("benchmarks: config must be a (28x28, batch 256) or b (96x96, batch 32), got " + config);
        }
    }

    /** Batch size of a configuration: the d2l chapter's 256 at 28x28, 32 at 96x96. */
    static int batch(String config) {
        return size(config) == 28 ? 256 : 32;
    }

    /** Seeded uniform values in [-1, 1). */
    static float[] uniform(Random rng, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rng.nextFloat() * 2 - 1;
        }
        return x;
    }
}
