package org.grad4j.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernels give the same bits whatever the JIT has done: a training step computed in a
 * JVM that never runs C2 (so every Vector API call takes its Java fallback) equals the same step
 * computed here again and again while C2 compiles the kernels and after. (The pure interpreter,
 * {@code -Xint}, gives the same digests but needs about 50 s for the step; C1 runs the same Java
 * fallback code in about a second.)
 */
class ColdWarmTest {
    /**
     * Repetitions in this JVM: the step's vector methods reach C2 between the 2nd and the 25th
     * (-XX:+PrintCompilation on our machine), the later ones take about 15 ms.
     */
    private static final int REPEATS = 40;
    private final int savedThreads = Kernels.threads();

    @AfterEach
    void restoreThreads() {
        Kernels.setThreads(savedThreads);
    }

    @Test
    void aTrainingStepHasTheSameBitsWithoutC2AndWithIt() throws Exception {
        assumeTrue(Kernels.simd(), "the SIMD path only (run with --add-modules jdk.incubator.vector)");
        List<String> cold = List.of(ChildJvm.run(TrainingStep.class, "--add-modules", "jdk.incubator.vector",
                "-XX:TieredStopAtLevel=1").split("\\R"));
        assertEquals(18, cold.size(), String.join("\n", cold));
        for (int i = 0; i < REPEATS; i++) {
            List<String> warm = TrainingStep.digests();
            List<String> differ = new ArrayList<>();
            for (int t = 0; t < cold.size(); t++) {
                if (!cold.get(t).equals(warm.get(t))) {
                    differ.add(cold.get(t).split(" ")[0]);
                }
            }
            assertEquals(List.of(), differ, "parameters that differ from C1 only in repetition " + i + " here");
        }
    }
}
