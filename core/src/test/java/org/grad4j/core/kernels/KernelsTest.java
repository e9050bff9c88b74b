package org.grad4j.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KernelsTest {
    private final int savedThreads = Kernels.threads();

    @AfterEach
    void restoreThreads() {
        Kernels.setThreads(savedThreads);
    }

    private static boolean vectorModule() {
        return ModuleLayer.boot().findModule(Kernels.VECTOR_MODULE).isPresent();
    }

    @Test
    void simdFollowsTheModuleAndTheProperty() {
        boolean forcedOff = "false".equalsIgnoreCase(System.getProperty(Kernels.SIMD_PROPERTY, "").trim());
        assertEquals(vectorModule() && !forcedOff, Kernels.simd());
    }

    @Test
    void descriptionNamesThePathAndTheThreads() {
        Kernels.setThreads(2);
        String d = Kernels.description();
        if (Kernels.simd()) {
            assertTrue(d.matches("vector-api .+ \\(\\d+ float lanes\\), 2 threads"), d);
        } else {
            assertTrue(d.matches("portable \\(EJML; .+\\), 2 threads"), d);
        }
        Kernels.setThreads(1);
        assertTrue(Kernels.description().endsWith(", 1 thread"), Kernels.description());
    }

    @Test
    void portableReasons() {
        assertNull(Kernels.portableReason(null, true));
        assertNull(Kernels.portableReason("true", true));
        assertEquals("-Dgrad4j.simd=false", Kernels.portableReason("false", true));
        assertEquals("-Dgrad4j.simd=false", Kernels.portableReason(" FALSE ", false));
        assertEquals("start the JVM with --add-modules jdk.incubator.vector for SIMD", Kernels.portableReason(null, false));
    }

    @Test
    void instructionSetNames() {
        assertEquals("AVX-512", Kernels.isa(512, "amd64"));
        assertEquals("AVX2", Kernels.isa(256, "x86_64"));
        assertEquals("SSE", Kernels.isa(128, "amd64"));
        assertEquals("NEON", Kernels.isa(128, "aarch64"));
        assertEquals("SVE 512-bit", Kernels.isa(512, "aarch64"));
        assertEquals("256-bit", Kernels.isa(256, "riscv64"));
    }

    @Test
    void threadCountIsValidated() {
        Kernels.setThreads(3);
        assertEquals(3, Kernels.threads());
        assertEquals("kernels: thread count must be between 1 and 1024, got 0",
                assertThrows(IllegalArgumentException.class, () -> Kernels.setThreads(0)).getMessage());
        assertEquals("kernels: thread count must be between 1 and 1024, got 1025",
                assertThrows(IllegalArgumentException.class, () -> Kernels.setThreads(1025)).getMessage());
        assertEquals(3, Kernels.threads());
    }

    /** What {@link Probe} prints in a JVM started with {@code jvmArgs}. */
    private static String probe(String... jvmArgs) throws IOException, InterruptedException {
        return ChildJvm.run(Probe.class, jvmArgs);
    }

    @Test
    void withoutTheModuleThePortablePathRuns() throws Exception {
        assertEquals("simd=false portable (EJML; start the JVM with --add-modules jdk.incubator.vector for SIMD), "
                + "1 thread; gemm=[19.0, 22.0, 43.0, 50.0]", probe());
    }

    @Test
    void thePropertyForcesThePortablePath() throws Exception {
        assertEquals("simd=false portable (EJML; -Dgrad4j.simd=false), 1 thread; gemm=[19.0, 22.0, 43.0, 50.0]",
                probe("--add-modules", "jdk.incubator.vector", "-Dgrad4j.simd=false"));
    }

    @Test
    void withTheModuleTheVectorPathRuns() throws Exception {
        assumeTrue(vectorModule(), "needs --add-modules jdk.incubator.vector");
        String out = probe("--add-modules", "jdk.incubator.vector");
        assertTrue(out.matches("simd=true vector-api .+ float lanes\\), 1 thread; gemm=\\[19.0, 22.0, 43.0, 50.0]"), out);
    }

    /** Run in a child JVM by the tests above. */
    static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) {
            Kernels.setThreads(1);
            float[] c = new float[4];
            Gemm.gemm(false, false, 2, 2, 2, new float[] {1, 2, 3, 4}, new float[] {5, 6, 7, 8}, c, false);
            System.out.println("simd=" + Kernels.simd() + " " + Kernels.description() + "; gemm=" + java.util.Arrays.toString(c));
        }
    }
}
