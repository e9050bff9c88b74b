package org.grad4j.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.Supplier;

/** Runs a kernel at several thread counts in the kernel tests. */
final class ThreadCounts {
    private ThreadCounts() {
    }

    /**
     * Runs {@code f} at 1, 2 and 3 threads, checks that the results are bit-identical, and returns
     * the 1-thread result; leaves the thread count at 1 (the tests restore theirs afterwards).
     */
    static float[] sameAtEveryThreadCount(Supplier<float[]> f) {
        Kernels.setThreads(1);
        float[] one = f.get();
        for (int t : new int[] {2, 3}) {
            Kernels.setThreads(t);
            float[] other = f.get();
            assertEquals(one.length, other.length);
            for (int i = 0; i < one.length; i++) {
                assertEquals(Float.floatToRawIntBits(one[i]), Float.floatToRawIntBits(other[i]),
                        "element " + i + " differs at " + t + " threads");
            }
        }
        Kernels.setThreads(1);
        return one;
    }
}
