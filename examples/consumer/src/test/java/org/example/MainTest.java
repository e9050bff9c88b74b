package org.example;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.grad4j.core.Backend;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void surefireRunsTheSimdKernels() {
        assertTrue(Backend.simd(), Backend.description());
    }
}
