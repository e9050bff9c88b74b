package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
