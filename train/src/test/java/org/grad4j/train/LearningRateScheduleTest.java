package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    @Test
    void constant() {
        assertEquals(0.3, LearningRateSchedule.constant().at(17, 0.3));
    }

    @Test
    void stepDecaysEveryStepSizeEpochs() {
        LearningRateSchedule s = LearningRateSchedule.step(3, 0.1);
        double[] expected = {1, 1, 1, 0.1, 0.1, 0.1, 0.01};
        for (int e = 0; e < expected.length; e++) {
            assertEquals(expected[e], s.at(e, 1.0), 1e-15, "epoch " + e);
        }
    }

    @Test
    void cosineFollowsTheClosedForm() {
        LearningRateSchedule s = LearningRateSchedule.cosine(10, 0.01);
        assertEquals(1.0, s.at(0, 1.0), 1e-15);
        assertEquals(0.505, s.at(5, 1.0), 1e-12);
        assertEquals(0.01 + 0.99 * (1 + Math.cos(Math.PI * 0.3)) / 2, s.at(3, 1.0), 1e-15);
        assertEquals(0.01, s.at(10, 1.0), 1e-15);
        assertEquals(0.01, s.at(12, 1.0), 1e-15);
    }

    @Test
    void builtInSchedulesDescribeThemselvesForCheckpoints() {
        assertEquals("constant", LearningRateSchedule.constant().toString());
        assertEquals("StepLR(step_size=3, gamma=0.1)", LearningRateSchedule.step(3, 0.1).toString());
        assertEquals("CosineAnnealingLR(T_max=10, eta_min=0.01)", LearningRateSchedule.cosine(10, 0.01).toString());
        assertEquals("LinearLR(start_factor=0.1, end_factor=1.0, total_iters=3)",
                LearningRateSchedule.linear(0.1, 1, 3).toString());
        assertEquals("OneCycleLR(total_steps=100, pct_start=0.3, div_factor=25.0, final_div_factor=10000.0)",
                LearningRateSchedule.oneCycle(100).toString());
        assertEquals("SequentialLR(LinearLR(start_factor=0.1, end_factor=1.0, total_iters=3), milestone=3, custom)",
                LearningRateSchedule.linear(0.1, 1, 3).then(3, (epoch, base) -> base).toString());
    }

    @Test
    void invalidArgumentsAreNamed() {
        assertEquals("step schedule: invalid step size 0 (expected >= 1)",
                assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(0, 0.1)).getMessage());
        assertEquals("step schedule: invalid gamma 1.5 (expected 0 < gamma <= 1)",
                assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.step(2, 1.5)).getMessage());
        assertEquals("cosine schedule: invalid total epochs 0 (expected >= 1)",
                assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0, 0)).getMessage());
        assertEquals("cosine schedule: invalid minimum learning rate -1.0 (expected >= 0)",
                assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(5, -1)).getMessage());
    }

    @Test
    void linearWarmupReachesTheBaseAndStays() {
        LearningRateSchedule s = LearningRateSchedule.linear(0.1, 1, 3);
        double[] expected = {0.1, 0.4, 0.7, 1, 1, 1};
        for (int e = 0; e < expected.length; e++) {
            assertEquals(expected[e] * 2, s.at(e, 2.0), 1e-15, "epoch " + e);
        }
    }

    @Test
    void oneCyclePeaksAtTheBaseAndEndsAtItsFloor() {
        LearningRateSchedule s = LearningRateSchedule.oneCycle(100, 0.3, 25, 1e4);
        assertEquals(0.04, s.at(0, 1.0), 1e-15, "base / div factor");
        assertEquals(1.0, s.at(29, 1.0), 1e-15, "peak at pct start * total - 1");
        assertEquals(0.04 / 1e4, s.at(99, 1.0), 1e-15, "initial / final div factor");
        assertEquals(0.04 + 0.96 * (1 - Math.cos(Math.PI * 10 / 29)) / 2, s.at(10, 1.0), 1e-15);
        for (int t = 1; t < 100; t++) {
            assertTrue(t <= 29 ? s.at(t, 1.0) > s.at(t - 1, 1.0) : s.at(t, 1.0) < s.at(t - 1, 1.0), "step " + t);
        }
    }

    @Test
    void thenSwitchesAtTheMilestoneAndRestartsTheCount() {
        LearningRateSchedule s = LearningRateSchedule.constant().then(2, (e, base) -> base * 10 + e);
        assertEquals(1, s.at(1, 1));
        assertEquals(10, s.at(2, 1));
        assertEquals(13, s.at(5, 1));
    }

    @Test
    void invalidNewSchedulesAreNamed() {
        assertMessage("linear schedule: invalid start factor 0.0 (expected 0 < start factor <= 1)",
                () -> LearningRateSchedule.linear(0, 1, 5));
        assertMessage("linear schedule: invalid end factor 1.5 (expected 0 to 1)",
                () -> LearningRateSchedule.linear(0.5, 1.5, 5));
        assertMessage("linear schedule: invalid total iterations 0 (expected >= 1)",
                () -> LearningRateSchedule.linear(0.5, 1, 0));
        assertMessage("one-cycle schedule: invalid total steps 0 (expected >= 1)", () -> LearningRateSchedule.oneCycle(0));
        assertMessage("one-cycle schedule: invalid pct start 1.0 (expected 0 < pct start < 1)",
                () -> LearningRateSchedule.oneCycle(10, 1, 25, 1e4));
        assertMessage("one-cycle schedule: invalid div factor 0.0 (expected > 0)",
                () -> LearningRateSchedule.oneCycle(10, 0.3, 0, 1e4));
        assertMessage("one-cycle schedule: invalid final div factor -1.0 (expected > 0)",
                () -> LearningRateSchedule.oneCycle(10, 0.3, 25, -1));
        assertMessage("one-cycle schedule: pct start 0.1 of 10 steps leaves no room for both phases (expected 1 < "
                + "pct start * total steps < total steps)", () -> LearningRateSchedule.oneCycle(10, 0.1, 25, 1e4));
        assertMessage("one-cycle schedule: step 20 is outside the cycle of 20 steps (expected 0 to 19)",
                () -> LearningRateSchedule.oneCycle(20).at(20, 0.1));
        assertMessage("schedule: invalid milestone 0 (expected >= 1)",
                () -> LearningRateSchedule.constant().then(0, LearningRateSchedule.constant()));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
